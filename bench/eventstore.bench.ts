/**
 * Event store benchmark (embedded SQLite store, durable: WAL with synchronous=FULL).
 *
 *   node bench/eventstore.bench.ts            everything below
 *   node bench/eventstore.bench.ts appends    the disk's fsync, then three rounds of 64 writers beside their yardstick
 *   node bench/eventstore.bench.ts appends store-only    the same without the yardstick (for a profile of the store)
 *
 * Measures the disk's fsync latency (what bounds durable commits), durable appends per second for one
 * writer and for 64 concurrent writers to different streams (one event per append, each awaited before
 * the next, so every event is acknowledged only once durable), then fills the log to 1,000,000 events
 * and measures readAll and a catch-up subscription over all of them.
 * Targets (2 cores): >= 100,000 durable events/s with 64 concurrent writers (yardstick: bare node:sqlite
 * inserts of 64 events per transaction in the same run); catch-up >= 300,000 events/s.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { SqliteEventStore } from '../src/adapters/eventstore/SqliteEventStore.ts';
import { configureConnection, createSchema } from '../src/adapters/eventstore/SqliteSchema.ts';
import type { NewEvent } from '../src/adapters/eventstore/EventStore.ts';

const logSize = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-'));
const rows: Array<[string, string, string]> = [];
/** Counts the runs of durableAppends, so that each writes streams of its own. */
let runs = 0;
const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');

function measurement(writer: number, sequence: number): NewEvent {
  return {
    type: 'ResourceValueReported',
    data: { endpoint: `urn:imei:3548690${String(writer).padStart(8, '0')}`, path: '/3303/0/5700', value: 20 + (sequence % 100) / 10, time: 1_764_000_000_000 + sequence },
    metadata: { correlationId: `c-${writer}-${sequence}`, actor: `device:${writer}` },
  };
}

function fsyncLatency(): { median: number; p99: number } {
  const fd = openSync(join(dir, 'fsync-probe'), 'w');
  const samples: number[] = [];
  const block = Buffer.alloc(4096, 1);
  for (let index = 0; index < 300; index++) {
    writeSync(fd, block);
    const start = performance.now();
    fdatasyncSync(fd);
    samples.push(performance.now() - start);
  }
  closeSync(fd);
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)] ?? 0, p99: samples[Math.floor(samples.length * 0.99)] ?? 0 };
}

/** Bytes this process has caused to be written to disk so far (Linux). */
function bytesWritten(): number {
  return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
}

/**
 * `writers` concurrent writers, each awaiting its append before the next, for `seconds`: events per
 * second, commits per second and events per commit, and bytes written to disk per event (the WAL and
 * its checkpoints). The store acknowledges each commit's appends in one turn of the event loop, so
 * the turns in which appends resume count the commits.
 */
async function durableAppends(store: SqliteEventStore, writers: number, seconds: number): Promise<string> {
  runs++;
  let appended = 0;
  let commits = 0;
  let inCommit = false;
  const written = bytesWritten();
  const cpu = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const stream = `device-${runs}-${writer}`;
      for (let sequence = 0; performance.now() < end; sequence++) {
        await store.appendToStream(stream, [measurement(writer, sequence)], sequence === 0 ? 'no_stream' : sequence - 1);
        appended++;
        if (!inCommit) {
          inCommit = true;
          commits++;
          setImmediate(() => (inCommit = false));
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return `${fmt(appended / elapsed)} events/s (${fmt(commits / elapsed)} commits/s, ${(appended / commits).toFixed(1)} events per commit, ${fmt((bytesWritten() - written) / appended)} bytes written, ${cpuPerEvent(cpu, appended).toFixed(1)} µs CPU per event)`;
}

/**
 * The yardstick of the 64 writers: bare node:sqlite on this thread, the store's schema and settings
 * (WAL, synchronous=FULL), the same events inserted 64 to a transaction (as many as 64 writers that
 * each await their append can share a commit), one after another for `seconds`. No thread hand-over,
 * no promises, no expected-revision checks: what the disk and SQLite allow.
 */
function rawBatchedInserts(batch: number, seconds: number): string {
  const db = new DatabaseSync(join(dir, `raw-${randomUUID()}.sqlite`));
  configureConnection(db);
  createSchema(db);
  const insert = db.prepare(
    `INSERT INTO events (position, stream, revision, id, type, data, correlation_id, causation_id, actor, schema_version, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let position = 0;
  for (let sequence = 0; performance.now() < end; sequence++) {
    db.exec('BEGIN IMMEDIATE');
    for (let writer = 0; writer < batch; writer++) {
      const { type, data, metadata } = measurement(writer, sequence);
      position++;
      insert.run(position, `raw-${writer}`, sequence, randomUUID(), type, JSON.stringify(data), metadata?.correlationId ?? null, null, metadata?.actor ?? null, 1, Date.now());
    }
    db.exec('COMMIT');
  }
  const rate = position / ((performance.now() - start) / 1000);
  db.close();
  return `${fmt(rate)} events/s (${cpuPerEvent(cpu, position).toFixed(1)} µs CPU per event)`;
}

/** Fills the log up to `size` events quickly: large appends from 16 writers. */
async function fill(store: SqliteEventStore, size: number): Promise<number> {
  const start = performance.now();
  let head = await store.headPosition();
  const batch = 500;
  while (head < size) {
    const appends = Array.from({ length: 16 }, (_, writer) =>
      store.appendToStream(`fill-${writer}`, Array.from({ length: batch }, (_, index) => measurement(writer, head + index)), 'any'),
    );
    await Promise.all(appends);
    head = await store.headPosition();
  }
  return head / ((performance.now() - start) / 1000);
}

/** Process CPU time (all threads) per event, in microseconds, since `since`: contention inflates it far less than wall time. */
function cpuPerEvent(since: NodeJS.CpuUsage, events: number): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / events;
}

async function readAllRate(store: SqliteEventStore): Promise<{ rate: number; events: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let after = 0;
  let events = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: 10_000 });
    const last = page.at(-1);
    if (!last) break;
    events += page.length;
    after = last.position;
  }
  return { rate: events / ((performance.now() - start) / 1000), events, cpu: cpuPerEvent(cpu, events) };
}

async function catchUpRate(store: SqliteEventStore, events: number): Promise<{ rate: number; cpu: number }> {
  const subscription = store.subscribeToAll();
  const cpu = process.cpuUsage();
  const start = performance.now();
  let received = 0;
  for await (const event of subscription) {
    received++;
    if (received === events || event.position === events) break;
  }
  await subscription.close();
  return { rate: received / ((performance.now() - start) / 1000), cpu: cpuPerEvent(cpu, received) };
}

const loadBefore = loadavg()[0] ?? 0;
try {
  const latency = fsyncLatency();
  rows.push(['fdatasync of a 4 KiB write (disk latency)', `median ${latency.median.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`, '']);

  const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  if (process.argv[2] === 'appends') {
    for (let round = 1; round <= 3; round++) {
      rows.push([`round ${round}: durable appends, 64 concurrent writers to different streams`, await durableAppends(store, 64, 4), '>= 100,000 events/s']);
      if (process.argv[3] !== 'store-only') rows.push([`round ${round}: yardstick: bare node:sqlite inserts, 64 events per transaction`, rawBatchedInserts(64, 4), '']);
    }
  } else {
    await everyFigure(store);
  }
  await store.close();
  report();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function everyFigure(store: SqliteEventStore): Promise<void> {
  rows.push(['durable appends, 1 writer (1 event per append)', await durableAppends(store, 1, 3), '']);
  rows.push(['durable appends, 64 concurrent writers to different streams', await durableAppends(store, 64, 5), '>= 100,000 events/s']);
  rows.push(['yardstick: bare node:sqlite inserts, 64 events per transaction, same schema and settings', rawBatchedInserts(64, 5), '']);
  rows.push([`fill to ${fmt(logSize)} events (16 writers, 500-event appends)`, `${fmt(await fill(store, logSize))} events/s`, '']);
  const read = await readAllRate(store);
  rows.push([`readAll over ${fmt(read.events)} events (pages of 10,000)`, `${fmt(read.rate)} events/s (${read.cpu.toFixed(2)} µs CPU per event)`, '']);
  const catchUp = await catchUpRate(store, await store.headPosition());
  rows.push([`catch-up subscription over ${fmt(read.events)} events`, `${fmt(catchUp.rate)} events/s (${catchUp.cpu.toFixed(2)} µs CPU per event)`, '>= 300,000 events/s']);
}

function report(): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(`Event store (SQLite, node:sqlite, WAL, synchronous=FULL) — ${new Date().toISOString()}, ${cpus().length} cores (${cpu}), Node ${process.version}, load average ${loadBefore.toFixed(1)} before / ${(loadavg()[0] ?? 0).toFixed(1)} after\n\n`);
  process.stdout.write('| measurement | result | target |\n|---|---|---|\n');
  for (const [name, result, target] of rows) process.stdout.write(`| ${name} | ${result} | ${target} |\n`);
}
