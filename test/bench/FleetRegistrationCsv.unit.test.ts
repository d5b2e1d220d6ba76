/**
 * The fleet simulator's registration CSV, read back by the service's own CSV reader and row validator:
 * every row valid, named as the simulator names its devices, and PSK rows carrying the keys the
 * simulator derives for its handshakes.
 */
import { describe, expect, it } from 'vitest';
import { readDeviceCsv } from '../../src/adapters/csv/DeviceCsvReader.ts';
import type { ValidDeviceRow } from '../../src/domain/devices/DeviceRowValidator.ts';
import { validateDeviceRow } from '../../src/domain/devices/DeviceRowValidator.ts';
import { resolveDeviceCsvHeader } from '../../src/domain/devices/DeviceCsvHeader.ts';
import type { DeviceCsvHeader } from '../../src/domain/devices/DeviceCsvHeader.ts';
import { bootstrapPsk, endpointName, lwm2mPsk } from '../../bench/fleet/FleetCredentials.ts';
import { registrationCsvLines } from '../../bench/fleet/RegistrationCsv.ts';
import type { RegistrationCsvOptions } from '../../bench/fleet/RegistrationCsv.ts';

async function validRows(options: RegistrationCsvOptions): Promise<ValidDeviceRow[]> {
  let header: DeviceCsvHeader | undefined;
  const rows: ValidDeviceRow[] = [];
  for await (const entry of readDeviceCsv([...registrationCsvLines(options)].join(''))) {
    if (entry.kind === 'malformed') throw new Error(`line ${entry.line}: ${entry.message}`);
    if (entry.kind === 'header') {
      const resolved = resolveDeviceCsvHeader(entry.headers, entry.line);
      if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
      header = resolved.header;
      continue;
    }
    if (header === undefined) throw new Error('a record before the header');
    const validated = validateDeviceRow(entry.record, entry.line, header);
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems));
    rows.push(validated.row);
  }
  return rows;
}

const common = { devices: 3, prefix: 'sim-', seed: 'test-seed', lifetime: 120 } as const;

describe('the fleet registration CSV', () => {
  it('gives NO_SEC rows the service accepts, one per simulated endpoint, with lifetime and binding', async () => {
    const rows = await validRows({ ...common, serverUri: 'coap://127.0.0.1:5683', security: 'NO_SEC', binding: 'UQ' });
    expect(rows.map((row) => row.registration.endpoint)).toEqual(['sim-0', 'sim-1', 'sim-2']);
    expect(rows.map((row) => [row.line, row.registration.securityMode, row.registration.serverUri, row.registration.registrationLifetime, row.registration.bindingMode])).toEqual([
      [2, 'NO_SEC', 'coap://127.0.0.1:5683', 120, 'UQ'],
      [3, 'NO_SEC', 'coap://127.0.0.1:5683', 120, 'UQ'],
      [4, 'NO_SEC', 'coap://127.0.0.1:5683', 120, 'UQ'],
    ]);
    expect(rows.every((row) => row.lwm2mPskKey === null && row.bootstrapPskKey === null)).toBe(true);
  });

  it('gives PSK rows whose identities and keys are the ones the simulator derives from the seed', async () => {
    const rows = await validRows({ ...common, serverUri: 'coaps://127.0.0.1:5684', security: 'PSK', binding: 'U' });
    expect(rows).toHaveLength(3);
    rows.forEach((row, index) => {
      const endpoint = endpointName('sim-', index);
      expect(row.registration.securityMode).toBe('PSK');
      expect(row.registration.lwm2mPskId).toBe(lwm2mPsk('test-seed', endpoint).identity);
      expect(Buffer.from(row.lwm2mPskKey ?? [])).toEqual(lwm2mPsk('test-seed', endpoint).key);
      expect(row.registration.bootstrapPskId).toBe(bootstrapPsk('test-seed', endpoint).identity);
      expect(Buffer.from(row.bootstrapPskKey ?? [])).toEqual(bootstrapPsk('test-seed', endpoint).key);
    });
    // Keys differ per device and per seed.
    expect(new Set(rows.map((row) => Buffer.from(row.lwm2mPskKey ?? []).toString('hex'))).size).toBe(3);
    expect(lwm2mPsk('other-seed', 'sim-0').key).not.toEqual(lwm2mPsk('test-seed', 'sim-0').key);
  });
});
