/** The messages between WorkerBulkSealer and its sealing thread (SealingWorker.ts). */
import type { SealedSecret } from '../../domain/SealedSecret.ts';

export interface SealingRequest {
  readonly id: number;
  /** The plaintexts one after another, transferred (the sender keeps no copy). */
  readonly bytes: ArrayBuffer;
  readonly lengths: readonly number[];
}

export type SealingReply = { readonly id: number; readonly sealed: SealedSecret[] } | { readonly id: number; readonly failure: string };
