import { describe, expect, it } from 'vitest';
import { deviceCsvColumns } from '../../../src/domain/devices/DeviceCsvColumns.ts';
import { resolveDeviceCsvHeader } from '../../../src/domain/devices/DeviceCsvHeader.ts';

describe('resolveDeviceCsvHeader', () => {
  it('accepts every column of both tables of the guide, and the certificate columns', () => {
    const headers = [
      'ID', 'IDTYPE', 'CREDENTIALS', 'NAME', 'TYPE', 'SHELL', 'com_cumulocity_model_Agent', 'endpoint id', 'lwm2m server url',
      'securityMode', 'lwm2m psk_id', 'lwm2m psk_key', 'bootstrap psk_id', 'bootstrap psk_key', 'serverPublicKey', 'publicKey', 'certificate',
      'generateBootstrapServerConfig', 'securityInstanceOffset', 'bootstrapShortServerId', 'lwm2mShortServerId',
      'registrationLifetime', 'defaultMinimumPeriod', 'defaultMaximumPeriod', 'bindingMode', 'notificationIfDisabled',
      'disableTimeout', 'external-c8y_BootstrapPskId',
    ];
    const result = resolveDeviceCsvHeader(headers, 1);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.header.cells.size).toBe(deviceCsvColumns.length);
    expect(result.header.cells.get('serverUri')).toMatchObject({ header: 'lwm2m server url', columnNumber: 9 });
    expect(result.header.cells.get('externalBootstrapPskId')).toMatchObject({ columnNumber: 28 });
  });

  it('matches names without regard to case, surrounding spaces and inner runs of spaces', () => {
    const result = resolveDeviceCsvHeader([' Endpoint   ID ', 'SECURITYMODE', 'Lwm2m Server URI'], 3);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.header.line).toBe(3);
    expect(result.header.cells.get('endpoint')).toMatchObject({ header: ' Endpoint   ID ', columnNumber: 1 });
    expect(result.header.cells.get('serverUri')).toMatchObject({ columnNumber: 3 });
  });

  it('rejects unknown, unnamed and repeated columns, and missing required ones, each with its position', () => {
    const result = resolveDeviceCsvHeader(['ID', 'lwm2m server adress', '', 'NAME', 'name', 'lwm2m server url', 'lwm2m server uri'], 1);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => [p.line, p.column, p.columnNumber])).toEqual([
      [1, 'lwm2m server adress', 2],
      [1, '', 3],
      [1, 'name', 5],
      [1, 'lwm2m server uri', 7],
      [1, 'endpoint id', null],
      [1, 'securityMode', null],
    ]);
    expect(result.problems[0]?.message).toMatch(/^unknown column "lwm2m server adress"; the accepted columns are: ID, IDTYPE/);
    expect(result.problems[1]?.message).toBe('column 3 has no name');
    expect(result.problems[2]?.message).toBe('column "name" repeats column 4 ("NAME")');
    expect(result.problems[3]?.message).toBe('column "lwm2m server uri" repeats column 6 ("lwm2m server url")');
    expect(result.problems[4]?.message).toBe('the required column "endpoint id" is missing');
  });
});
