import { describe, expect, it } from 'vitest';
import { resolveDeviceCsvHeader } from '../../../src/domain/devices/DeviceCsvHeader.ts';
import { DeviceIdentityUniqueness } from '../../../src/domain/devices/DeviceIdentityUniqueness.ts';

const headers = ['endpoint id', 'securityMode', 'lwm2m psk_id', 'bootstrap psk_id', 'external-c8y_BootstrapPskId'];

function uniqueness(): DeviceIdentityUniqueness {
  const result = resolveDeviceCsvHeader(headers, 1);
  if (!result.ok) throw new Error('bad header');
  return new DeviceIdentityUniqueness(result.header);
}

/** A record's cells, in the order of `headers`. */
function record(endpoint: string, lwm2mId = '', bootstrapId = '', externalId = ''): string[] {
  return [endpoint, 'PSK', lwm2mId, bootstrapId, externalId];
}

describe('DeviceIdentityUniqueness', () => {
  it('finds nothing in a file of distinct devices, empty cells aside', () => {
    const check = uniqueness();
    check.add(record('a', 'a', 'a-bs', 'a-bs'), 2);
    check.add(record('b', 'b', 'b-bs'), 3);
    check.add(record('c'), 4);
    check.add(record('d'), 5);
    expect(check.problems()).toEqual([]);
  });

  it('reports a repeated endpoint id on every line that has it, naming the others', () => {
    const check = uniqueness();
    check.add(record('dup'), 2);
    check.add(record('other'), 3);
    check.add(record(' dup '), 4);
    check.add(record('dup'), 9);
    expect(check.problems()).toEqual([
      { line: 2, column: 'endpoint id', columnNumber: 1, message: 'endpoint id "dup" is also on lines 4, 9' },
      { line: 4, column: 'endpoint id', columnNumber: 1, message: 'endpoint id "dup" is also on lines 2, 9' },
      { line: 9, column: 'endpoint id', columnNumber: 1, message: 'endpoint id "dup" is also on lines 2, 4' },
    ]);
  });

  it('keeps LwM2M and bootstrap identities apart, but bootstrap psk_id and external-c8y_BootstrapPskId together', () => {
    const check = uniqueness();
    check.add(record('a', 'shared'), 2);
    check.add(record('b', 'b', 'shared'), 3);
    check.add(record('c', 'c', 'c-bs', 'c-bs'), 4);
    check.add(record('d', 'd', 'd-bs', 'c-bs'), 5);
    expect(check.problems()).toEqual([
      { line: 4, column: 'bootstrap psk_id', columnNumber: 4, message: 'bootstrap PSK identity "c-bs" is also on line 5' },
      { line: 5, column: 'external-c8y_BootstrapPskId', columnNumber: 5, message: 'bootstrap PSK identity "c-bs" is also on line 4' },
    ]);
  });

  it('reports a repeated LwM2M PSK identity', () => {
    const check = uniqueness();
    check.add(record('a', 'id-1'), 2);
    check.add(record('b', 'id-1'), 3);
    expect(check.problems().map((p) => [p.line, p.columnNumber, p.message])).toEqual([
      [2, 3, 'LwM2M PSK identity "id-1" is also on line 3'],
      [3, 3, 'LwM2M PSK identity "id-1" is also on line 2'],
    ]);
  });
});
