/**
 * The PSK lookups of the DTLS ports against devices imported from CSV text by the CSV import service:
 * identity -> device -> the key opened from its sealed value, for the LwM2M server and the bootstrap
 * server, following re-imports.
 */
import { describe, expect, it } from 'vitest';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { BootstrapDeviceDirectory } from '../../../src/app/bootstrap/BootstrapDeviceDirectory.ts';
import { DeviceImportService } from '../../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { Lwm2mPskIdentityIndex } from '../../../src/app/security/Lwm2mPskIdentityIndex.ts';
import { PskKeyStore, identityText } from '../../../src/app/security/PskKeyStore.ts';
import { csv, noSecRow } from '../../support/BootstrapTestData.ts';
import { decommissionTestDevice } from '../../support/TestDevices.ts';

const LWM2M_KEY = '00112233445566778899aabbccddeeff';
const BOOTSTRAP_KEY = 'f0e1d2c3b4a59687';

function pskRow(endpoint: string, identity: string, bootstrapIdentity: string, external: string, lwm2mKey = LWM2M_KEY): string {
  return `${endpoint};c8y_Serial;;${endpoint};c8y_lwm2m;0;1;${endpoint};coaps://127.0.0.1:5684;PSK;${identity};${lwm2mKey};${bootstrapIdentity};${BOOTSTRAP_KEY}${';'.repeat(12)}${external}`;
}

async function setUp(...rows: string[]): Promise<{ keys: PskKeyStore; store: MemoryEventStore; importRows: (...more: string[]) => Promise<void> }> {
  const store = new MemoryEventStore();
  const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 9));
  const importer = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger: silentLogger() });
  const importRows = async (...more: string[]): Promise<void> => {
    const report = await importer.importDevices(csv(...more), { actor: 'test', correlationId: 'keys' });
    expect(report.errors).toEqual([]);
  };
  await importRows(...rows);
  const keys = new PskKeyStore({ lwm2mIdentities: new Lwm2mPskIdentityIndex(store), bootstrapDevices: new BootstrapDeviceDirectory(store), sealer });
  return { keys, store, importRows };
}

const id = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('PskKeyStore', () => {
  it('gives the LwM2M server the lwm2m psk_key of the device bound to the lwm2m psk_id, and nothing else', async () => {
    const { keys } = await setUp(pskRow('dev-a', 'id-a', 'bs-a', 'ext-a'), noSecRow('dev-nosec'));
    expect((await keys.lwm2mLookup(id('id-a')))?.toString('hex')).toBe(LWM2M_KEY);
    expect((await keys.lwm2mDevice('id-a'))?.endpoint).toBe('dev-a');
    for (const other of ['bs-a', 'ext-a', 'dev-a', 'dev-nosec', 'unknown', '']) expect(await keys.lwm2mLookup(id(other))).toBeUndefined();
  });

  it('gives the bootstrap server the bootstrap psk_key for the bootstrap psk_id or the external-c8y_BootstrapPskId', async () => {
    const { keys } = await setUp(pskRow('dev-b', 'id-b', 'bs-b', 'ext-b'));
    expect((await keys.bootstrapLookup(id('bs-b')))?.toString('hex')).toBe(BOOTSTRAP_KEY);
    expect((await keys.bootstrapLookup(id('ext-b')))?.toString('hex')).toBe(BOOTSTRAP_KEY);
    expect((await keys.bootstrapDevice('ext-b'))?.endpoint).toBe('dev-b');
    expect(await keys.bootstrapLookup(id('id-b'))).toBeUndefined();
    expect(await keys.bootstrapLookup(id('unknown'))).toBeUndefined();
  });

  it('finds a device imported after the first lookup, and forgets an identity a re-import replaced', async () => {
    const { keys, importRows } = await setUp(pskRow('dev-c', 'id-c', 'bs-c', 'ext-c'));
    expect(await keys.lwm2mLookup(id('id-d'))).toBeUndefined();
    await importRows(pskRow('dev-c', 'id-c2', 'bs-c', 'ext-c'), pskRow('dev-d', 'id-d', 'bs-d', 'ext-d'));
    expect((await keys.lwm2mDevice('id-d'))?.endpoint).toBe('dev-d');
    expect((await keys.lwm2mDevice('id-c2'))?.endpoint).toBe('dev-c');
    expect(await keys.lwm2mLookup(id('id-c'))).toBeUndefined();
  });

  it('gives the next lookup the key a re-import changed, and no key once the device is decommissioned', async () => {
    const { keys, store, importRows } = await setUp(pskRow('dev-f', 'id-f', 'bs-f', 'ext-f'));
    expect((await keys.lwm2mLookup(id('id-f')))?.toString('hex')).toBe(LWM2M_KEY);
    const changedKey = 'ffeeddccbbaa99887766554433221100';
    await importRows(pskRow('dev-f', 'id-f', 'bs-f', 'ext-f', changedKey));
    expect((await keys.lwm2mLookup(id('id-f')))?.toString('hex')).toBe(changedKey);
    await decommissionTestDevice(store, 'dev-f');
    expect(await keys.lwm2mLookup(id('id-f'))).toBeUndefined();
  });

  it('matches no identity whose bytes are not UTF-8 text', async () => {
    const { keys } = await setUp(pskRow('dev-e', 'id-e', 'bs-e', 'ext-e'));
    const garbled = Buffer.concat([id('id-e'), Buffer.from([0xff])]);
    expect(identityText(garbled)).toBeUndefined();
    expect(await keys.lwm2mLookup(garbled)).toBeUndefined();
    expect(identityText(id('Ünïcode-id'))).toBe('Ünïcode-id');
  });
});
