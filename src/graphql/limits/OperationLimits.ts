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
 *
 * Introspection (`__schema`, `__type`) is costed by what it would resolve: its lists (types, fields,
 * arguments...) are walked over this schema, which validation has at hand, one per item. Counting it
 * as one field would let a query alias `__schema { types { fields { ... } } }` thousands of times, each
 * resolving the whole schema again, and exhaust the server's memory within the budget. The walk stops
 * as soon as it is over the budget, so refusing costs no more than the budget's worth of steps.
 */
import {
  GraphQLError,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
} from 'graphql';
import type {
  ASTVisitor,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLArgument,
  GraphQLDirective,
  GraphQLEnumValue,
  GraphQLInputField,
  GraphQLNamedType,
  GraphQLSchema,
  GraphQLType,
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
        // Past ten times the budget (or an introspection walk past the budget) the walk stopped: the cost is only known to be too high.
        const known = Number.isFinite(cost) && cost <= maxCost * 10;
        context.reportError(
          new GraphQLError(`${operationName(operation)} costs ${known ? cost : `more than ${maxCost}`}; at most ${maxCost} is allowed`, {
            nodes: [operation],
            extensions: { limit: 'cost', ...(known ? { cost } : {}), maxCost },
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
      const introspection = introspectionRoot(selection, walk);
      if (introspection) {
        const budget = walk.maxCost - total;
        const cost = 1 + introspectionCost(selection.selectionSet, introspection.type, introspection.value, walk, visiting, budget);
        total += cost > budget ? Number.POSITIVE_INFINITY : cost;
        continue;
      }
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


/** What introspection walks over: the schema and the parts of it the introspection types describe. */
type Introspected = GraphQLSchema | GraphQLType | GraphQLField<unknown, unknown> | GraphQLArgument | GraphQLInputField | GraphQLEnumValue | GraphQLDirective;

/** What `__schema` or `__type(name:)` resolves to, with its introspection type; undefined for other fields. */
function introspectionRoot(selection: FieldNode, walk: CostWalk): { readonly type: GraphQLNamedType; readonly value: Introspected | undefined } | undefined {
  if (selection.name.value === SchemaMetaFieldDef.name) return { type: getNamedType(SchemaMetaFieldDef.type), value: walk.schema };
  if (selection.name.value !== TypeMetaFieldDef.name) return undefined;
  const name = selection.arguments?.find((arg) => arg.name.value === 'name')?.value;
  // A name given by a variable is unknown at validation: cost it as the type with the most members.
  const value = name?.kind === Kind.STRING ? walk.schema.getType(name.value) : largestType(walk.schema);
  return { type: getNamedType(TypeMetaFieldDef.type), value: value ?? undefined };
}

function largestType(schema: GraphQLSchema): GraphQLNamedType | undefined {
  let largest: GraphQLNamedType | undefined;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!largest || memberCount(type) > memberCount(largest)) largest = type;
  }
  return largest;
}

function memberCount(type: GraphQLNamedType): number {
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) return Object.keys(type.getFields()).length;
  return isEnumType(type) ? type.getValues().length : 0;
}

/**
 * The number of fields an introspection selection resolves on `value`, or a number above `budget` as
 * soon as it is over.
 */
function introspectionCost(
  selectionSet: SelectionSetNode | undefined,
  type: GraphQLNamedType,
  value: Introspected | undefined,
  walk: CostWalk,
  visiting: ReadonlySet<string>,
  budget: number,
): number {
  if (!selectionSet || value === undefined) return 0;
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (total > budget) break;
    if (selection.kind === Kind.FIELD) {
      total += 1;
      const field = fieldOf(type, selection.name.value);
      if (!field || !selection.selectionSet) continue;
      const childType = getNamedType(field.type);
      for (const item of introspectionItems(walk.schema, `${type.name}.${field.name}`, value)) {
        if (total > budget) break;
        total += introspectionCost(selection.selectionSet, childType, item, walk, visiting, budget - total);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      total += introspectionCost(selection.selectionSet, type, value, walk, visiting, budget - total);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      total += introspectionCost(fragment.selectionSet, type, value, walk, new Set([...visiting, name]), budget - total);
    }
  }
  return total;
}

/**
 * What an introspection field (`__Type.fields`...) resolves to over the schema, as a list: one item for
 * an object, none for null. It follows the introspection types of the GraphQL spec (section 4.2);
 * deprecated members are counted whether or not the query asks for them.
 */
function introspectionItems(schema: GraphQLSchema, field: string, value: Introspected): readonly Introspected[] {
  switch (field) {
    case '__Schema.types':
      return Object.values(schema.getTypeMap());
    case '__Schema.directives':
      return schema.getDirectives();
    case '__Schema.queryType':
      return [schema.getQueryType()].filter((type) => type !== undefined && type !== null);
    case '__Schema.mutationType':
      return [schema.getMutationType()].filter((type) => type !== undefined && type !== null);
    case '__Schema.subscriptionType':
      return [schema.getSubscriptionType()].filter((type) => type !== undefined && type !== null);
    case '__Type.fields':
      return isObjectType(value) || isInterfaceType(value) ? Object.values(value.getFields()) : [];
    case '__Type.inputFields':
      return isInputObjectType(value) ? Object.values(value.getFields()) : [];
    case '__Type.interfaces':
      return isObjectType(value) || isInterfaceType(value) ? value.getInterfaces() : [];
    case '__Type.possibleTypes':
      return isAbstractType(value) ? schema.getPossibleTypes(value) : [];
    case '__Type.enumValues':
      return isEnumType(value) ? value.getValues() : [];
    case '__Type.ofType':
      return isListType(value) || isNonNullType(value) ? [value.ofType] : [];
    case '__Field.args':
    case '__Directive.args':
      return 'args' in value ? value.args : [];
    case '__Field.type':
    case '__InputValue.type':
      return 'type' in value ? [value.type] : [];
    default:
      return [];
  }
}
