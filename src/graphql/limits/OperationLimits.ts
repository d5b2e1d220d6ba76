/**
 * Depth and cost limits as GraphQL validation rules, so that one definition guards both transports:
 * Apollo runs them on HTTP operations, and the WebSocket server runs them in graphql-ws's
 * `onSubscribe`, which Apollo's validation never sees.
 *
 * Depth: the longest chain of nested fields (fragments followed), introspection fields not counted,
 * as graphql-depth-limit does. Cost: every field costs 1, and a field with a `first` argument (a
 * connection) multiplies the cost of what it selects by its page size: the literal, else the
 * variable's default, else the argument's default, else the largest page. Variables are not known at
 * validation, so a page size given by a variable without a default is assumed to be the largest.
 */
import { GraphQLError, getNamedType, isInterfaceType, isObjectType, Kind } from 'graphql';
import type {
  ASTVisitor,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValueNode,
} from 'graphql';
import { maxPageSize } from '../Cursors.ts';

export interface OperationLimits {
  readonly maxDepth: number;
  readonly maxCost: number;
}

export const defaultOperationLimits: OperationLimits = { maxDepth: 10, maxCost: 50_000 };

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

export function operationLimitRules(limits: OperationLimits): Array<(context: ValidationContext) => ASTVisitor> {
  return [depthLimitRule(limits.maxDepth), costLimitRule(limits.maxCost)];
}

function fragmentsOf(context: ValidationContext): Fragments {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

function operationName(operation: OperationDefinitionNode): string {
  return operation.name ? `operation "${operation.name.value}"` : 'the operation';
}

export function depthLimitRule(maxDepth: number): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    OperationDefinition(operation) {
      const depth = selectionDepth(operation.selectionSet, fragmentsOf(context), new Set());
      if (depth > maxDepth) {
        context.reportError(
          new GraphQLError(`${operationName(operation)} is ${depth} levels deep; at most ${maxDepth} are allowed`, {
            nodes: [operation],
            extensions: { limit: 'depth', depth, maxDepth },
          }),
        );
      }
    },
  });
}

function selectionDepth(selectionSet: SelectionSetNode, fragments: Fragments, visiting: ReadonlySet<string>): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      depth = 1 + (selection.selectionSet ? selectionDepth(selection.selectionSet, fragments, visiting) : 0);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = selectionDepth(selection.selectionSet, fragments, visiting);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      // A cycle is reported by the standard NoFragmentCycles rule; here it just stops the walk.
      if (!fragment || visiting.has(name)) continue;
      depth = selectionDepth(fragment.selectionSet, fragments, new Set([...visiting, name]));
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

export function costLimitRule(maxCost: number): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    OperationDefinition(operation) {
      const schema = context.getSchema();
      const root = schema.getRootType(operation.operation);
      if (!root) return;
      const walk: CostWalk = { schema, fragments: fragmentsOf(context), variables: variableDefaults(operation), maxCost };
      const cost = selectionCost(operation.selectionSet, root, walk, new Set());
      if (cost > maxCost) {
        context.reportError(
          new GraphQLError(`${operationName(operation)} costs ${cost > maxCost * 10 ? `more than ${maxCost * 10}` : cost}; at most ${maxCost} is allowed`, {
            nodes: [operation],
            extensions: { limit: 'cost', cost, maxCost },
          }),
        );
      }
    },
  });
}

function variableDefaults(operation: OperationDefinitionNode): ReadonlyMap<string, ValueNode | undefined> {
  return new Map((operation.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, definition.defaultValue]));
}

interface CostWalk {
  readonly schema: GraphQLSchema;
  readonly fragments: Fragments;
  readonly variables: ReadonlyMap<string, ValueNode | undefined>;
  readonly maxCost: number;
}

/** The cost of a selection; stops adding once it is far beyond the limit, so hostile queries stay cheap to refuse. */
function selectionCost(selectionSet: SelectionSetNode, parentType: GraphQLNamedType, walk: CostWalk, visiting: ReadonlySet<string>): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (total > walk.maxCost * 10) break;
    if (selection.kind === Kind.FIELD) {
      const field = fieldOf(parentType, selection.name.value);
      const childType = field ? getNamedType(field.type) : undefined;
      const children = selection.selectionSet && childType ? selectionCost(selection.selectionSet, childType, walk, visiting) : 0;
      total += 1 + pageSizeOf(selection.arguments ?? [], field, walk.variables) * children;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const typeName = selection.typeCondition?.name.value;
      const type = (typeName !== undefined ? walk.schema.getType(typeName) : undefined) ?? parentType;
      total += selectionCost(selection.selectionSet, type, walk, visiting);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      const type = walk.schema.getType(fragment.typeCondition.name.value) ?? parentType;
      total += selectionCost(fragment.selectionSet, type, walk, new Set([...visiting, name]));
    }
  }
  return total;
}

function fieldOf(type: GraphQLNamedType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
}

function pageSizeOf(
  args: readonly { readonly name: { readonly value: string }; readonly value: ValueNode }[],
  field: GraphQLField<unknown, unknown> | undefined,
  variables: ReadonlyMap<string, ValueNode | undefined>,
): number {
  const firstDefinition = field?.args.find((arg) => arg.name === 'first');
  if (!firstDefinition) return 1;
  const given = args.find((arg) => arg.name.value === 'first')?.value;
  const value = given?.kind === Kind.VARIABLE ? variables.get(given.name.value) : given;
  if (value?.kind === Kind.INT) return Math.max(0, Number(value.value));
  if (given?.kind === Kind.VARIABLE) return maxPageSize;
  return typeof firstDefinition.defaultValue === 'number' ? firstDefinition.defaultValue : maxPageSize;
}
