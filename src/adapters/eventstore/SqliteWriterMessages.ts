/**
 * The messages between SqliteEventStore and its writer thread (SqliteWriterWorker).
 *
 * A batch crosses the thread boundary packed: its appends as one string, the writer's outcomes as one
 * transferred Float64Array. Posting a string costs one copy, where the structured clone of the batch
 * as an array of objects and arrays costs a walk of every value on both threads, and every append
 * waits for that hand-over twice (BENCHMARKS.md, "Durable appends with 64 writers: the hand-over
 * packed").
 */
import type { ExpectedRevision } from './EventStore.ts';
import type { AppendOutcome, BatchResult, EventRow, PendingAppend } from './SqliteAppendBatch.ts';

export interface WriterSettings {
  readonly file: string;
  readonly mergeThreshold: number;
}

export type WriterRequest =
  | { readonly kind: 'commit'; readonly appends: string; readonly recordedAt: number }
  | { readonly kind: 'close' };

export type WriterReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'committed'; readonly outcomes: Float64Array<ArrayBuffer>; readonly mergedThrough: number | undefined }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'closed' };

/**
 * Each text field is written as its length, ':' and the text itself, so no character of an event's
 * data, id or stream name needs escaping; a null field is '-'. Per append: stream, expected revision,
 * number of rows, then the seven fields of each row.
 */
export function packAppends(appends: readonly PendingAppend[]): string {
  let packed = '';
  for (const { stream, expected, rows } of appends) {
    packed += packField(stream) + packField(String(expected)) + packField(String(rows.length));
    for (const [id, type, data, correlationId, causationId, actor, schemaVersion] of rows) {
      packed +=
        packField(id) +
        packField(type) +
        packField(data) +
        packField(correlationId) +
        packField(causationId) +
        packField(actor) +
        packField(String(schemaVersion));
    }
  }
  return packed;
}

export function unpackAppends(packed: string): PendingAppend[] {
  const fields = new PackedFields(packed);
  const appends: PendingAppend[] = [];
  while (!fields.done) {
    const stream = fields.text();
    const expected = expectedRevision(fields.text());
    const count = Number(fields.text());
    const rows: EventRow[] = [];
    for (let index = 0; index < count; index++) {
      rows.push([fields.text(), fields.text(), fields.text(), fields.nullable(), fields.nullable(), fields.nullable(), Number(fields.text())]);
    }
    appends.push({ stream, expected, rows });
  }
  return appends;
}

/** Three numbers per append: 1 and its last revision and position, or 0, the stream's actual revision and 0. */
export function packOutcomes(outcomes: readonly AppendOutcome[]): Float64Array<ArrayBuffer> {
  const packed = new Float64Array(outcomes.length * 3);
  outcomes.forEach((outcome, index) => {
    packed[index * 3] = outcome.ok ? 1 : 0;
    packed[index * 3 + 1] = outcome.ok ? outcome.lastRevision : outcome.actual;
    packed[index * 3 + 2] = outcome.ok ? outcome.lastPosition : 0;
  });
  return packed;
}

export function unpackResult(outcomes: Float64Array, mergedThrough: number | undefined): BatchResult {
  const unpacked: AppendOutcome[] = [];
  for (let index = 0; index < outcomes.length; index += 3) {
    const first = outcomes[index + 1] ?? 0;
    unpacked.push(outcomes[index] === 1 ? { ok: true, lastRevision: first, lastPosition: outcomes[index + 2] ?? 0 } : { ok: false, actual: first });
  }
  return { outcomes: unpacked, mergedThrough };
}

function packField(text: string | null): string {
  return text === null ? '-' : `${text.length}:${text}`;
}

function expectedRevision(text: string): ExpectedRevision {
  return text === 'any' || text === 'no_stream' || text === 'stream_exists' ? text : Number(text);
}

/** Reads the fields of a packed batch in order. */
class PackedFields {
  readonly #packed: string;
  #at = 0;

  constructor(packed: string) {
    this.#packed = packed;
  }

  get done(): boolean {
    return this.#at >= this.#packed.length;
  }

  text(): string {
    const text = this.nullable();
    if (text === null) throw new Error(`packed batch: a required field is null at offset ${this.#at}`);
    return text;
  }

  nullable(): string | null {
    if (this.#packed[this.#at] === '-') {
      this.#at++;
      return null;
    }
    const colon = this.#packed.indexOf(':', this.#at);
    const length = Number(this.#packed.slice(this.#at, colon));
    const end = colon + 1 + length;
    if (colon < 0 || !Number.isInteger(length) || end > this.#packed.length) {
      throw new Error(`packed batch: malformed field at offset ${this.#at}`);
    }
    this.#at = end;
    return this.#packed.slice(colon + 1, end);
  }
}
