/**
 * Seals many secrets on a worker thread of its own (SealingWorker.ts), under keys derived from the
 * master key: AES-GCM and HMAC over 200,000 keys take about 1.5 CPU-s, which a large import's main
 * thread then spends on its rows instead. The clear bytes cross in one transferred buffer per batch
 * (moved, not copied, so the sending thread keeps none) and the thread zeroes them once sealed.
 */
import { Worker } from 'node:worker_threads';
import type { BulkSecretSealer, SealedSecret } from '../../domain/SealedSecret.ts';
import type { SealingKeys } from './AesGcmSecretSealer.ts';
import { SealingError } from './AesGcmSecretSealer.ts';
import type { SealingReply, SealingRequest } from './SealingMessages.ts';

interface Pending {
  readonly resolve: (sealed: SealedSecret[]) => void;
  readonly reject: (error: Error) => void;
}

export class WorkerBulkSealer implements BulkSecretSealer {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #failure: Error | undefined;

  constructor(keys: SealingKeys) {
    this.#worker = new Worker(new URL('./SealingWorker.ts', import.meta.url), { workerData: keys });
    this.#worker.on('message', (reply: SealingReply) => this.#onReply(reply));
    this.#worker.on('error', (error: unknown) => this.#fail(error instanceof Error ? error : new Error(String(error))));
    this.#worker.on('exit', (code: number) => this.#fail(new SealingError(`the sealing thread exited (code ${code})`)));
    // Idle, the thread does not keep the process alive; it does while a batch is sealed.
    this.#worker.unref();
  }

  sealAll(plaintexts: readonly Uint8Array[]): Promise<SealedSecret[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    const lengths = plaintexts.map((plaintext) => plaintext.length);
    const bytes = new Uint8Array(lengths.reduce((sum, length) => sum + length, 0));
    let offset = 0;
    for (const plaintext of plaintexts) {
      bytes.set(plaintext, offset);
      offset += plaintext.length;
    }
    const id = this.#nextId++;
    const request: SealingRequest = { id, bytes: bytes.buffer, lengths };
    return new Promise<SealedSecret[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage(request, [bytes.buffer]);
    });
  }

  async close(): Promise<void> {
    this.#fail(new SealingError('the bulk sealer is closed'));
    await this.#worker.terminate();
  }

  #onReply(reply: SealingReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if ('sealed' in reply) pending.resolve(reply.sealed);
    else pending.reject(new SealingError(`sealing failed: ${reply.failure}`));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const { reject } of this.#pending.values()) reject(this.#failure);
    this.#pending.clear();
  }
}
