/** Relay connections: edges with their cursors and the page info, forward pagination only. */
export interface Connection<Node> {
  readonly edges: Array<{ cursor: string; node: Node }>;
  readonly totalCount: number;
  readonly pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export function connection<Node>(
  nodes: readonly Node[],
  hasNextPage: boolean,
  totalCount: number,
  after: string | null | undefined,
  cursorOf: (node: Node) => string,
): Connection<Node> {
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage,
      // Forward pagination only (Relay allows false when it is not cheap to know).
      hasPreviousPage: after !== null && after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
