/**
 * The SQLite store's writer thread: it owns the write connection and commits the batches that the
 * store sends it, one at a time. Running the commits here keeps the fsync of every commit off the
 * main thread, whose event loop goes on serving sockets, acknowledging the previous batch and
 * gathering the next one while the disk works (see BENCHMARKS.md, "Event store").
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteAppendBatch } from './SqliteAppendBatch.ts';
import { configureConnection } from './SqliteSchema.ts';
import { SqliteStreamTail } from './SqliteStreamTail.ts';
import type { WriterReply, WriterRequest, WriterSettings } from './SqliteWriterMessages.ts';
import { packOutcomes, unpackAppends } from './SqliteWriterMessages.ts';

const port = parentPort;
if (!port) throw new Error('SqliteWriterWorker runs as a worker thread of SqliteEventStore');
const settings = workerData as WriterSettings;
const db = new DatabaseSync(settings.file);
configureConnection(db);
const batch = new SqliteAppendBatch(db, SqliteStreamTail.load(db), settings.mergeThreshold);

function reply(message: WriterReply): void {
  port?.postMessage(message, message.kind === 'committed' ? [message.outcomes.buffer] : []);
}

port.on('message', (request: WriterRequest) => {
  if (request.kind === 'close') {
    db.close();
    reply({ kind: 'closed' });
    port.close();
    return;
  }
  try {
    const result = batch.commit(unpackAppends(request.appends), request.recordedAt);
    reply({ kind: 'committed', outcomes: packOutcomes(result.outcomes), mergedThrough: result.mergedThrough });
  } catch (error) {
    reply({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
});
reply({ kind: 'ready' });
