/**
 * The CSV import against the devices already stored, on the SQLite store: a PSK identity names one
 * device (RFC 4279 section 2), so a row may not take one that another active device holds.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import type { DeviceImportMode, DeviceImportReport } from '../../../src/app/devices/DeviceImportService.ts';
import { DeviceImportService } from '../../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { deviceStream } from '../../../src/domain/devices/DeviceEvents.ts';
import { decommissionTestDevice } from '../../support/TestDevices.ts';

const HEADER = 'endpoint id;securityMode;lwm2m psk_id;lwm2m psk_key;bootstrap psk_id;bootstrap psk_key;external-c8y_BootstrapPskId';
const LWM2M_ID_COLUMN = { column: 'lwm2m psk_id', columnNumber: 3 };
const BOOTSTRAP_ID_COLUMN = { column: 'bootstrap psk_id', columnNumber: 5 };
const EXTERNAL_ID_COLUMN = { column: 'external-c8y_BootstrapPskId', columnNumber: 7 };

function row(endpoint: string, identity: string, bootstrapIdentity: string, external = '', key = '00112233445566778899aabbccddeeff'): string {
  return `${endpoint};PSK;${identity};${key};${bootstrapIdentity};f0e1d2c3b4a59687;${external}`;
}

const csv = (...rows: string[]): string => [HEADER, ...rows].join('\n');

describe('DeviceImportService: PSK identities already bound to stored devices', () => {
  let dir: string;
  let store: SqliteEventStore;
  let service: DeviceImportService;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-identity-'));
    store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
    service = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer: new AesGcmSecretSealer(randomBytes(32)), logger: silentLogger(), concurrency: 4 });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const importRows = (rows: readonly string[], mode: DeviceImportMode = 'all-or-nothing', on = service): Promise<DeviceImportReport> =>
    on.importDevices(csv(...rows), { actor: 'test', correlationId: 'identity', mode });

  async function streamLength(endpoint: string): Promise<number> {
    const result = await store.readStream(deviceStream(endpoint));
    return result.status === 'found' ? result.events.length : 0;
  }

  it('refuses a row whose LwM2M identity another device holds, at its line and column, naming that device', async () => {
    expect((await importRows([row('dev-a', 'id-a', 'bs-a')])).errors).toEqual([]);
    const report = await importRows([row('dev-c', 'id-c', 'bs-c'), row('dev-b', 'id-a', 'bs-b')]);
    expect(report).toMatchObject({ imported: 0, updated: 0, unchanged: 0 });
    expect(report.errors).toEqual([{ line: 3, ...LWM2M_ID_COLUMN, message: 'LwM2M PSK identity "id-a" is already bound to device "dev-a"' }]);
    expect(await streamLength('dev-b')).toBe(0);
    expect(await streamLength('dev-c')).toBe(0);
  });

  it('refuses bootstrap identities held in either bootstrap column, at the column of the row that repeats it', async () => {
    await importRows([row('dev-a', 'id-a', 'bs-a', 'ext-a')]);
    const report = await importRows([row('dev-b', 'id-b', 'ext-a'), row('dev-c', 'id-c', 'bs-c', 'bs-a'), row('dev-d', 'id-d', 'bs-d', 'bs-d')]);
    expect(report.errors).toEqual([
      { line: 2, ...BOOTSTRAP_ID_COLUMN, message: 'bootstrap PSK identity "ext-a" is already bound to device "dev-a"' },
      { line: 3, ...EXTERNAL_ID_COLUMN, message: 'bootstrap PSK identity "bs-a" is already bound to device "dev-a"' },
    ]);
    expect(report.imported).toBe(0);
  });

  it('keeps the LwM2M and bootstrap namespaces apart', async () => {
    await importRows([row('dev-a', 'shared', 'bs-a')]);
    const report = await importRows([row('dev-b', 'id-b', 'shared')]);
    expect(report).toMatchObject({ imported: 1, errors: [] });
  });

  it('lets a device re-import (and change) its registration with its own identities', async () => {
    await importRows([row('dev-a', 'id-a', 'bs-a', 'ext-a')]);
    expect(await importRows([row('dev-a', 'id-a', 'bs-a', 'ext-a')])).toMatchObject({ unchanged: 1, errors: [] });
    const changed = await importRows([row('dev-a', 'id-a', 'bs-a', 'ext-a', 'ffeeddccbbaa99887766554433221100')]);
    expect(changed).toMatchObject({ updated: 1, errors: [] });
    expect(await streamLength('dev-a')).toBe(2);
  });

  it('frees the identities a device gave up: a changed row, then another device may take the old one', async () => {
    await importRows([row('dev-a', 'id-a', 'bs-a')]);
    expect(await importRows([row('dev-a', 'id-a2', 'bs-a')])).toMatchObject({ updated: 1, errors: [] });
    expect(await importRows([row('dev-b', 'id-a', 'bs-b')])).toMatchObject({ imported: 1, errors: [] });
  });

  it('allows the identities of a decommissioned device', async () => {
    await importRows([row('dev-a', 'id-a', 'bs-a', 'ext-a')]);
    await decommissionTestDevice(store, 'dev-a');
    const report = await importRows([row('dev-b', 'id-a', 'ext-a', 'bs-a')]);
    expect(report).toMatchObject({ imported: 1, errors: [] });
    // ... and the decommissioned device cannot take them back while dev-b holds them.
    const back = await importRows([row('dev-a', 'id-a', 'bs-a', 'ext-a')]);
    expect(back.errors.map((problem) => [problem.line, problem.column])).toEqual([
      [2, 'lwm2m psk_id'],
      [2, 'bootstrap psk_id'],
      [2, 'external-c8y_BootstrapPskId'],
    ]);
  });

  it('imports the other rows when asked for the valid rows only', async () => {
    await importRows([row('dev-a', 'id-a', 'bs-a')]);
    const report = await importRows([row('dev-b', 'id-b', 'bs-b'), row('dev-c', 'id-a', 'bs-c'), row('dev-d', 'id-d', 'bs-d')], 'valid-rows-only');
    expect(report).toMatchObject({ mode: 'valid-rows-only', imported: 2 });
    expect(report.errors).toEqual([{ line: 3, ...LWM2M_ID_COLUMN, message: 'LwM2M PSK identity "id-a" is already bound to device "dev-a"' }]);
    expect([await streamLength('dev-b'), await streamLength('dev-c'), await streamLength('dev-d')]).toEqual([1, 0, 1]);
  });

  it('binds an identity to one device when two imports through one service race for it', async () => {
    const [first, second] = await Promise.all([importRows([row('dev-a', 'id-x', 'bs-a')]), importRows([row('dev-b', 'id-x', 'bs-b')])]);
    expect([first.imported, second.imported].sort()).toEqual([0, 1]);
    expect([...first.errors, ...second.errors]).toHaveLength(1);
    expect((await streamLength('dev-a')) + (await streamLength('dev-b'))).toBe(1);
  });

  it('sees devices another service instance imported into the same store', async () => {
    const other = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer: new AesGcmSecretSealer(randomBytes(32)), logger: silentLogger() });
    await importRows([row('dev-a', 'id-a', 'bs-a')]);
    await importRows([row('dev-z', 'id-z', 'bs-z')], 'all-or-nothing', other);
    const report = await importRows([row('dev-b', 'id-z', 'bs-b')]);
    expect(report.errors).toEqual([{ line: 2, ...LWM2M_ID_COLUMN, message: 'LwM2M PSK identity "id-z" is already bound to device "dev-z"' }]);
  });

  it('refuses an RPK row whose public key another device holds (it would select that device in the handshake)', async () => {
    const key = '3059301306072a8648ce3d020106082a8648ce3d030107034200048294a1019bedca43ebd3d99fd4912d9aaef1ecfe21e2193de2bf75db5967bb5bd835ccebd218381663576cb28d70fa6c7425a71fcec70edcea9da62035298f5b';
    const rpkCsv = (...endpoints: string[]): string => ['endpoint id;securityMode;publicKey', ...endpoints.map((endpoint) => `${endpoint};RPK;${key}`)].join('\n');
    expect((await service.importDevices(rpkCsv('rpk-a'), { actor: 'test', correlationId: 'rpk' })).errors).toEqual([]);
    const report = await service.importDevices(rpkCsv('rpk-b'), { actor: 'test', correlationId: 'rpk' });
    expect(report.errors).toEqual([
      { line: 2, column: 'publicKey', columnNumber: 3, message: `public key "${Buffer.from(key, 'hex').toString('base64')}" is already bound to device "rpk-a"` },
    ]);
    expect(await streamLength('rpk-b')).toBe(0);
    // The same device imported again keeps its key.
    expect((await service.importDevices(rpkCsv('rpk-a'), { actor: 'test', correlationId: 'rpk' })).errors).toEqual([]);
  });
});
