/**
 * Mapping benchmark: how many received values per second the mapping policy turns into stored,
 * queryable measurements. Real files: the SQLite event store (durable: WAL, synchronous=FULL) and the
 * read models in a temp directory, the projector running all along.
 *
 *   node bench/mapping.bench.ts [values]
 *
 * The protocol is the OMA registry's 3303 (Temperature, from test/fixtures), with Send measurement on
 * 5700. Scenarios:
 * - policy alone: `mapReceivedValues`, pure, no storage;
 * - one device message at a time, one value each (the latency of a lone device: one durable append);
 * - 200 messages in flight (200 devices), one value each, and ten values each (a notification of
 *   ten sensor instances);
 * - 200 in flight with Create alarm besides Send measurement (every value counts the device's alarm).
 * "stored" is the time until every `recordValues` resolved; "queryable" until the projector committed
 * the last event into the measurements read model.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFeed } from '../src/app/kernel/LogFeed.ts';
import { DeviceProtocolService } from '../src/app/protocols/DeviceProtocolService.ts';
import { SqliteEventStore } from '../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';
import { TelemetryService } from '../src/app/telemetry/TelemetryService.ts';
import { systemClock } from '../src/domain/Clock.ts';
import type { PathValue } from '../src/domain/lwm2m/LwM2mValue.ts';
import { floatValue } from '../src/domain/lwm2m/LwM2mValue.ts';
import type { FunctionalityInput } from '../src/domain/protocols/Functionality.ts';
import { mapReceivedValues } from '../src/domain/telemetry/MappingPolicy.ts';
import { Projector } from '../src/projections/Projector.ts';
import { ReadModelDatabase } from '../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../src/projections/ReadModels.ts';

const totalValues = Number(process.argv[2] ?? 20_000);
const ddf = readFileSync(new URL('../test/fixtures/ddf/3303.xml', import.meta.url), 'utf8');
const user = { actor: 'system:bench' };
const measurement: FunctionalityInput = { kind: 'sendMeasurement', type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' };
const alarm: FunctionalityInput = { kind: 'createAlarm', severity: 'MAJOR', type: 'c8y_HighTemperature', status: 'ACTIVE', text: 'Temperature {value}' };

function message(index: number, valuesPerMessage: number): PathValue[] {
  return Array.from({ length: valuesPerMessage }, (_, instanceId) => ({
    path: { objectId: 3303, instanceId, resourceId: 5700 },
    value: floatValue(20 + ((index + instanceId) % 100) / 10),
  }));
}

interface Row {
  readonly scenario: string;
  readonly values: number;
  readonly storedSeconds: number;
  readonly queryableSeconds: number;
  readonly measurements: number;
}

async function scenario(name: string, options: { inFlight: number; valuesPerMessage: number; withAlarm: boolean; values: number }): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'mapping-bench-'));
  const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  const database = ReadModelDatabase.open(dir);
  // One reader of the log for the projector and the protocols, as main.ts wires them.
  const feed = new LogFeed({ store });
  const projector = new Projector({ store, feed, database, projections: readModelProjections, logger: silentLogger() });
  try {
    projector.start();
    const protocols = new DeviceProtocolService({ store, feed, clock: systemClock, logger: silentLogger() });
    await protocols.importDdf(ddf, user);
    await protocols.setResourceFunctionality({ objectId: 3303, resourceId: 5700, functionality: measurement }, user);
    if (options.withAlarm) await protocols.setResourceFunctionality({ objectId: 3303, resourceId: 5700, functionality: alarm }, user);
    const telemetry = new TelemetryService({ store, protocols, clock: systemClock });
    const messages = Math.ceil(options.values / options.valuesPerMessage);
    let next = 0;
    const start = performance.now();
    const worker = async (device: number): Promise<void> => {
      for (let index = next++; index < messages; index = next++) {
        await telemetry.recordValues({ endpoint: `urn:imei:35486907${String(device).padStart(7, '0')}`, values: message(index, options.valuesPerMessage) });
      }
    };
    await Promise.all(Array.from({ length: options.inFlight }, (_, device) => worker(device)));
    const stored = performance.now();
    await projector.waitFor(await store.headPosition(), Number.POSITIVE_INFINITY);
    const queryable = performance.now();
    const measurements = Number(database.db.prepare('SELECT COUNT(*) AS n FROM measurements').get()?.['n'] ?? 0);
    return {
      scenario: name,
      values: messages * options.valuesPerMessage,
      storedSeconds: (stored - start) / 1000,
      queryableSeconds: (queryable - start) / 1000,
      measurements,
    };
  } finally {
    await projector.close();
    database.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function policyAlone(values: number): Row {
  const resources = new Map([[5700, { sendMeasurement: { kind: 'sendMeasurement' as const, type: 'c8y_TemperatureMeasurement', series: 'T', unit: 'Cel' } }]]);
  const mapping = { version: '1.1', resources };
  let produced = 0;
  const start = performance.now();
  for (let index = 0; index < values; index++) {
    const decision = mapReceivedValues({
      endpoint: 'urn:imei:354869070000000',
      values: message(index, 1),
      receivedAt: '2026-01-01T00:00:00.000Z',
      protocolOf: () => mapping,
    });
    produced += decision.telemetry.length;
  }
  const seconds = (performance.now() - start) / 1000;
  return { scenario: 'policy alone (pure, no storage)', values, storedSeconds: seconds, queryableSeconds: seconds, measurements: produced };
}

const cpuBefore = process.cpuUsage();
const wallStart = performance.now();
const rows: Row[] = [policyAlone(totalValues * 10)];
rows.push(await scenario('1 message in flight, 1 value each', { inFlight: 1, valuesPerMessage: 1, withAlarm: false, values: Math.min(totalValues, 2_000) }));
rows.push(await scenario('200 in flight, 1 value each', { inFlight: 200, valuesPerMessage: 1, withAlarm: false, values: totalValues }));
rows.push(await scenario('200 in flight, 10 values each', { inFlight: 200, valuesPerMessage: 10, withAlarm: false, values: totalValues }));
rows.push(await scenario('200 in flight, 1 value each, + Create alarm', { inFlight: 200, valuesPerMessage: 1, withAlarm: true, values: totalValues }));
const cpu = process.cpuUsage(cpuBefore);

process.stdout.write(`${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
process.stdout.write(`whole run: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU for ${((performance.now() - wallStart) / 1000).toFixed(1)} s wall clock\n\n`);
process.stdout.write('| scenario | values | measurements | stored (s) | values/s stored | queryable (s) | values/s queryable |\n');
process.stdout.write('|---|---:|---:|---:|---:|---:|---:|\n');
for (const row of rows) {
  process.stdout.write(
    `| ${row.scenario} | ${row.values.toLocaleString('en')} | ${row.measurements.toLocaleString('en')} | ${row.storedSeconds.toFixed(2)} | ${Math.round(row.values / row.storedSeconds).toLocaleString('en')} | ${row.queryableSeconds.toFixed(2)} | ${Math.round(row.values / row.queryableSeconds).toLocaleString('en')} |\n`,
  );
}
