/**
 * The read models' share of a notification: the projector (every read model, on a real read-model
 * SQLite file) fed a fleet's flow of values as the log feed hands it over, for several numbers of
 * notifications per read-model transaction, and two page-cache sizes.
 *
 *   node bench/notifications-projection.bench.ts [devices] [notifications per case]
 *
 * Each notification is the two events the service appends for a temperature with Send measurement:
 * `ResourceValuesReported` on `resources-<endpoint>` and `MeasurementCreated` on
 * `telemetry-<endpoint>`, the devices taking turns. A case hands the projector groups of N
 * notifications, one feed batch each (N = 1 is a transaction per notification, as when every store
 * commit reached the read models alone; the projector's group commit makes N the notifications of
 * 2 ms under load). The figure is the process's CPU time (user + system) per notification, which the
 * machine's load moves less than wall time; wall time is shown beside it (a commit's writes to the
 * write-ahead log are where the two part). The yardstick, in the same run: the same rows inserted by
 * bare prepared statements, one transaction per group, without the projector.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';
import type { JsonValue } from '../src/domain/Json.ts';
import type { ResourceValuesReported } from '../src/domain/observations/ResourceValueEvents.ts';
import { resourceStream } from '../src/domain/observations/ResourceValueEvents.ts';
import type { MeasurementCreated } from '../src/domain/telemetry/TelemetryEvents.ts';
import { telemetryStream } from '../src/domain/telemetry/TelemetryEvents.ts';
import type { LogFeedMember } from '../src/projections/Projector.ts';
import { Projector } from '../src/projections/Projector.ts';
import { ReadModelDatabase } from '../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../src/projections/ReadModels.ts';

const devices = Number(process.argv[2] ?? 500);
const notifications = Number(process.argv[3] ?? 100_000);
const groups = [1, 5, 25, 125, 500];
const cacheSizes = [{ name: '2 MiB (SQLite default)', pragma: -2000 }, { name: '32 MiB (the service)', pragma: -32_768 }];
const start = Date.parse('2026-12-07T00:00:00Z');

/** The two events of notification `index`, at positions after `position`. */
function notificationEvents(index: number, position: number): RecordedEvent[] {
  const endpoint = `bench-${String(index % devices).padStart(6, '0')}`;
  const time = new Date(start + index).toISOString();
  const value = 20 + (index % 50) / 10;
  const reported: ResourceValuesReported = {
    endpoint,
    source: 'notification',
    operationId: `observe-${endpoint}`,
    observationToken: 'a1b2c3d4',
    values: [{ path: '/3303/0/5700', value: { type: 'float', text: String(value) }, time: null }],
    receivedAt: time,
  };
  const measurement: MeasurementCreated = { endpoint, type: 'c8y_TemperatureMeasurement', series: 'T', value, unit: 'Cel', time, source: { path: '/3303/0/5700', protocolVersion: '1.0', rule: 'sendMeasurement' } };
  const revision = Math.floor(index / devices);
  const recordedAt = new Date(start + index);
  return [
    { id: `r${index}`, type: 'ResourceValuesReported', data: reported as unknown as JsonValue, metadata: { schemaVersion: 1, actor: `device:${endpoint}` }, stream: resourceStream(endpoint), revision, position: position + 1, recordedAt },
    { id: `m${index}`, type: 'MeasurementCreated', data: measurement as unknown as JsonValue, metadata: { schemaVersion: 1, actor: `device:${endpoint}` }, stream: telemetryStream(endpoint), revision, position: position + 2, recordedAt },
  ];
}

interface Figures {
  readonly cpuMicros: number;
  readonly wallMicros: number;
}

function measured(run: () => void): Figures {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  run();
  const used = process.cpuUsage(cpu);
  return { cpuMicros: (used.user + used.system) / notifications, wallMicros: ((performance.now() - wall) * 1000) / notifications };
}

/** The projector with every read model, served by a feed this benchmark drives. */
async function projectorCase(group: number, cachePages: number): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-notify-proj-'));
  const database = ReadModelDatabase.open(dir);
  database.db.exec(`PRAGMA cache_size = ${cachePages}`);
  let member: LogFeedMember | undefined;
  // Every batch is committed as handed over: the group is the batch.
  const projector = new Projector({
    store: new MemoryEventStore(),
    feed: { join: (joining) => Promise.resolve(void (member = joining)), leave: () => undefined },
    database,
    projections: readModelProjections,
    logger: silentLogger(),
    groupCommitMs: 0,
    maxBatch: 2 * group,
  });
  projector.start();
  await projector.waitFor(0);
  const feed = member;
  if (feed === undefined) throw new Error('the projector did not join the feed');
  try {
    return measured(() => {
      let batch: RecordedEvent[] = [];
      for (let index = 0; index < notifications; index++) {
        batch.push(...notificationEvents(index, 2 * index));
        if (batch.length === 2 * group) {
          feed.deliver(batch, 2 * (index + 1));
          batch = [];
        }
      }
      if (batch.length > 0) feed.deliver(batch, 2 * notifications);
    });
  } finally {
    await projector.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The yardstick: the same rows by bare statements, a transaction per group. */
function bareCase(group: number, cachePages: number): Figures {
  const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-notify-bare-'));
  const database = ReadModelDatabase.open(dir);
  const { db } = database;
  db.exec(`PRAGMA cache_size = ${cachePages}`);
  for (const projection of readModelProjections) projection.create(db);
  const upsert = db.prepare(`INSERT INTO resource_values (endpoint, path, type, text, time, device_time, source) VALUES (?, ?, ?, ?, ?, 0, 'notification')
    ON CONFLICT(endpoint, path) DO UPDATE SET type = excluded.type, text = excluded.text, time = excluded.time`);
  const insert = db.prepare('INSERT INTO measurements (position, endpoint, type, series, value, unit, time, time_ms, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  try {
    return measured(() => {
      for (let first = 0; first < notifications; first += group) {
        db.exec('BEGIN');
        for (let index = first; index < Math.min(notifications, first + group); index++) {
          const endpoint = `bench-${String(index % devices).padStart(6, '0')}`;
          const time = new Date(start + index).toISOString();
          const value = 20 + (index % 50) / 10;
          upsert.run(endpoint, '/3303/0/5700', 'float', String(value), time);
          insert.run(2 * index + 2, endpoint, 'c8y_TemperatureMeasurement', 'T', value, 'Cel', time, start + index, '{"path":"/3303/0/5700"}');
        }
        db.exec('COMMIT');
      }
    });
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const format = (value: number): string => value.toFixed(1);
process.stdout.write(
  `Read models per notification: ${devices} devices, ${notifications.toLocaleString('en')} notifications per case (2 events each), every read model; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ${new Date().toISOString()}; load ${loadavg().map((value) => value.toFixed(1)).join(' ')}\n\n`,
);
process.stdout.write('| page cache | notifications per transaction | projector CPU µs per notification | projector wall µs | bare statements CPU µs | bare wall µs |\n|---|---:|---:|---:|---:|---:|\n');
for (const cache of cacheSizes) {
  for (const group of groups) {
    const projected = await projectorCase(group, cache.pragma);
    const bare = bareCase(group, cache.pragma);
    process.stdout.write(`| ${cache.name} | ${group} | ${format(projected.cpuMicros)} | ${format(projected.wallMicros)} | ${format(bare.cpuMicros)} | ${format(bare.wallMicros)} |\n`);
  }
}
process.stdout.write(`\nload after: ${loadavg().map((value) => value.toFixed(1)).join(' ')}\n`);
