/**
 * Projections: how fast the read models are rebuilt from a log of 100,000 device events (what
 * `lwm2m-hub replay` and the rebuildReadModels mutation do) next to reading the same log alone (the
 * yardstick: what no rebuild can beat), and how soon a live append reaches the
 * read models and their listeners (what a GraphQL subscription waits for). Real SQLite files in a temp
 * directory: the event store (synchronous=FULL) and the read models (WAL, synchronous=NORMAL).
 *
 * `--rounds N` (3 by default): N rounds of the yardstick then a rebuild, each round's CPU per log
 * event printed, and their medians. `--profile FILE`: the last round's rebuild is profiled with V8's
 * sampler (the one `node --cpu-prof` uses, here on the rebuild alone, every 100 µs), written to FILE,
 * and the top 15 functions by self time printed per log event.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteEventStore } from '../src/adapters/eventstore/SqliteEventStore.ts';
import type { NewEvent } from '../src/adapters/eventstore/EventStore.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';
import { LogFeed } from '../src/app/kernel/LogFeed.ts';
import { deviceStream } from '../src/domain/devices/DeviceEvents.ts';
import type { DeviceRegistrationData } from '../src/domain/devices/DeviceEvents.ts';
import type { JsonValue } from '../src/domain/Json.ts';
import { DeviceQueries } from '../src/projections/devices/DeviceQueries.ts';
import { DeviceHistoryQueries } from '../src/projections/history/DeviceHistoryQueries.ts';
import { Projector } from '../src/projections/Projector.ts';
import { ReadModelDatabase } from '../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../src/projections/ReadModels.ts';
import type { CpuProfile } from './CpuProfileSummary.ts';
import { selfTimeTable } from './CpuProfileSummary.ts';

const { values: options } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, profile: { type: 'string' } } });
const rounds = Number(options.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number >= 1, not ${options.rounds}`);

const devices = 20_000;
const eventsPerDevice = 5;
const liveSamples = 200;

function registration(endpoint: string): DeviceRegistrationData {
  return {
    endpoint, externalId: `imei-${endpoint}`, idType: 'IMEI', name: endpoint, type: 'c8y_lwm2m', shellEnabled: false, agent: true,
    serverUri: 'coaps://lwm2m.example.com:5684', securityMode: 'PSK', lwm2mPskId: endpoint,
    lwm2mPskKey: { sealed: 'A'.repeat(64), fingerprint: 'F'.repeat(43) }, bootstrapPskId: `${endpoint}-bs`,
    bootstrapPskKey: { sealed: 'B'.repeat(64), fingerprint: 'G'.repeat(43) }, serverPublicKey: null,
    generateBootstrapServerConfig: false, securityInstanceOffset: 0, bootstrapShortServerId: 0, lwm2mShortServerId: 1,
    registrationLifetime: 300, defaultMinimumPeriod: null, defaultMaximumPeriod: null, bindingMode: 'UQ',
    notificationIfDisabled: null, disableTimeout: null, externalBootstrapPskId: null,
  };
}

const json = (value: object): JsonValue => JSON.parse(JSON.stringify(value)) as JsonValue;
const metadata = { actor: 'user:bench', correlationId: 'bench' };

function deviceEvents(endpoint: string): NewEvent[] {
  return [
    { type: 'DeviceRegistrationImported', data: json({ registration: registration(endpoint), importId: 'bench', line: 2 }), metadata },
    ...Array.from({ length: eventsPerDevice - 1 }, (_, n) => ({
      type: 'DeviceRegistrationUpdated',
      data: json({ endpoint, changes: { name: `name-${n}`, registrationLifetime: 300 + n }, importId: `bench-${n}`, line: 2 }),
      metadata,
    })),
  ];
}

/** CPU time of the process (user + system, all threads) since `since`, in microseconds: load on a shared machine inflates it far less than wall time. */
function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-projections-'));
try {
  const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  const appendStarted = performance.now();
  for (let first = 0; first < devices; first += 1000) {
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.appendToStream(deviceStream(`dev-${first + i}`), deviceEvents(`dev-${first + i}`), 'no_stream')),
    );
  }
  const appendSeconds = (performance.now() - appendStarted) / 1000;
  const head = await store.headPosition();

  const database = ReadModelDatabase.open(dir);
  const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: readModelProjections, logger: silentLogger() });
  projector.start();
  await projector.waitFor(head, Number.POSITIVE_INFINITY);

  // Each round: the yardstick, reading the same log alone as a rebuild reads it (the same pages, the
  // data decoded and its text kept, nothing applied), then a rebuild; CPU time of the process per log
  // event for both.
  const profiler = options.profile === undefined ? undefined : new Session();
  profiler?.connect();
  await profiler?.post('Profiler.enable');
  await profiler?.post('Profiler.setSamplingInterval', { interval: 100 });
  let profile: CpuProfile | undefined;
  const roundRows: Array<{ readSeconds: number; readMicros: number; rebuildSeconds: number; rebuildMicros: number; applied: number }> = [];
  for (let round = 0; round < rounds; round++) {
    const readCpu = process.cpuUsage();
    const readStarted = performance.now();
    for (let after = 0; after < head; ) {
      const page = await store.readAll({ after, maxCount: 1000, withDataJson: true });
      after = page[page.length - 1]?.position ?? head;
    }
    const readSeconds = (performance.now() - readStarted) / 1000;
    const readMicros = cpuMicros(readCpu) / head;
    const profiled = profiler !== undefined && round === rounds - 1;
    if (profiled) await profiler.post('Profiler.start');
    const rebuildCpu = process.cpuUsage();
    const rebuild = await projector.rebuild();
    const rebuildMicros = cpuMicros(rebuildCpu) / head;
    if (profiled) profile = (await profiler.post('Profiler.stop')).profile as CpuProfile;
    roundRows.push({ readSeconds, readMicros, rebuildSeconds: rebuild.durationMs / 1000, rebuildMicros, applied: rebuild.events });
  }
  profiler?.disconnect();
  let profileSummary = '';
  if (profile && options.profile !== undefined) {
    writeFileSync(options.profile, JSON.stringify(profile));
    profileSummary = `\nProfile of the last rebuild (${options.profile}), main thread, self time:\n\n${selfTimeTable(profile, 15, head, 'log event')}\n`;
  }

  const samples: number[] = [];
  for (let i = 0; i < liveSamples; i++) {
    const endpoint = `dev-${i}`;
    let appendedAt = 0;
    const seen = new Promise<number>((resolve) => {
      const stop = projector.onProjected(({ projection, event }) => {
        if (projection === 'devices' && event.stream === deviceStream(endpoint) && event.revision === eventsPerDevice) {
          stop();
          resolve(performance.now());
        }
      });
    });
    const event: NewEvent = { type: 'DeviceRegistrationUpdated', data: json({ endpoint, changes: { name: 'live' }, importId: 'live', line: 2 }), metadata };
    await store.appendToStream(deviceStream(endpoint), [event], eventsPerDevice - 1);
    appendedAt = performance.now();
    samples.push((await seen) - appendedAt);
  }
  samples.sort((a, b) => a - b);

  const queries = new DeviceQueries(database.db);
  const history = new DeviceHistoryQueries(database.db);
  const queryStarted = performance.now();
  for (let i = 0; i < 1000; i++) {
    queries.page({}, 50, `dev-${i * 7}`);
    history.page(`dev-${i * 13}`, 50, 0);
  }
  const queryMicros = ((performance.now() - queryStarted) * 1000) / 2000;

  await projector.close();
  database.close();
  await store.close();

  process.stdout.write(`Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()[0]?.toFixed(1)}\n\n`);
  process.stdout.write('| measurement | result |\n|---|---|\n');
  process.stdout.write(`| log: device events appended (${devices} devices x ${eventsPerDevice}) | ${head} in ${appendSeconds.toFixed(1)} s |\n`);
  process.stdout.write(`| rebuild of ${readModelProjections.length} read models (2 of which read device events): events in the log | ${head} |\n`);
  roundRows.forEach((row, round) => {
    process.stdout.write(`| round ${round + 1}: yardstick, the log read alone in pages of 1,000: duration, CPU per event | ${row.readSeconds.toFixed(2)} s, ${row.readMicros.toFixed(2)} µs |\n`);
    process.stdout.write(`| round ${round + 1}: rebuild (into a replacement file, swapped in): duration, CPU per event | ${row.rebuildSeconds.toFixed(2)} s, ${row.rebuildMicros.toFixed(2)} µs |\n`);
  });
  const readMicros = median(roundRows.map((row) => row.readMicros));
  const rebuildMicros = median(roundRows.map((row) => row.rebuildMicros));
  const rebuildSeconds = median(roundRows.map((row) => row.rebuildSeconds));
  process.stdout.write(`| median: yardstick CPU per log event (log events per CPU-second) | ${readMicros.toFixed(2)} µs (${Math.round(1e6 / readMicros).toLocaleString('en')}) |\n`);
  process.stdout.write(`| median: rebuild CPU per log event (log events per CPU-second); ratio to the yardstick | ${rebuildMicros.toFixed(2)} µs (${Math.round(1e6 / rebuildMicros).toLocaleString('en')}); ${(rebuildMicros / readMicros).toFixed(2)} |\n`);
  process.stdout.write(`| median: rebuild log events/s (wall) | ${Math.round(head / rebuildSeconds).toLocaleString('en')} |\n`);
  process.stdout.write(`| rebuild: device events applied (sum over the read models) | ${roundRows[0]?.applied ?? 0} |\n`);
  process.stdout.write(`| live: append acknowledged -> read model committed, listener told (p50 / p99 of ${liveSamples}) | ${percentile(samples, 50).toFixed(2)} ms / ${percentile(samples, 99).toFixed(2)} ms |\n`);
  process.stdout.write(`| read model query: a page of 50 devices or history entries (mean) | ${queryMicros.toFixed(0)} us |\n`);
  process.stdout.write(profileSummary);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
