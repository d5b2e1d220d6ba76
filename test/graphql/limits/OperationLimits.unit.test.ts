import { getIntrospectionQuery, isListType, isNonNullType, isObjectType, parse, validate } from 'graphql';
import type { GraphQLType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildExecutableSchema } from '../../../src/graphql/ExecutableSchema.ts';
import { costLimitRule, defaultOperationLimits, depthLimitRule } from '../../../src/graphql/limits/OperationLimits.ts';
import { resolvers } from '../../../src/graphql/Resolvers.ts';

const schema = buildExecutableSchema(resolvers);

function depthErrors(query: string, maxDepth: number) {
  return validate(schema, parse(query), [depthLimitRule(maxDepth)]);
}

function costErrors(query: string, maxCost: number) {
  return validate(schema, parse(query), [costLimitRule(maxCost)]);
}

describe('depth limit', () => {
  const sevenDeep = '{ devices { edges { node { history { edges { node { type } } } } } } }';

  it('counts nested fields and allows up to the limit', () => {
    expect(depthErrors(sevenDeep, 7)).toEqual([]);
    const errors = depthErrors(sevenDeep, 6);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('7 levels deep; at most 6');
    expect(errors[0]?.extensions).toMatchObject({ limit: 'depth', depth: 7, maxDepth: 6 });
  });

  it('follows named and inline fragments', () => {
    const viaFragments = `
      query Q { devices { ...Edges } }
      fragment Edges on DeviceConnection { edges { node { ... on Device { history { ...HistoryEdges } } } } }
      fragment HistoryEdges on DeviceHistoryConnection { edges { node { type } } }`;
    expect(depthErrors(viaFragments, 6)[0]?.extensions).toMatchObject({ depth: 7 });
  });

  it('does not count introspection, which tools send with deep type references', () => {
    expect(depthErrors(getIntrospectionQuery(), 3)).toEqual([]);
  });

  it('stops at a fragment cycle instead of looping', () => {
    const cyclic = 'query Q { devices { ...A } } fragment A on DeviceConnection { ...A totalCount }';
    expect(depthErrors(cyclic, 5)).toEqual([]);
  });
});

describe('cost limit', () => {
  it('multiplies what a connection selects by its page size', () => {
    // devices (1) + 10 x [edges (1) + node (1) + endpoint (1)] = 31
    const query = '{ devices(first: 10) { edges { node { endpoint } } } }';
    expect(costErrors(query, 31)).toEqual([]);
    expect(costErrors(query, 30)[0]?.extensions).toMatchObject({ limit: 'cost', cost: 31, maxCost: 30 });
  });

  it("uses the argument's default page size when first is absent", () => {
    // default first: 50 -> 1 + 50 x 3 = 151
    expect(costErrors('{ devices { edges { node { endpoint } } } }', 150)[0]?.extensions).toMatchObject({ cost: 151 });
  });

  it("uses a variable's default, or the largest page when the variable has none", () => {
    expect(costErrors('query($n: Int = 2) { devices(first: $n) { totalCount } }', 3)).toEqual([]);
    // 1 + 500 x 1
    expect(costErrors('query($n: Int) { devices(first: $n) { totalCount } }', 500)[0]?.extensions).toMatchObject({ cost: 501 });
  });

  it('multiplies nested connections', () => {
    const nested = '{ devices(first: 100) { edges { node { history(first: 100) { edges { node { type } } } } } } }';
    // 1 + 100 x [edges (1) + node (1) + history (1 + 100 x 3)] = 30_301
    expect(costErrors(nested, 30_301)).toEqual([]);
    expect(costErrors(nested, 30_300)).toHaveLength(1);
  });

  it('refuses a hostile operation without computing its whole cost', () => {
    const fields = Array.from({ length: 200 }, (_, i) => `a${i}: devices(first: 500) { edges { node { history(first: 500) { edges { node { type } } } } } }`);
    const errors = costErrors(`{ ${fields.join(' ')} }`, 1000);
    expect(errors[0]?.message).toContain('costs more than 1000; at most 1000 is allowed');
    expect(errors[0]?.extensions).toEqual({ limit: 'cost', maxCost: 1000 });
  });
});

describe('cost limit on introspection', () => {
  const typeCount = Object.keys(schema.getTypeMap()).length;

  it('counts every item an introspection list resolves over the schema', () => {
    // __schema (1) + types (1) + one name per type
    const query = '{ __schema { types { name } } }';
    expect(costErrors(query, 2 + typeCount)).toEqual([]);
    expect(costErrors(query, 1 + typeCount)[0]?.extensions).toMatchObject({ limit: 'cost', maxCost: 1 + typeCount });
  });

  it("counts a type's fields and follows their type references to the end", () => {
    const device = schema.getType('Device');
    if (!isObjectType(device)) throw new Error('Device is an object type');
    const fields = Object.values(device.getFields());
    // A field's type reference has as many levels as its wrappers (Device.endpoint: String! is NON_NULL of String).
    const levels = fields.reduce((sum, field) => sum + typeLevels(field.type), 0);
    // __type (1) + fields (1) + per field: type (1) + per level of its type: kind (1) + ofType (1, null on the last level)
    const query = '{ __type(name: "Device") { fields { type { ...Ref } } } } fragment Ref on __Type { kind ofType { kind ofType { kind ofType { kind ofType { kind } } } } }';
    const expected = 2 + fields.length + levels * 2;
    expect(costErrors(query, expected)).toEqual([]);
    expect(costErrors(query, expected - 1)).toHaveLength(1);
  });

  it('refuses many aliases of a schema walk that each cost one field before', () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: __schema { types { fields { type { ofType { name } } } } }`);
    const errors = costErrors(`{ ${aliases.join(' ')} }`, 50_000);
    expect(errors[0]?.message).toContain('costs more than 50000');
  });

  it('allows the introspection query of GraphQL tools within the default budget', () => {
    const full = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    expect(costErrors(full, defaultOperationLimits.maxCost)).toEqual([]);
    expect(costErrors(full, 1000)).toHaveLength(1);
  });

  it('costs __type with a name from a variable as the largest type', () => {
    const byVariable = 'query($name: String!) { __type(name: $name) { fields { name } } }';
    const largest = Math.max(...Object.values(schema.getTypeMap()).map((type) => (isObjectType(type) ? Object.keys(type.getFields()).length : 0)));
    expect(costErrors(byVariable, 2 + largest)).toEqual([]);
    expect(costErrors(byVariable, 1 + largest)).toHaveLength(1);
  });
});

/** 1 for a named type, one more per List or NonNull wrapper. */
function typeLevels(type: GraphQLType): number {
  return isListType(type) || isNonNullType(type) ? 1 + typeLevels(type.ofType) : 1;
}
