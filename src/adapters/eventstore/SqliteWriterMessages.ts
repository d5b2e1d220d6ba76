/** The messages between SqliteEventStore and its writer thread (SqliteWriterWorker). */
import type { BatchResult, PendingAppend } from './SqliteAppendBatch.ts';

export interface WriterSettings {
  readonly file: string;
  readonly mergeThreshold: number;
}

export type WriterRequest =
  | { readonly kind: 'commit'; readonly appends: readonly PendingAppend[]; readonly recordedAt: number }
  | { readonly kind: 'close' };

export type WriterReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'committed'; readonly result: BatchResult }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'closed' };
