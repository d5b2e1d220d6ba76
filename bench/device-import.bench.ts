/**
 * Device import benchmark: a generated registration CSV of 100,000 PSK rows (every column of the
 * guide's second table, two keys to seal per row) imported into the embedded SQLite store in a temp
 * directory, durable (WAL, synchronous=FULL).
 *
 *   node bench/device-import.bench.ts [rows] [first]
 *
 * Scenarios: first import (every row appends DeviceRegistrationImported); the same file again (every
 * row reads its stream and decides nothing); one changed field per row (every row appends an update).
 * Each scenario's time includes the process's identity view folding the import at its commit.
 * The in-memory store gives the cost of reading, validating, sealing and deciding without storage;
 * the yardsticks in the same run, the CSV reader alone and the sealing of two keys per row alone.
 * `first`: the yardsticks and the first SQLite import only (for a profile: `node --cpu-prof ...`).
 * Target: 100,000 rows (first import, SQLite) in less than 5 s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AesGcmSecretSealer } from '../src/adapters/crypto/AesGcmSecretSealer.ts';
import type { DeviceImportProgress, DeviceImportReport } from '../src/app/devices/DeviceImportService.ts';
import { DeviceImportService } from '../src/app/devices/DeviceImportService.ts';
import { DeviceIdentities } from '../src/app/devices/DeviceIdentities.ts';
import { readDeviceCsv } from '../src/adapters/csv/DeviceCsvReader.ts';
import type { EventStore } from '../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../src/adapters/eventstore/MemoryEventStore.ts';
import { SqliteEventStore } from '../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../src/adapters/logging/Logger.ts';

const rowCount = Number(process.argv[2] ?? 100_000);
const firstImportOnly = process.argv[3] === 'first';
const header =
  'ID;IDTYPE;CREDENTIALS;NAME;TYPE;SHELL;com_cumulocity_model_Agent;endpoint id;lwm2m server uri;securityMode;lwm2m psk_id;lwm2m psk_key;bootstrap psk_id;bootstrap psk_key;serverPublicKey;generateBootstrapServerConfig;securityInstanceOffset;bootstrapShortServerId;lwm2mShortServerId;registrationLifetime;defaultMinimumPeriod;defaultMaximumPeriod;bindingMode;notificationIfDisabled;disableTimeout;external-c8y_BootstrapPskId';

function generateCsv(rows: number, lifetime: number): string {
  const lines = [header];
  for (let i = 0; i < rows; i++) {
    const imei = `35486907${String(i).padStart(7, '0')}`;
    const endpoint = `urn:imei:${imei}`;
    const key = i.toString(16).padStart(32, '0');
    lines.push(
      `${imei};IMEI;;Meter ${i};c8y_lwm2m;1;1;${endpoint};coaps://lwm2m.example.com:5684;PSK;${endpoint};${key};${endpoint}-bs;f${key.slice(1)};;false;0;0;1;${lifetime};1;600;UQ;true;86400;`,
    );
  }
  return lines.join('\n') + '\n';
}

interface Measured {
  readonly scenario: string;
  readonly report: DeviceImportReport;
  readonly seconds: number;
  readonly readingSeconds: number;
  /** User + system CPU time of the process: less sensitive than wall time to other load on the machine. */
  readonly cpuSeconds: number;
  /** The main thread's share: the rest ran on the store's writer thread, the sealing thread and V8's helpers. */
  readonly mainThreadCpuSeconds: number;
}

/** One master key for every scenario: re-imported keys must have the same fingerprints. */
const sealer = new AesGcmSecretSealer(randomBytes(32));

async function measure(scenario: string, store: EventStore, csv: string): Promise<Measured> {
  const service = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger: silentLogger() });
  const cpuBefore = process.cpuUsage();
  const mainThreadBefore = process.threadCpuUsage();
  const start = performance.now();
  let readingDone = start;
  const report = await service.importDevices(csv, {
    actor: 'system:bench',
    correlationId: 'bench',
    progressEvery: 10_000,
    onProgress: (progress: DeviceImportProgress) => {
      if (progress.phase === 'reading') readingDone = performance.now();
    },
  });
  // The process's view of device identities folds the import at its commit, as in the service: counted
  // here rather than in the next scenario's identity check.
  await DeviceIdentities.of(store).current();
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const mainThread = process.threadCpuUsage(mainThreadBefore);
  if (report.errors.length > 0) throw new Error(`unexpected problems: ${JSON.stringify(report.errors.slice(0, 3))}`);
  return {
    scenario,
    report,
    seconds,
    readingSeconds: (readingDone - start) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainThreadCpuSeconds: (mainThread.user + mainThread.system) / 1e6,
  };
}

/** Yardstick: the file through the CSV reader alone (csv-parse, strict UTF-8, line numbers), nothing validated. */
async function readCsvAlone(csv: string): Promise<{ seconds: number; cpuSeconds: number }> {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let records = 0;
  for await (const entry of readDeviceCsv(csv)) if (entry.kind === 'record') records++;
  if (records !== rowCount) throw new Error(`read ${records} records, expected ${rowCount}`);
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Yardstick: sealing two 16-byte keys per row alone (AES-256-GCM and an HMAC-SHA256 fingerprint each). */
function sealAlone(): { seconds: number; cpuSeconds: number } {
  const key = randomBytes(16);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  for (let row = 0; row < rowCount; row++) {
    sealer.seal(key);
    sealer.seal(key);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-bench-import-'));
try {
  const csv = generateCsv(rowCount, 300);
  const changed = generateCsv(rowCount, 600);
  const results: Measured[] = [];
  const csvAlone = await readCsvAlone(csv);
  const sealing = sealAlone();

  const sqlite = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  results.push(await measure('SQLite, first import', sqlite, csv));
  if (!firstImportOnly) {
    results.push(await measure('SQLite, same file again (unchanged)', sqlite, csv));
    results.push(await measure('SQLite, one field changed per row', sqlite, changed));
  }
  await sqlite.close();

  if (!firstImportOnly) {
    const memory = new MemoryEventStore();
    results.push(await measure('memory store, first import', memory, csv));
    await memory.close();
  }

  process.stdout.write(`${rowCount.toLocaleString('en')} PSK rows, ${(Buffer.byteLength(csv) / 1e6).toFixed(1)} MB of CSV; ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}\n`);
  process.stdout.write(`load average at the end: ${loadavg().map((load) => load.toFixed(1)).join(', ')}\n\n`);
  process.stdout.write('| scenario | imported | updated | unchanged | read + validate (s) | total (s) | CPU (s) | main thread CPU (s) | rows/s |\n');
  process.stdout.write('|---|---:|---:|---:|---:|---:|---:|---:|---:|\n');
  process.stdout.write(`| yardstick: the CSV reader alone | | | | ${csvAlone.seconds.toFixed(2)} | ${csvAlone.seconds.toFixed(2)} | ${csvAlone.cpuSeconds.toFixed(2)} | | |\n`);
  process.stdout.write(`| yardstick: sealing 2 keys per row alone | | | | | ${sealing.seconds.toFixed(2)} | ${sealing.cpuSeconds.toFixed(2)} | | |\n`);
  for (const { scenario, report, seconds, readingSeconds, cpuSeconds, mainThreadCpuSeconds } of results) {
    process.stdout.write(
      `| ${scenario} | ${report.imported} | ${report.updated} | ${report.unchanged} | ${readingSeconds.toFixed(2)} | ${seconds.toFixed(2)} | ${cpuSeconds.toFixed(2)} | ${mainThreadCpuSeconds.toFixed(2)} | ${Math.round(rowCount / seconds).toLocaleString('en')} |\n`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
