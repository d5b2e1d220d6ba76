/**
 * A GraphQL document of the console with the types of its result and variables, written by hand next
 * to it (they exist only for the compiler). A test validates every document against schema.graphql,
 * so a document that the schema no longer accepts fails the build's tests, not an operator.
 */
export interface Document<TResult, TVariables> {
  readonly source: string;
  readonly _types?: { result: TResult; variables: TVariables };
}

export function gql<TResult, TVariables = Record<string, never>>(source: string): Document<TResult, TVariables> {
  return { source };
}
