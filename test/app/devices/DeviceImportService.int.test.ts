import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceImportProgress } from '../../../src/app/devices/DeviceImportService.ts';
import { DeviceImportService } from '../../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { AesGcmSecretSealer, SealingError } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import type { BulkSecretSealer } from '../../../src/domain/SealedSecret.ts';
import { DeviceIdentities } from '../../../src/app/devices/DeviceIdentities.ts';
import type { EventStore, RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import type { DeviceRegistrationData, DeviceRegistrationImported, DeviceRegistrationUpdated } from '../../../src/domain/devices/DeviceEvents.ts';
import { deviceStream, deviceStreamPrefix } from '../../../src/domain/devices/DeviceEvents.ts';
import { importStream } from '../../../src/domain/imports/StagedImports.ts';
import { EventStoreDeviceDirectory } from '../../../src/app/devices/DeviceDirectory.ts';
import { decommissionTestDevice } from '../../support/TestDevices.ts';

const fixturePath = (name: string): string => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
const fixture = (name: string): string => readFileSync(fixturePath(name), 'utf8');

const stores: readonly [string, (dir: string) => Promise<EventStore>][] = [
  ['memory', () => Promise.resolve(new MemoryEventStore())],
  ['sqlite', (dir) => SqliteEventStore.open(join(dir, 'events.sqlite'))],
];

describe.each(stores)('DeviceImportService on the %s store', (_name, openStore) => {
  let dir: string;
  let store: EventStore;
  let sealer: AesGcmSecretSealer;
  let service: DeviceImportService;
  const who = { actor: 'user:test', correlationId: 'corr-1' };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-import-'));
    store = await openStore(dir);
    sealer = new AesGcmSecretSealer(randomBytes(32));
    service = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger: silentLogger(), concurrency: 8 });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The device streams' events (each import that appended any also commits them on its own stream). */
  async function events(): Promise<readonly RecordedEvent[]> {
    return store.readAll({ filter: { streamPrefixes: [deviceStreamPrefix] } });
  }

  function registrationOf(event: RecordedEvent | undefined): DeviceRegistrationData {
    expect(event?.type).toBe('DeviceRegistrationImported');
    return (event?.data as unknown as DeviceRegistrationImported).registration;
  }

  it('imports the guide\'s NO_SEC example, one stream per device, with the import in the metadata', async () => {
    const { position, ...report } = await service.importDevices(createReadStream(fixturePath('devices-nosec.csv')), { ...who, importId: 'import-1' });
    // The import's position is its commit's, the last append: a reader waiting for it sees every device.
    expect(position).toBe(await store.headPosition());
    expect(report).toEqual({ importId: 'import-1', mode: 'all-or-nothing', imported: 3, updated: 0, unchanged: 0, errors: [] });
    const stored = await events();
    expect(stored.map((e) => [e.stream, e.type])).toEqual(
      expect.arrayContaining([
        [deviceStream('lwm2m-nosec-0001'), 'DeviceRegistrationImported'],
        [deviceStream('lwm2m-nosec-0002'), 'DeviceRegistrationImported'],
        [deviceStream('urn:imei:357518080211964'), 'DeviceRegistrationImported'],
      ]),
    );
    expect(stored).toHaveLength(3);
    for (const event of stored) {
      expect(event.metadata).toMatchObject({ actor: 'user:test', correlationId: 'corr-1', causationId: 'import-1', schemaVersion: 1 });
      expect(event.data).toMatchObject({ staged: true });
    }
    const commit = await store.readStream(importStream('import-1'));
    expect(commit.status === 'found' ? commit.events.map((e) => [e.type, e.data]) : []).toEqual([
      ['DeviceImportCommitted', { importId: 'import-1', firstPosition: Math.min(...stored.map((e) => e.position)), lastPosition: Math.max(...stored.map((e) => e.position)), imported: 3, updated: 0 }],
    ]);
    const meter = stored.find((e) => e.stream === deviceStream('urn:imei:357518080211964'));
    expect(meter?.data).toMatchObject({ importId: 'import-1', line: 4 });
    expect(registrationOf(meter)).toMatchObject({
      externalId: '357518080211964',
      idType: 'IMEI',
      name: 'Water meter 3',
      shellEnabled: true,
      agent: true,
      serverUri: 'coap://lwm2m.example.com:5683',
      securityMode: 'NO_SEC',
      lwm2mPskKey: null,
    });
  });

  it('imports the guide\'s PSK example with sealed keys that open to the file\'s bytes', async () => {
    const report = await service.importDevices(fixture('devices-psk.csv'), who);
    expect(report).toMatchObject({ imported: 3, updated: 0, unchanged: 0, errors: [] });
    const result = await store.readStream(deviceStream('lwm2m-psk-0002'));
    expect(result.status).toBe('found');
    if (result.status !== 'found') return;
    const registration = registrationOf(result.events[0]);
    expect(registration).toMatchObject({
      name: 'Boiler room sensor',
      securityMode: 'PSK',
      lwm2mPskId: 'lwm2m-psk-0002',
      bootstrapPskId: 'lwm2m-psk-0002-bs',
      generateBootstrapServerConfig: true,
      securityInstanceOffset: 3,
      bootstrapShortServerId: 100,
      lwm2mShortServerId: 101,
      registrationLifetime: 3600,
      defaultMinimumPeriod: 10,
      defaultMaximumPeriod: 900,
      bindingMode: 'U',
      notificationIfDisabled: false,
      disableTimeout: 3600,
      externalBootstrapPskId: null,
    });
    if (!registration.lwm2mPskKey || !registration.bootstrapPskKey) throw new Error('keys expected');
    expect(Buffer.from(sealer.open(registration.lwm2mPskKey)).toString('hex')).toBe('0123456789abcdef0123456789abcdef');
    expect(Buffer.from(sealer.open(registration.bootstrapPskKey)).toString('hex')).toBe('fedcba9876543210fedcba9876543210');
  });

  it('never stores a PSK key, nor the CREDENTIALS cell, in clear', async () => {
    await service.importDevices(fixture('devices-psk.csv'), who);
    await service.importDevices(fixture('devices-nosec.csv'), who);
    const everything = JSON.stringify(await events());
    const plaintexts = [
      '000102030405060708090a0b0c0d0e0f',
      'f0e1d2c3b4a5968778695a4b3c2d1e0f',
      '0123456789abcdef0123456789abcdef',
      'fedcba9876543210fedcba9876543210',
      '4a6f686e20446f652773206b6579',
      '6b657920666f7220626f6f747374726170',
    ];
    for (const hex of plaintexts) {
      const bytes = Buffer.from(hex, 'hex');
      for (const form of [hex, hex.toUpperCase(), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('latin1')]) {
        expect(everything).not.toContain(form);
      }
    }
    expect(everything).not.toContain('not-used-by-lwm2m');
  });

  it('appends nothing when the same file is imported again', async () => {
    await service.importDevices(fixture('devices-psk.csv'), who);
    const head = await store.headPosition();
    const again = await service.importDevices(fixture('devices-psk.csv'), who);
    expect(again).toMatchObject({ imported: 0, updated: 0, unchanged: 3, errors: [] });
    expect(await store.headPosition()).toBe(head);
  });

  it('appends, for a changed row, an update with only what changed', async () => {
    await service.importDevices(fixture('devices-psk.csv'), who);
    const changed = fixture('devices-psk.csv')
      .replace(';Boiler room sensor;', ';Boiler room;')
      .replace('000102030405060708090a0b0c0d0e0f', '101112131415161718191a1b1c1d1e1f')
      .replace('0123456789ABCDEF0123456789ABCDEF', '0123456789abcdef0123456789abcdef');
    const report = await service.importDevices(changed, { ...who, importId: 'import-2' });
    expect(report).toMatchObject({ imported: 0, updated: 2, unchanged: 1, errors: [] });

    const updates = (await events()).filter((e) => e.type === 'DeviceRegistrationUpdated');
    const byStream = new Map(updates.map((e) => [e.stream, e.data as unknown as DeviceRegistrationUpdated]));
    expect(byStream.get(deviceStream('lwm2m-psk-0002'))).toEqual({ endpoint: 'lwm2m-psk-0002', changes: { name: 'Boiler room' }, importId: 'import-2', line: 3, staged: true });
    const keyUpdate = byStream.get(deviceStream('lwm2m-psk-0001'));
    expect(Object.keys(keyUpdate?.changes ?? {})).toEqual(['lwm2mPskKey']);
    const newKey = keyUpdate?.changes.lwm2mPskKey;
    if (!newKey) throw new Error('a new key expected');
    expect(Buffer.from(sealer.open(newKey)).toString('hex')).toBe('101112131415161718191a1b1c1d1e1f');
  });

  it('imports nothing from a file with a bad row, and reports every bad row with line and column', async () => {
    const report = await service.importDevices(fixture('devices-bad.csv'), who);
    expect(report).toMatchObject({ imported: 0, updated: 0, unchanged: 0 });
    expect(await store.headPosition()).toBe(0);
    expect(report.errors.map((e) => [e.line, e.column, e.columnNumber])).toEqual([
      [3, 'securityMode', 7],
      [4, 'lwm2m psk_key', 9],
      [5, 'lwm2m psk_id', 8],
      [5, 'lwm2m psk_key', 9],
      [6, 'SHELL', 4],
      [6, 'registrationLifetime', 12],
      [6, 'bindingMode', 13],
      [6, 'lwm2mShortServerId', 14],
      [7, 'TYPE', 3],
      [8, 'lwm2m psk_key', 9],
      [8, 'bootstrap psk_key', 11],
      [9, 'endpoint id', 5],
      [10, 'endpoint id', 5],
      [12, 'endpoint id', 5],
    ]);
    expect(report.errors.find((e) => e.line === 9)?.message).toBe('endpoint id "duplicate" is also on line 10');
  });

  it('imports the valid rows only when asked, still reporting the others', async () => {
    const report = await service.importDevices(fixture('devices-bad.csv'), { ...who, mode: 'valid-rows-only' });
    expect(report).toMatchObject({ mode: 'valid-rows-only', imported: 2, updated: 0, unchanged: 0 });
    expect(new Set(report.errors.map((e) => e.line))).toEqual(new Set([3, 4, 5, 6, 7, 8, 9, 10, 12]));
    expect((await events()).map((e) => e.stream).sort()).toEqual([deviceStream('good-1'), deviceStream('good-2')]);
  });

  it('imports the other rows of a file with ragged rows when asked, reporting the ragged ones', async () => {
    const strict = await service.importDevices(fixture('devices-ragged.csv'), who);
    expect(strict.errors.map((e) => [e.line, e.column])).toEqual([
      [3, null],
      [4, null],
    ]);
    expect(await store.headPosition()).toBe(0);
    const lenient = await service.importDevices(fixture('devices-ragged.csv'), { ...who, mode: 'valid-rows-only' });
    expect(lenient).toMatchObject({ imported: 2 });
    expect((await events()).map((e) => e.stream).sort()).toEqual([deviceStream('r-1'), deviceStream('r-4')]);
  });

  it('imports nothing from a file with a broken quote, even when asked for the valid rows', async () => {
    const report = await service.importDevices(fixture('devices-unclosed-quote.csv'), { ...who, mode: 'valid-rows-only' });
    expect(report.errors).toEqual([{ line: 3, column: null, columnNumber: null, message: 'a quoted field that starts on or after this line is never closed' }]);
    expect(report.imported).toBe(0);
    expect(await store.headPosition()).toBe(0);
  });

  it('imports nothing from a file whose header it cannot read', async () => {
    const report = await service.importDevices(fixture('devices-bad-header.csv'), { ...who, mode: 'valid-rows-only' });
    expect(report.errors.map((e) => [e.line, e.column, e.columnNumber])).toEqual([
      [1, 'lwm2m server adress', 4],
      [1, 'name', 6],
    ]);
    expect(await store.headPosition()).toBe(0);
    const empty = await service.importDevices('', who);
    expect(empty.errors).toEqual([{ line: 1, column: null, columnNumber: null, message: 'the file is empty: a header row naming the columns is expected' }]);
  });

  it('refuses an endpoint that is not UTF-8 at its line and column, in either mode, instead of storing U+FFFD', async () => {
    const file = Buffer.concat([Buffer.from('ID;endpoint id;securityMode\nm-1;meter-1;NO_SEC\nm-2;meter-'), Buffer.from([0xff]), Buffer.from('2;NO_SEC\n')]);
    for (const mode of ['all-or-nothing', 'valid-rows-only'] as const) {
      const report = await service.importDevices(Readable.from([file]), { ...who, mode });
      expect(report.imported).toBe(0);
      expect(report.errors).toEqual([
        { line: 3, column: 'endpoint id', columnNumber: 2, message: 'the file is not UTF-8: byte ff is not a UTF-8 character (save the file as UTF-8)' },
      ]);
    }
    const header = await service.importDevices(Readable.from([Buffer.concat([Buffer.from('endpoint id,security'), Buffer.from([0xc0, 0xaf]), Buffer.from('Mode\n')])]), who);
    // In the header row itself, the column has no name yet.
    expect(header.errors).toEqual([{ line: 1, column: null, columnNumber: 2, message: 'the file is not UTF-8: byte c0 is not a UTF-8 character (save the file as UTF-8)' }]);
    expect(await store.headPosition()).toBe(0);
  });

  it('registers a decommissioned device again on import', async () => {
    await service.importDevices(fixture('devices-nosec.csv'), who);
    await decommissionTestDevice(store, 'lwm2m-nosec-0002');
    const report = await service.importDevices(fixture('devices-nosec.csv'), who);
    expect(report).toMatchObject({ imported: 1, unchanged: 2 });
  });

  it('is idempotent under concurrent retries of one import', async () => {
    const text = fixture('devices-psk.csv');
    const [first, second] = await Promise.all([service.importDevices(text, who), service.importDevices(text, who)]);
    expect((first?.imported ?? 0) + (second?.imported ?? 0)).toBe(3);
    expect((first?.unchanged ?? 0) + (second?.unchanged ?? 0)).toBe(3);
    expect(await events()).toHaveLength(3);
  });

  it('reports progress while reading and importing', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `dev-${i},NO_SEC`);
    const progress: DeviceImportProgress[] = [];
    await service.importDevices(['endpoint id,securityMode', ...rows].join('\n'), { ...who, progressEvery: 10, onProgress: (p) => progress.push(p) });
    expect(progress).toEqual([
      { phase: 'reading', rows: 10, total: null },
      { phase: 'reading', rows: 20, total: null },
      { phase: 'reading', rows: 25, total: null },
      { phase: 'importing', rows: 10, total: 25 },
      { phase: 'importing', rows: 20, total: 25 },
      { phase: 'importing', rows: 25, total: 25 },
    ]);
  });
});

describe('DeviceImportService interrupted by a failing store', () => {
  it('stops with nothing that counts, and a second run imports every row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-import-retry-'));
    try {
      const file = join(dir, 'events.sqlite');
      const sealer = new AesGcmSecretSealer(randomBytes(32));
      const csv = ['endpoint id,securityMode', ...Array.from({ length: 60 }, (_, i) => `dev-${i},NO_SEC`)].join('\n');
      const who = { actor: 'user:test', correlationId: 'corr-1' };

      const first = await SqliteEventStore.open(file);
      const failing = new DeviceImportService({ readCsv: readDeviceCsv, store: first, sealer, logger: silentLogger(), concurrency: 4 });
      await expect(
        failing.importDevices(csv, {
          ...who,
          progressEvery: 10,
          onProgress: (progress) => {
            if (progress.phase === 'importing' && progress.rows === 10) void first.close();
          },
        }),
      ).rejects.toThrow(/closed/);
      await first.close();

      const second = await SqliteEventStore.open(file);
      try {
        const stagedBefore = (await second.readAll()).length;
        expect(stagedBefore).toBeGreaterThanOrEqual(10);
        expect(stagedBefore).toBeLessThan(60);
        const directory = new EventStoreDeviceDirectory(second);
        const endpoints = Array.from({ length: 60 }, (_, i) => `dev-${i}`);
        const known = async (): Promise<number> => (await Promise.all(endpoints.map((endpoint) => directory.lookup(endpoint)))).filter((access) => access !== undefined).length;
        expect(await known()).toBe(0);
        const retry = new DeviceImportService({ readCsv: readDeviceCsv, store: second, sealer, logger: silentLogger() });
        expect(await retry.importDevices(csv, who)).toMatchObject({ imported: 60, unchanged: 0, errors: [] });
        expect(await known()).toBe(60);
        expect(await retry.importDevices(csv, who)).toMatchObject({ imported: 0, unchanged: 60, errors: [] });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DeviceImportService sealing on the sealer\'s own thread', () => {
  const who = { actor: 'user:test', correlationId: 'corr-1' };
  // Three chunks of rows to the sealing thread, the last one short; every third row without keys.
  const rows = 2500;
  const keyOf = (row: number, which: string): string => `${which}${row.toString(16).padStart(31, '0')}`;
  const csv = [
    'endpoint id;securityMode;lwm2m psk_id;lwm2m psk_key;bootstrap psk_id;bootstrap psk_key',
    ...Array.from({ length: rows }, (_, row) => (row % 3 === 2 ? `dev-${row};NO_SEC;;;;` : `dev-${row};PSK;dev-${row};${keyOf(row, 'a')};dev-${row}-bs;${keyOf(row, 'b')}`)),
  ].join('\n');
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-import-bulk-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Each device's registration with its keys opened: what a lookup gets, whichever thread sealed them. */
  async function openedRegistrations(store: EventStore, sealer: AesGcmSecretSealer): Promise<unknown[]> {
    const stored = await store.readAll({ filter: { streamPrefixes: [deviceStreamPrefix] } });
    return stored.map((event) => {
      const { lwm2mPskKey, bootstrapPskKey, ...rest } = (event.data as unknown as DeviceRegistrationImported).registration;
      const opened = (key: typeof lwm2mPskKey): unknown => key && { key: Buffer.from(sealer.open(key)).toString('hex'), fingerprint: key.fingerprint };
      return { stream: event.stream, ...rest, lwm2mPskKey: opened(lwm2mPskKey), bootstrapPskKey: opened(bootstrapPskKey) };
    });
  }

  it('stores the same registrations, keys and fingerprints as sealing on the importing thread', async () => {
    const sealer = new AesGcmSecretSealer(randomBytes(32));
    const onThread = await SqliteEventStore.open(join(dir, 'on-thread.sqlite'));
    const onWorker = await SqliteEventStore.open(join(dir, 'on-worker.sqlite'));
    try {
      const options = { readCsv: readDeviceCsv, sealer, logger: silentLogger() };
      await new DeviceImportService({ ...options, store: onThread, bulkSealingFrom: Number.POSITIVE_INFINITY }).importDevices(csv, who);
      const bulk = new DeviceImportService({ ...options, store: onWorker, bulkSealingFrom: 1000 });
      expect(await bulk.importDevices(csv, who)).toMatchObject({ imported: rows, errors: [] });
      const sealedOnWorker = await openedRegistrations(onWorker, sealer);
      expect(sealedOnWorker).toEqual(await openedRegistrations(onThread, sealer));
      expect(sealedOnWorker[rows - 1]).toMatchObject({ lwm2mPskKey: { key: keyOf(rows - 1, 'a'), fingerprint: sealer.fingerprint(Buffer.from(keyOf(rows - 1, 'a'), 'hex')) } });
      expect(sealedOnWorker[rows - 2]).toMatchObject({ securityMode: 'NO_SEC', lwm2mPskKey: null, bootstrapPskKey: null });
      // The fingerprints are the importing thread's: the same file is unchanged for either sealer.
      expect(await new DeviceImportService({ ...options, store: onWorker, bulkSealingFrom: Number.POSITIVE_INFINITY }).importDevices(csv, who)).toMatchObject({ unchanged: rows });
      expect(await bulk.importDevices(csv, who)).toMatchObject({ unchanged: rows });
    } finally {
      await onThread.close();
      await onWorker.close();
    }
  });

  it('fails the import with nothing that counts when the sealing thread dies, and a second run imports every row', async () => {
    /** Ends its sealing thread once the first chunk is sealed, as a thread that crashed. */
    class DyingSealer extends AesGcmSecretSealer {
      override openBulk(): BulkSecretSealer {
        const bulk = super.openBulk();
        return {
          sealAll: async (plaintexts) => {
            const sealed = await bulk.sealAll(plaintexts);
            await bulk.close();
            return sealed;
          },
          close: () => bulk.close(),
        };
      }
    }
    const masterKey = randomBytes(32);
    const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
    try {
      const failing = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer: new DyingSealer(masterKey), logger: silentLogger(), bulkSealingFrom: 1000 });
      await expect(failing.importDevices(csv, who)).rejects.toThrow(SealingError);
      expect((await DeviceIdentities.of(store).current()).devices.size).toBe(0);
      expect(await store.readAll({ filter: { streamPrefixes: ['import-'] } })).toEqual([]);

      const sealer = new AesGcmSecretSealer(masterKey);
      const retry = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger: silentLogger(), bulkSealingFrom: 1000 });
      expect(await retry.importDevices(csv, who)).toMatchObject({ imported: rows, errors: [] });
      const identities = await DeviceIdentities.of(store).current();
      expect(identities.devices.size).toBe(rows);
      const last = identities.devices.get(`dev-${rows - 1}`)?.lwm2mPskKey;
      expect(last && Buffer.from(sealer.open(last)).toString('hex')).toBe(keyOf(rows - 1, 'a'));
    } finally {
      await store.close();
    }
  });
});
