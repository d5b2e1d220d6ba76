/** The bootstrap device directory over a memory store fed by the CSV import and the device decider. */
import { describe, expect, it } from 'vitest';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import type { ReadAllOptions, RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { DeviceImportService } from '../../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { BootstrapDeviceDirectory } from '../../../src/app/bootstrap/BootstrapDeviceDirectory.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { FULL_PSK, csv, fullPskRow } from '../../support/BootstrapTestData.ts';
import { decommissionTestDevice } from '../../support/TestDevices.ts';

const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 7));

async function importRows(store: MemoryEventStore, ...rows: string[]): Promise<void> {
  const report = await new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger: silentLogger() }).importDevices(csv(...rows), { actor: 'test', correlationId: 'test' });
  expect(report.errors).toEqual([]);
}

describe('BootstrapDeviceDirectory', () => {
  it('finds a device by endpoint, external bootstrap id and bootstrap PSK identity, following updates and decommissioning', async () => {
    const store = new MemoryEventStore();
    const directory = new BootstrapDeviceDirectory(store);
    await importRows(store, fullPskRow('dir-1', 'coaps://127.0.0.1:5684'));
    expect((await directory.byEndpoint('dir-1'))?.endpoint).toBe('dir-1');
    expect((await directory.byExternalBootstrapPskId(FULL_PSK.externalBootstrapPskId))?.endpoint).toBe('dir-1');
    expect((await directory.byPskIdentity(FULL_PSK.bootstrapPskId))?.endpoint).toBe('dir-1');
    expect((await directory.byPskIdentity(FULL_PSK.externalBootstrapPskId))?.endpoint).toBe('dir-1');
    expect(await directory.byExternalBootstrapPskId('dir-1')).toBeUndefined();

    // A re-import that changes the external id: the old one no longer finds the device.
    await importRows(store, fullPskRow('dir-1', 'coaps://127.0.0.1:5684').replace(FULL_PSK.externalBootstrapPskId, 'ext-renamed'));
    expect(await directory.byExternalBootstrapPskId(FULL_PSK.externalBootstrapPskId)).toBeUndefined();
    expect((await directory.byExternalBootstrapPskId('ext-renamed'))?.endpoint).toBe('dir-1');

    await decommissionTestDevice(store, 'dir-1');
    expect(await directory.byEndpoint('dir-1')).toBeUndefined();
    expect(await directory.byExternalBootstrapPskId('ext-renamed')).toBeUndefined();
    expect(await directory.byPskIdentity(FULL_PSK.bootstrapPskId)).toBeUndefined();
  });

  it('does not read again the other streams\' events it has passed on a later lookup', async () => {
    const store = new ReadCountingStore();
    const directory = new BootstrapDeviceDirectory(store);
    await importRows(store, fullPskRow('dir-2', 'coaps://127.0.0.1:5684'));
    for (let i = 0; i < 200; i++) await store.appendToStream(`telemetry-dir-2`, [{ type: 'MeasurementRecorded', data: { value: i } }], 'any');
    expect((await directory.byExternalBootstrapPskId(FULL_PSK.externalBootstrapPskId))?.endpoint).toBe('dir-2');
    const head = await store.headPosition();

    store.readFrom.length = 0;
    expect(await directory.byPskIdentity('nobody')).toBeUndefined();
    // The lookup reads the log, if at all, from the head the previous lookup reached: none of the 200 is scanned again.
    expect(store.readFrom.filter((after) => after < head)).toEqual([]);
  });
});

/** A real memory store that notes where each read of the log starts. */
class ReadCountingStore extends MemoryEventStore {
  readonly readFrom: number[] = [];

  override readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    this.readFrom.push(options.after ?? 0);
    return super.readAll(options);
  }
}
