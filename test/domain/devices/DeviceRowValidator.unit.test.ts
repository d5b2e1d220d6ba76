import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DeviceCsvHeader } from '../../../src/domain/devices/DeviceCsvHeader.ts';
import { resolveDeviceCsvHeader } from '../../../src/domain/devices/DeviceCsvHeader.ts';
import type { DeviceCsvProblem } from '../../../src/domain/devices/DeviceCsvProblem.ts';
import type { ValidDeviceRow } from '../../../src/domain/devices/DeviceRowValidator.ts';
import { validateDeviceRow } from '../../../src/domain/devices/DeviceRowValidator.ts';

const nosec = { 'endpoint id': 'dev-1', securityMode: 'NO_SEC' };
const psk = {
  'endpoint id': 'dev-1',
  securityMode: 'PSK',
  'lwm2m psk_id': 'dev-1',
  'lwm2m psk_key': '00112233',
  'bootstrap psk_id': 'dev-1-bs',
  'bootstrap psk_key': 'aabbccdd',
};

function headerOf(headers: readonly string[]): DeviceCsvHeader {
  const result = resolveDeviceCsvHeader(headers, 1);
  if (!result.ok) throw new Error(`bad header: ${JSON.stringify(result.problems)}`);
  return result.header;
}

/** Validates one record whose header is its keys in order (its cells the values), as line 7 of a file. */
function validate(record: Record<string, string>, line = 7): ReturnType<typeof validateDeviceRow> {
  return validateDeviceRow(Object.values(record), line, headerOf(Object.keys(record)));
}

function valid(record: Record<string, string>): ValidDeviceRow {
  const result = validate(record);
  if (!result.ok) throw new Error(`unexpected problems: ${JSON.stringify(result.problems)}`);
  return result.row;
}

function problems(record: Record<string, string>, line = 7): readonly DeviceCsvProblem[] {
  const result = validate(record, line);
  if (result.ok) throw new Error('expected problems, the row is valid');
  return result.problems;
}

/** The problem at one column (by header text), asserting that there is exactly one. */
function problemAt(record: Record<string, string>, column: string): DeviceCsvProblem {
  const found = problems(record).filter((p) => p.column === column);
  expect(found).toHaveLength(1);
  const [problem] = found;
  if (!problem) throw new Error('unreachable');
  expect(problem.line).toBe(7);
  expect(problem.columnNumber).toBe(Object.keys(record).indexOf(column) + 1);
  return problem;
}

describe('validateDeviceRow: defaults and typed values', () => {
  it('fills the defaults of a minimal NO_SEC row', () => {
    const row = valid(nosec);
    expect(row.line).toBe(7);
    expect(row.registration).toEqual({
      endpoint: 'dev-1',
      externalId: 'dev-1',
      idType: 'c8y_Serial',
      name: 'dev-1',
      type: 'c8y_lwm2m',
      shellEnabled: false,
      agent: true,
      serverUri: null,
      securityMode: 'NO_SEC',
      lwm2mPskId: null,
      bootstrapPskId: null,
      serverPublicKey: null,
      generateBootstrapServerConfig: false,
      securityInstanceOffset: 0,
      bootstrapShortServerId: 0,
      lwm2mShortServerId: 1,
      registrationLifetime: null,
      defaultMinimumPeriod: null,
      defaultMaximumPeriod: null,
      bindingMode: 'UQ',
      notificationIfDisabled: null,
      disableTimeout: null,
      externalBootstrapPskId: null,
    });
    expect(row.lwm2mPskKey).toBeNull();
    expect(row.bootstrapPskKey).toBeNull();
  });

  it('reads every column of the PSK table into typed values, keys as bytes', () => {
    const row = valid({
      ID: '490154203237518',
      IDTYPE: 'IMEI',
      CREDENTIALS: 'hunter2',
      NAME: 'Meter 1',
      TYPE: 'c8y_lwm2m',
      SHELL: '1',
      com_cumulocity_model_Agent: '0',
      ...psk,
      'lwm2m server uri': 'coaps://lwm2m.example.com:5684',
      serverPublicKey: '3059301306072a8648ce3d0201',
      generateBootstrapServerConfig: 'TRUE',
      securityInstanceOffset: '3',
      bootstrapShortServerId: '100',
      lwm2mShortServerId: '65534',
      registrationLifetime: '300',
      defaultMinimumPeriod: '0',
      defaultMaximumPeriod: '600',
      bindingMode: 'U',
      notificationIfDisabled: 'false',
      disableTimeout: '86400',
      'external-c8y_BootstrapPskId': 'ext-bs-1',
    });
    expect(row.registration).toMatchObject({
      externalId: '490154203237518',
      idType: 'IMEI',
      name: 'Meter 1',
      shellEnabled: true,
      agent: false,
      serverUri: 'coaps://lwm2m.example.com:5684',
      securityMode: 'PSK',
      lwm2mPskId: 'dev-1',
      bootstrapPskId: 'dev-1-bs',
      serverPublicKey: '3059301306072a8648ce3d0201',
      generateBootstrapServerConfig: true,
      securityInstanceOffset: 3,
      bootstrapShortServerId: 100,
      lwm2mShortServerId: 65534,
      registrationLifetime: 300,
      defaultMinimumPeriod: 0,
      defaultMaximumPeriod: 600,
      bindingMode: 'U',
      notificationIfDisabled: false,
      disableTimeout: 86400,
      externalBootstrapPskId: 'ext-bs-1',
    });
    expect([...(row.lwm2mPskKey ?? [])]).toEqual([0x00, 0x11, 0x22, 0x33]);
    expect([...(row.bootstrapPskKey ?? [])]).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
  });

  it('never keeps CREDENTIALS', () => {
    const row = valid({ ...nosec, CREDENTIALS: 'top-secret-password' });
    expect(JSON.stringify(row)).not.toContain('top-secret-password');
  });

  it('matches header names without regard to case and spaces, and takes "url" and "uri" alike', () => {
    for (const serverColumn of ['lwm2m server url', '  LWM2M   Server URI ']) {
      const row = valid({ '  ENDPOINT ID ': 'dev-1', SecurityMode: 'NO_SEC', [serverColumn]: 'coap://h:5683', 'tYpE': 'c8y_lwm2m' });
      expect(row.registration.serverUri).toBe('coap://h:5683');
    }
  });

  it('treats an empty cell as not given', () => {
    const row = valid({ ...nosec, NAME: '', SHELL: '', bindingMode: '', registrationLifetime: '' });
    expect(row.registration).toMatchObject({ name: 'dev-1', shellEnabled: false, bindingMode: 'UQ', registrationLifetime: null });
  });
});

describe('validateDeviceRow: rules, each problem with its line and column', () => {
  it('requires the endpoint id', () => {
    expect(problemAt({ ID: 'x', 'endpoint id': '', securityMode: 'NO_SEC' }, 'endpoint id').message).toMatch(/required/);
  });

  it('limits the endpoint id to 255 characters', () => {
    expect(problemAt({ 'endpoint id': 'e'.repeat(256), securityMode: 'NO_SEC' }, 'endpoint id').message).toMatch(/at most 255/);
    expect(valid({ 'endpoint id': 'e'.repeat(255), securityMode: 'NO_SEC' }).registration.endpoint).toHaveLength(255);
  });

  it('accepts only NO_SEC, PSK, X509 and RPK as securityMode', () => {
    expect(problemAt({ 'endpoint id': 'd', securityMode: 'CERT' }, 'securityMode').message).toMatch(/"CERT" is not a supported security mode \(NO_SEC, PSK, X509 or RPK\)/);
    expect(problemAt({ 'endpoint id': 'd', securityMode: 'no_sec' }, 'securityMode').message).toMatch(/not a supported/);
    expect(problemAt({ 'endpoint id': 'd', securityMode: '' }, 'securityMode').message).toMatch(/required/);
  });

  it('requires all four PSK fields for PSK, naming each missing one', () => {
    const record = { ...psk, 'lwm2m psk_key': '', 'bootstrap psk_id': '' };
    const found = problems(record);
    expect(found).toEqual([
      { line: 7, column: 'lwm2m psk_key', columnNumber: 4, message: '"lwm2m psk_key" is required when securityMode is PSK' },
      { line: 7, column: 'bootstrap psk_id', columnNumber: 5, message: '"bootstrap psk_id" is required when securityMode is PSK' },
    ]);
  });

  it('reports PSK fields whose column the file lacks, without a column number', () => {
    expect(problems({ 'endpoint id': 'd', securityMode: 'PSK' })).toEqual(
      ['lwm2m psk_id', 'lwm2m psk_key', 'bootstrap psk_id', 'bootstrap psk_key'].map((column) => ({
        line: 7,
        column,
        columnNumber: null,
        message: `"${column}" is required when securityMode is PSK`,
      })),
    );
  });

  it('forbids PSK fields for NO_SEC', () => {
    const record = { ...psk, securityMode: 'NO_SEC' };
    expect(problems(record).map((p) => [p.columnNumber, p.message])).toEqual([
      [3, '"lwm2m psk_id" must be empty when securityMode is NO_SEC'],
      [4, '"lwm2m psk_key" must be empty when securityMode is NO_SEC'],
      [5, '"bootstrap psk_id" must be empty when securityMode is NO_SEC'],
      [6, '"bootstrap psk_key" must be empty when securityMode is NO_SEC'],
    ]);
  });

  it('takes PSK keys as an even number of hex digits, 1 to 64 bytes', () => {
    expect(problemAt({ ...psk, 'lwm2m psk_key': 'xyz0' }, 'lwm2m psk_key').message).toMatch(/hexadecimal/);
    expect(problemAt({ ...psk, 'lwm2m psk_key': 'abc' }, 'lwm2m psk_key').message).toMatch(/odd number of hex digits/);
    expect(problemAt({ ...psk, 'bootstrap psk_key': '0x00ff' }, 'bootstrap psk_key').message).toMatch(/hexadecimal/);
    expect(problemAt({ ...psk, 'bootstrap psk_key': 'ab'.repeat(65) }, 'bootstrap psk_key').message).toMatch(/65 bytes long; at most 64/);
    expect(valid({ ...psk, 'bootstrap psk_key': 'AB'.repeat(64) }).bootstrapPskKey).toHaveLength(64);
  });

  it('limits PSK identities to 128 UTF-8 bytes', () => {
    expect(problemAt({ ...psk, 'lwm2m psk_id': 'é'.repeat(65) }, 'lwm2m psk_id').message).toMatch(/130 bytes long; at most 128/);
    expect(valid({ ...psk, 'lwm2m psk_id': 'é'.repeat(64) }).registration.lwm2mPskId).toBe('é'.repeat(64));
  });

  it('parses booleans strictly: true, false (any case), 1, 0', () => {
    for (const [text, value] of [['true', true], ['TRUE', true], ['1', true], ['False', false], ['0', false]] as const) {
      expect(valid({ ...nosec, SHELL: text }).registration.shellEnabled).toBe(value);
    }
    for (const text of ['yes', 'no', '2', 'on', 't', '01']) {
      expect(problemAt({ ...nosec, notificationIfDisabled: text }, 'notificationIfDisabled').message).toBe(`"${text}" is not a boolean (true, false, 1 or 0)`);
    }
  });

  it('parses integers strictly: decimal digits only', () => {
    for (const text of ['-1', '+5', '1.0', '1e3', '0x10', '3 00', 'ten']) {
      expect(problemAt({ ...nosec, registrationLifetime: text }, 'registrationLifetime').message).toMatch(/is not an integer/);
    }
  });

  it('checks each integer field against its range', () => {
    const cases: readonly [string, string, string][] = [
      ['lwm2mShortServerId', '0', '1 to 65534'],
      ['lwm2mShortServerId', '65535', '1 to 65534'],
      ['bootstrapShortServerId', '65535', '0 to 65534'],
      ['securityInstanceOffset', '65534', '0 to 65533'],
      ['registrationLifetime', '0', '1 to 2147483647'],
      ['defaultMaximumPeriod', '0', '1 to 2147483647'],
      ['disableTimeout', '2147483648', '0 to 2147483647'],
      ['defaultMinimumPeriod', '99999999999999999999', '0 to 2147483647'],
    ];
    for (const [column, text, range] of cases) {
      expect(problemAt({ ...nosec, [column]: text }, column).message).toBe(`${text} is out of range (${range})`);
    }
    expect(valid({ ...nosec, bootstrapShortServerId: '0', disableTimeout: '0' }).registration).toMatchObject({ bootstrapShortServerId: 0, disableTimeout: 0 });
  });

  it('reads disableTimeout as seconds, not as a boolean', () => {
    expect(valid({ ...nosec, disableTimeout: '3600' }).registration.disableTimeout).toBe(3600);
    expect(problemAt({ ...nosec, disableTimeout: 'true' }, 'disableTimeout').message).toMatch(/not an integer/);
  });

  it('requires the default minimum period not to exceed the maximum', () => {
    expect(problemAt({ ...nosec, defaultMinimumPeriod: '60', defaultMaximumPeriod: '30' }, 'defaultMaximumPeriod').message).toMatch(/below the default minimum/);
    expect(valid({ ...nosec, defaultMinimumPeriod: '30', defaultMaximumPeriod: '30' }).registration.defaultMaximumPeriod).toBe(30);
  });

  it('accepts U and UQ as bindingMode', () => {
    expect(valid({ ...nosec, bindingMode: 'U' }).registration.bindingMode).toBe('U');
    expect(problemAt({ ...nosec, bindingMode: 'T' }, 'bindingMode').message).toBe('"T" is not a supported binding mode (U or UQ)');
  });

  it('requires TYPE to be c8y_lwm2m', () => {
    expect(problemAt({ ...nosec, TYPE: 'c8y_MQTT' }, 'TYPE').message).toBe('"c8y_MQTT" is not c8y_lwm2m');
  });

  it('requires a coap URI for NO_SEC and a coaps URI for PSK', () => {
    expect(problemAt({ ...nosec, 'lwm2m server url': 'coaps://h:5684' }, 'lwm2m server url').message).toMatch(/NO_SEC needs a coap:\/\//);
    expect(problemAt({ ...psk, 'lwm2m server uri': 'coap://h:5683' }, 'lwm2m server uri').message).toMatch(/PSK needs a coaps:\/\//);
    expect(problemAt({ ...nosec, 'lwm2m server url': 'http://h' }, 'lwm2m server url').message).toMatch(/coap, coaps, coap\+tcp or coaps\+tcp scheme/);
    expect(problemAt({ ...nosec, 'lwm2m server url': 'not a uri' }, 'lwm2m server url').message).toMatch(/is not a URI/);
  });

  it('takes CoAP over TCP and TLS server URIs (RFC 8323 section 8): coap+tcp for NO_SEC, coaps+tcp for PSK and X509', () => {
    expect(validate({ ...nosec, 'lwm2m server uri': 'coap+tcp://h:5683' })).toMatchObject({ ok: true, row: { registration: { serverUri: 'coap+tcp://h:5683' } } });
    expect(validate({ ...psk, 'lwm2m server uri': 'coaps+tcp://h:5684' })).toMatchObject({ ok: true, row: { registration: { serverUri: 'coaps+tcp://h:5684' } } });
    expect(problemAt({ ...nosec, 'lwm2m server uri': 'coaps+tcp://h:5684' }, 'lwm2m server uri').message).toMatch(/NO_SEC needs a coap:\/\/ or coap\+tcp:\/\//);
    expect(problemAt({ ...psk, 'lwm2m server uri': 'coap+tcp://h:5683' }, 'lwm2m server uri').message).toMatch(/PSK needs a coaps:\/\/ or coaps\+tcp:\/\//);
    expect(problemAt({ 'endpoint id': 'rpk-1', securityMode: 'RPK', 'lwm2m server uri': 'coaps+tcp://h:5684', publicKey: '00' }, 'lwm2m server uri').message).toMatch(/RPK is served over DTLS/);
    expect(validate({ 'endpoint id': 'x509-1', securityMode: 'X509', 'lwm2m server uri': 'coaps+tcp://h:5684' })).toMatchObject({ ok: true });
  });

  it('quotes at most 40 characters of a bad cell, and never a key', () => {
    expect(problemAt({ ...nosec, SHELL: 'x'.repeat(1000) }, 'SHELL').message).toBe(`"${'x'.repeat(40)}…" is not a boolean (true, false, 1 or 0)`);
    const secret = 'zz0011223344556677';
    for (const problem of problems({ ...psk, 'lwm2m psk_key': secret, 'bootstrap psk_key': `${secret}0` })) expect(problem.message).not.toContain(secret);
  });

  it('rejects control characters in a cell', () => {
    expect(problemAt({ ...nosec, NAME: 'two\nlines' }, 'NAME').message).toMatch(/control character/);
  });

  it('reports every problem of a row in column order', () => {
    const found = problems({ 'endpoint id': '', securityMode: 'X', SHELL: 'maybe', bindingMode: 'Q', lwm2mShortServerId: '0' }, 12);
    expect(found.map((p) => [p.line, p.column, p.columnNumber])).toEqual([
      [12, 'endpoint id', 1],
      [12, 'securityMode', 2],
      [12, 'SHELL', 3],
      [12, 'bindingMode', 4],
      [12, 'lwm2mShortServerId', 5],
    ]);
  });

  it('never throws and always locates its problems, whatever the cells hold', () => {
    const header = headerOf(['endpoint id', 'securityMode', 'lwm2m psk_key', 'SHELL', 'registrationLifetime', 'lwm2m server uri']);
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 6, maxLength: 6 }), (cells) => {
        const result = validateDeviceRow(cells, 3, header);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const problem of result.problems) expect(problem.line).toBe(3);
        }
      }),
    );
  });
});

describe('validateDeviceRow: round trip (property)', () => {
  const printable = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '_', ':', '.', ' ', 'é', '€'), minLength: 1, maxLength: 30 }).filter((s) => s.trim() === s && s !== '');
  const hexKey = fc.uint8Array({ minLength: 1, maxLength: 64 });
  const optionalInt = (min: number, max: number) => fc.option(fc.integer({ min, max }), { nil: null });
  const registration = fc.record({
    endpoint: printable,
    externalId: printable,
    idType: printable,
    name: printable,
    shellEnabled: fc.boolean(),
    agent: fc.boolean(),
    psk: fc.option(fc.record({ lwm2mPskId: printable, lwm2mPskKey: hexKey, bootstrapPskId: printable, bootstrapPskKey: hexKey }), { nil: null }),
    host: fc.constantFrom('lwm2m.example.com', '192.0.2.7', '[2001:db8::1]'),
    generateBootstrapServerConfig: fc.boolean(),
    securityInstanceOffset: fc.integer({ min: 0, max: 65533 }),
    bootstrapShortServerId: fc.integer({ min: 0, max: 65534 }),
    lwm2mShortServerId: fc.integer({ min: 1, max: 65534 }),
    registrationLifetime: optionalInt(1, 2_147_483_647),
    defaultMinimumPeriod: optionalInt(0, 1000),
    defaultMaximumPeriod: optionalInt(1000, 2_147_483_647),
    bindingMode: fc.constantFrom('U' as const, 'UQ' as const),
    notificationIfDisabled: fc.option(fc.boolean(), { nil: null }),
    disableTimeout: optionalInt(0, 2_147_483_647),
    externalBootstrapPskId: fc.option(printable, { nil: null }),
  });
  const hex = (bytes: Uint8Array, upper: boolean): string => {
    const text = Buffer.from(bytes).toString('hex');
    return upper ? text.toUpperCase() : text;
  };

  it('reads back every valid registration written as cells', () => {
    fc.assert(
      fc.property(registration, fc.boolean(), (r, upper) => {
        const scheme = r.psk ? 'coaps' : 'coap';
        const record: Record<string, string> = {
          ID: r.externalId,
          IDTYPE: r.idType,
          NAME: r.name,
          TYPE: 'c8y_lwm2m',
          SHELL: r.shellEnabled ? '1' : '0',
          com_cumulocity_model_Agent: r.agent ? 'true' : 'false',
          'endpoint id': r.endpoint,
          'lwm2m server uri': `${scheme}://${r.host}:5684`,
          securityMode: r.psk ? 'PSK' : 'NO_SEC',
          'lwm2m psk_id': r.psk?.lwm2mPskId ?? '',
          'lwm2m psk_key': r.psk ? hex(r.psk.lwm2mPskKey, upper) : '',
          'bootstrap psk_id': r.psk?.bootstrapPskId ?? '',
          'bootstrap psk_key': r.psk ? hex(r.psk.bootstrapPskKey, upper) : '',
          generateBootstrapServerConfig: String(r.generateBootstrapServerConfig),
          securityInstanceOffset: String(r.securityInstanceOffset),
          bootstrapShortServerId: String(r.bootstrapShortServerId),
          lwm2mShortServerId: String(r.lwm2mShortServerId),
          registrationLifetime: r.registrationLifetime === null ? '' : String(r.registrationLifetime),
          defaultMinimumPeriod: r.defaultMinimumPeriod === null ? '' : String(r.defaultMinimumPeriod),
          defaultMaximumPeriod: r.defaultMaximumPeriod === null ? '' : String(r.defaultMaximumPeriod),
          bindingMode: r.bindingMode,
          notificationIfDisabled: r.notificationIfDisabled === null ? '' : String(r.notificationIfDisabled),
          disableTimeout: r.disableTimeout === null ? '' : String(r.disableTimeout),
          'external-c8y_BootstrapPskId': r.externalBootstrapPskId ?? '',
        };
        const row = valid(record);
        expect(row.registration).toEqual({
          endpoint: r.endpoint,
          externalId: r.externalId,
          idType: r.idType,
          name: r.name,
          type: 'c8y_lwm2m',
          shellEnabled: r.shellEnabled,
          agent: r.agent,
          serverUri: `${scheme}://${r.host}:5684`,
          securityMode: r.psk ? 'PSK' : 'NO_SEC',
          lwm2mPskId: r.psk?.lwm2mPskId ?? null,
          bootstrapPskId: r.psk?.bootstrapPskId ?? null,
          serverPublicKey: null,
          generateBootstrapServerConfig: r.generateBootstrapServerConfig,
          securityInstanceOffset: r.securityInstanceOffset,
          bootstrapShortServerId: r.bootstrapShortServerId,
          lwm2mShortServerId: r.lwm2mShortServerId,
          registrationLifetime: r.registrationLifetime,
          defaultMinimumPeriod: r.defaultMinimumPeriod,
          defaultMaximumPeriod: r.defaultMaximumPeriod,
          bindingMode: r.bindingMode,
          notificationIfDisabled: r.notificationIfDisabled,
          disableTimeout: r.disableTimeout,
          externalBootstrapPskId: r.externalBootstrapPskId,
        });
        expect(row.lwm2mPskKey).toEqual(r.psk?.lwm2mPskKey ?? null);
        expect(row.bootstrapPskKey).toEqual(r.psk?.bootstrapPskKey ?? null);
      }),
    );
  });
});

describe('validateDeviceRow: X509 and RPK', () => {
  // A secp256r1 SubjectPublicKeyInfo (RFC 5480 section 2), in hex, and the same bytes in base64.
  const spkiHex =
    '3059301306072a8648ce3d020106082a8648ce3d030107034200048294a1019bedca43ebd3d99fd4912d9aaef1ecfe21e2193de2bf75db5967bb5bd835ccebd218381663576cb28d70fa6c7425a71fcec70edcea9da62035298f5b';
  const spkiBase64 = Buffer.from(spkiHex, 'hex').toString('base64');
  // A secp384r1 key: well-formed DER, but not the curve of RFC 7925 section 4.4.1.
  const p384Base64 = 'MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEKA5CVVvgH/8fLDIYBMgzV8xPubvmTvFizePXDdr+YTR+DOcOlYHq6wgm4XuPrjwupdqcQZHsLUvOjZZg2WxPM+ex+I7mFFeznVhCwXQq+dIIGBD9QmLeI1Mu6CdNus1M';
  const rpk = { 'endpoint id': 'rpk-1', securityMode: 'RPK', 'lwm2m server uri': 'coaps://hub:5684', publicKey: spkiHex };

  it('keeps an RPK device public key, given in hex or base64, as base64 DER', () => {
    expect(valid(rpk).registration).toMatchObject({ securityMode: 'RPK', publicKey: spkiBase64, lwm2mPskId: null, serverPublicKey: null });
    expect(valid({ ...rpk, publicKey: spkiBase64 }).registration.publicKey).toBe(spkiBase64);
    expect(valid({ ...rpk, serverPublicKey: spkiBase64 }).registration.serverPublicKey).toBe(spkiBase64);
  });

  it('requires the public key of an RPK device and checks it is a secp256r1 SubjectPublicKeyInfo', () => {
    expect(problemAt({ ...rpk, publicKey: '' }, 'publicKey').message).toBe('"publicKey" is required when securityMode is RPK');
    expect(problemAt({ ...rpk, publicKey: p384Base64 }, 'publicKey').message).toMatch(/secp256r1 \(P-256\) key with an uncompressed point/);
    expect(problemAt({ ...rpk, publicKey: spkiHex.slice(0, -2) }, 'publicKey').message).toBe('the public key is not DER: its SEQUENCE is 91 bytes long, the cell holds 90');
    expect(problemAt({ ...rpk, publicKey: spkiHex.slice(1) }, 'publicKey').message).toMatch(/odd number of hex digits/);
    expect(problemAt({ ...rpk, publicKey: 'not a key!' }, 'publicKey').message).toBe('the public key must be DER in base64 or in hex digits');
    expect(problemAt({ ...rpk, serverPublicKey: '0401' }, 'serverPublicKey').message).toBe('the server public key is not DER (it must be one ASN.1 SEQUENCE)');
  });

  it('takes an X509 device with no per-device column, or with its own certificate pinned', () => {
    const x509 = { 'endpoint id': 'x509-1', securityMode: 'X509', 'lwm2m server uri': 'coaps://hub:5684' };
    const registration = valid(x509).registration;
    expect(registration.securityMode).toBe('X509');
    expect(registration).not.toHaveProperty('certificate');
    expect(registration).not.toHaveProperty('publicKey');
    // Any complete DER SEQUENCE passes the structural check; the handshake compares the bytes.
    expect(valid({ ...x509, certificate: '300100' }).registration.certificate).toBe('MAEA');
  });

  it('refuses the columns of another mode, and a plain server URI, saying which mode they belong to', () => {
    expect(problemAt({ ...rpk, certificate: '300100' }, 'certificate').message).toBe('"certificate" must be empty when securityMode is RPK (it is for X509)');
    expect(problemAt({ ...psk, publicKey: spkiHex }, 'publicKey').message).toBe('"publicKey" must be empty when securityMode is PSK (it is for RPK)');
    expect(problemAt({ ...rpk, 'lwm2m psk_id': 'x' }, 'lwm2m psk_id').message).toBe('"lwm2m psk_id" must be empty when securityMode is RPK');
    expect(problemAt({ ...rpk, 'lwm2m server uri': 'coap://hub' }, 'lwm2m server uri').message).toBe('securityMode RPK needs a coaps:// or coaps+tcp:// server URI, got "coap://hub"');
  });

  it('takes the bootstrap PSK of an X509 or RPK device as a pair', () => {
    expect(valid({ ...rpk, 'bootstrap psk_id': 'bs', 'bootstrap psk_key': '0011' }).bootstrapPskKey).toEqual(Uint8Array.from([0, 0x11]));
    expect(problemAt({ ...rpk, 'bootstrap psk_id': 'bs', 'bootstrap psk_key': '' }, 'bootstrap psk_key').message).toBe(
      '"bootstrap psk_key" is required with the other bootstrap PSK column',
    );
  });
});
