/** The device shell's documents. */
import type { PageInfo } from './DeviceDocuments.ts';
import { gql } from './Document.ts';

export interface ShellLine {
  readonly id: string;
  readonly runId: string;
  readonly line: number;
  readonly text: string;
  readonly command: string;
  readonly status: string;
  readonly responseCode: string | null;
  readonly result: string | null;
  readonly requestedAt: string;
  readonly completedAt: string | null;
}

const lineFields = 'id runId line text command status responseCode result requestedAt completedAt';

export const shellHistoryQuery = gql<
  { shellHistory: { totalCount: number; pageInfo: PageInfo; edges: ReadonlyArray<{ node: ShellLine }> } },
  { endpoint: string; after: string | null }
>(`query ShellHistory($endpoint: String!, $after: String) { shellHistory(endpoint: $endpoint, first: 500, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${lineFields} } } } }`);

export const shellLineUpdated = gql<{ shellLineUpdated: ShellLine }, { endpoint: string }>(
  `subscription ShellLineUpdated($endpoint: String!) { shellLineUpdated(endpoint: $endpoint) { ${lineFields} } }`,
);

export const shellMutation = gql<{ shell: { runId: string; lines: readonly ShellLine[] } }, { endpoint: string; command: string }>(
  `mutation Shell($endpoint: String!, $command: String!) { shell(endpoint: $endpoint, command: $command) { runId lines { ${lineFields} } } }`,
);

/** A grammar error of the shell input, as extensions.errors carries it. */
export interface ShellGrammarError {
  readonly line: number;
  readonly column: number;
  readonly message?: string;
  readonly expected?: string;
  readonly usage?: string;
}
