/**
 * Builds the executable schema from `schema.graphql` and the typed resolvers: graphql-js builds the
 * types from the SDL, and each resolver is attached to its field (and each custom scalar's functions
 * to its type). One schema object serves Apollo (HTTP) and graphql-ws (WebSocket).
 */
import { readFileSync } from 'node:fs';
import { buildSchema, isObjectType, isScalarType, GraphQLScalarType } from 'graphql';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import type { Resolvers } from './generated/resolvers-types.ts';
import type { GraphQLContext } from './GraphQLContext.ts';

export const schemaFile = new URL('../../schema.graphql', import.meta.url);

type FieldResolver = GraphQLFieldResolver<unknown, GraphQLContext>;

export function buildExecutableSchema(resolvers: Resolvers, sdl: string = readFileSync(schemaFile, 'utf8')): GraphQLSchema {
  const schema = buildSchema(sdl);
  for (const [typeName, typeResolvers] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!type) throw new Error(`resolvers for ${typeName}, which the schema does not have`);
    if (typeResolvers instanceof GraphQLScalarType) {
      if (!isScalarType(type)) throw new Error(`${typeName} is not a scalar in the schema`);
      type.serialize = typeResolvers.serialize;
      type.parseValue = typeResolvers.parseValue;
      type.parseLiteral = typeResolvers.parseLiteral;
      continue;
    }
    if (!isObjectType(type)) throw new Error(`${typeName} is not an object type in the schema`);
    const fields = type.getFields();
    for (const [fieldName, resolver] of Object.entries(typeResolvers as Record<string, unknown>)) {
      const field = fields[fieldName];
      if (!field) throw new Error(`a resolver for ${typeName}.${fieldName}, which the schema does not have`);
      if (typeof resolver === 'function') {
        field.resolve = resolver as FieldResolver;
      } else if (typeof resolver === 'object' && resolver !== null && 'subscribe' in resolver) {
        const { subscribe, resolve } = resolver as { subscribe: FieldResolver; resolve?: FieldResolver };
        field.subscribe = subscribe;
        // A subscriber object yields `{ [field]: value }`, like a query result.
        field.resolve = resolve ?? ((payload) => (payload as Record<string, unknown>)[fieldName]);
      } else {
        throw new Error(`the resolver of ${typeName}.${fieldName} is neither a function nor a subscription`);
      }
    }
  }
  return schema;
}
