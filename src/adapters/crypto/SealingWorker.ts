/**
 * The sealing thread of a WorkerBulkSealer: it seals batches of secrets under the keys it was started
 * with (derived keys, never the master key) and zeroes each batch's clear bytes once sealed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SealingKeys } from './AesGcmSecretSealer.ts';
import { AesGcmSecretSealer } from './AesGcmSecretSealer.ts';
import type { SealingReply, SealingRequest } from './SealingMessages.ts';

const port = parentPort;
if (!port) throw new Error('SealingWorker runs as a worker thread of WorkerBulkSealer');
const sealer = new AesGcmSecretSealer(workerData as SealingKeys);

port.on('message', (request: SealingRequest) => {
  const bytes = new Uint8Array(request.bytes);
  let reply: SealingReply;
  try {
    const sealed = [];
    let offset = 0;
    for (const length of request.lengths) {
      sealed.push(sealer.seal(bytes.subarray(offset, offset + length)));
      offset += length;
    }
    reply = { id: request.id, sealed };
  } catch (error) {
    reply = { id: request.id, failure: error instanceof Error ? error.message : String(error) };
  } finally {
    bytes.fill(0);
  }
  port.postMessage(reply);
});
