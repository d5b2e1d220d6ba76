/**
 * The TLS ports' synchronous PSK lookups against devices imported from CSV text by the import service:
 * after `prepare`, the same answers as the DTLS ports' PskKeyStore, for the LwM2M server and the
 * bootstrap server, following re-imports.
 */
import { describe, expect, it } from 'vitest';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { BootstrapDeviceDirectory } from '../../../src/app/bootstrap/BootstrapDeviceDirectory.ts';
import { DeviceImportService } from '../../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { Lwm2mPskIdentityIndex } from '../../../src/app/security/Lwm2mPskIdentityIndex.ts';
import { PskKeyStore } from '../../../src/app/security/PskKeyStore.ts';
import { TlsPskKeys } from '../../../src/app/security/TlsPskKeys.ts';
import { csv, noSecRow } from '../../support/BootstrapTestData.ts';

const LWM2M_KEY = '00112233445566778899aabbccddeeff';
const BOOTSTRAP_KEY = 'f0e1d2c3b4a59687';

function pskRow(endpoint: string, identity: string, bootstrapIdentity: string, external: string, key = LWM2M_KEY): string {
  return `${endpoint};c8y_Serial;;${endpoint};c8y_lwm2m;0;1;${endpoint};coaps+tcp://127.0.0.1:5684;PSK;${identity};${key};${bootstrapIdentity};${BOOTSTRAP_KEY}${';'.repeat(12)}${external}`;
}

async function setUp(...rows: string[]): Promise<{ tls: TlsPskKeys; dtls: PskKeyStore; importRows: (...more: string[]) => Promise<void> }> {
  const store = new MemoryEventStore();
  const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 7));
  const importer = new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger: silentLogger() });
  const importRows = async (...more: string[]): Promise<void> => {
    const report = await importer.importDevices(csv(...more), { actor: 'test', correlationId: 'tls-keys' });
    expect(report.errors).toEqual([]);
  };
  await importRows(...rows);
  const dtls = new PskKeyStore({ lwm2mIdentities: new Lwm2mPskIdentityIndex(store), bootstrapDevices: new BootstrapDeviceDirectory(store), sealer });
  return { tls: new TlsPskKeys(store, sealer), dtls, importRows };
}

/** Both ports' answers for each identity, as hex (null: no key). */
async function answers(tls: TlsPskKeys, dtls: PskKeyStore, identities: readonly string[]): Promise<{ tls: unknown[]; dtls: unknown[] }> {
  await tls.prepare();
  const hex = (key: Buffer | null | undefined): string | null => key?.toString('hex') ?? null;
  return {
    tls: identities.map((identity) => [hex(tls.lwm2mKey(identity)), hex(tls.bootstrapKey(identity))]),
    dtls: await Promise.all(identities.map(async (identity) => [hex(await dtls.lwm2mLookup(Buffer.from(identity))), hex(await dtls.bootstrapLookup(Buffer.from(identity)))])),
  };
}

describe('TlsPskKeys', () => {
  it('knows nothing before it is prepared, then answers as the DTLS key store does', async () => {
    const { tls, dtls } = await setUp(pskRow('dev-a', 'id-a', 'bs-a', 'ext-a'), noSecRow('dev-nosec'));
    expect(tls.lwm2mKey('id-a')).toBeNull();
    const identities = ['id-a', 'bs-a', 'ext-a', 'dev-a', 'dev-nosec', 'unknown', ''];
    const both = await answers(tls, dtls, identities);
    expect(both.tls).toEqual(both.dtls);
    expect(both.tls.slice(0, 3)).toEqual([
      [LWM2M_KEY, null],
      [null, BOOTSTRAP_KEY],
      [null, BOOTSTRAP_KEY],
    ]);
  });

  it('follows a re-import that changes an identity and a key, and a device imported later', async () => {
    const { tls, dtls, importRows } = await setUp(pskRow('dev-c', 'id-c', 'bs-c', 'ext-c'));
    await tls.prepare();
    expect(tls.lwm2mKey('id-c')?.toString('hex')).toBe(LWM2M_KEY);
    const newKey = 'aabbccddeeff00112233445566778899';
    await importRows(pskRow('dev-c', 'id-c2', 'bs-c', 'ext-c', newKey), pskRow('dev-d', 'id-d', 'bs-d', 'ext-d'));
    const both = await answers(tls, dtls, ['id-c', 'id-c2', 'id-d', 'bs-d']);
    expect(both.tls).toEqual(both.dtls);
    expect(both.tls).toEqual([
      [null, null],
      [newKey, null],
      [LWM2M_KEY, null],
      [null, BOOTSTRAP_KEY],
    ]);
  });
});
