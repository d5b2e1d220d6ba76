/**
 * Turns one record of the registration CSV (its cells in the header's column order) into a device's registration
 * data, or into every problem of the row, each with its line and column. Pure: the PSK keys come out
 * as bytes in clear, and the caller seals them before they go anywhere else.
 *
 * Rules where the guide ("Registering LwM2M devices") is loose, decided here:
 * - An empty cell means "not given": the field takes its default (or null when it has none).
 * - Booleans are exactly `true`, `false` (any letter case), `1` or `0`.
 * - Integers are decimal digits only (no sign, no fraction, no exponent), within the field's range.
 * - PSK keys are hexadecimal, an even number of digits, 1 to 64 bytes: RFC 4279 section 5.3 requires
 *   every implementation to support keys up to 64 bytes, so a longer key could not be used by all
 *   clients. PSK identities are non-empty printable text of at most 128 UTF-8 bytes (the length that
 *   the same section requires every implementation to support).
 * - disableTimeout: the guide's table says boolean, but it configures the LwM2M Server object resource
 *   /1/x/5 "Disable Timeout", which is an integer number of seconds (LwM2M Core 1.1, appendix E.2), so
 *   it is read as seconds.
 * - The LwM2M server URI is a coap:// or coap+tcp:// URI for NO_SEC and a coaps:// URI for PSK, X509
 *   and RPK, or coaps+tcp:// for PSK and X509: the client chooses DTLS or TLS by the scheme (LwM2M
 *   Transport 1.1, section 5.1; RFC 8323 section 8), so a mismatch could never connect.
 * - X509 and RPK devices authenticate to the LwM2M server with a certificate or a raw public key, so
 *   their "lwm2m psk_id" and "lwm2m psk_key" stay empty; "bootstrap psk_id" and "bootstrap psk_key"
 *   are optional for them, both or neither (the bootstrap server's DTLS port speaks PSK).
 * - RPK needs "publicKey", the device's secp256r1 SubjectPublicKeyInfo; X509 may give "certificate",
 *   the device's own certificate, pinned. "serverPublicKey" is, for X509, the server's certificate and,
 *   for RPK, its SubjectPublicKeyInfo (empty: the service's own). All three are DER in base64 or hex
 *   (DerCredentialCell.ts) and are kept as base64; for NO_SEC and PSK "serverPublicKey" stays free text.
 * - ID defaults to the endpoint id, IDTYPE to c8y_Serial, NAME to the endpoint id, TYPE to c8y_lwm2m,
 *   SHELL to 0, com_cumulocity_model_Agent to 1 (the value the guide requires).
 * - No cell may hold control characters (a line break inside quotes is almost always a mistake).
 */
import type { BindingMode, DeviceRegistrationData, SecurityMode } from './DeviceEvents.ts';
import { derCell, derText, isSecp256r1PublicKeyInfo } from './DerCredentialCell.ts';
import type { DeviceCsvField } from './DeviceCsvColumns.ts';
import { deviceCsvColumns } from './DeviceCsvColumns.ts';
import type { DeviceCsvHeader } from './DeviceCsvHeader.ts';
import type { DeviceCsvProblem } from './DeviceCsvProblem.ts';
import { compareProblems } from './DeviceCsvProblem.ts';

/** A valid row: the registration without its keys, and the keys in clear, to be sealed. */
export interface ValidDeviceRow {
  readonly line: number;
  readonly registration: Omit<DeviceRegistrationData, 'lwm2mPskKey' | 'bootstrapPskKey'>;
  readonly lwm2mPskKey: Uint8Array | null;
  readonly bootstrapPskKey: Uint8Array | null;
}

export type DeviceRowValidation =
  | { readonly ok: true; readonly row: ValidDeviceRow }
  | { readonly ok: false; readonly problems: readonly DeviceCsvProblem[] };

/** A record's cells in the order of the header's columns (`DeviceCsvHeaderCell.columnNumber` - 1). */
export type DeviceCsvRecord = readonly (string | undefined)[];

/** LwM2M Server object /1/x/0 "Short Server ID": 1 to 65534 (LwM2M Core 1.1, appendix E.2). */
const MAX_SHORT_SERVER_ID = 65534;
/**
 * Object Instance IDs go up to 65534 (65535 is reserved, LwM2M Core 1.1 section 7.2.1); the bootstrap
 * writes two Security instances from the offset, so the offset may be at most 65533.
 */
const MAX_SECURITY_INSTANCE_OFFSET = 65533;
/** Periods and lifetimes in seconds; bounded to a signed 32-bit integer, which every client can hold. */
const MAX_SECONDS = 2_147_483_647;
const MAX_ENDPOINT_LENGTH = 255;
const MAX_PSK_IDENTITY_BYTES = 128;
const MAX_PSK_KEY_BYTES = 64;
const DEFAULT_ID_TYPE = 'c8y_Serial';

const utf8 = new TextEncoder();

/** A cell's text as messages quote it: in double quotes, cut short so that a report stays readable. */
function shown(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function columnName(field: DeviceCsvField): string {
  return deviceCsvColumns.find((c) => c.field === field)?.name ?? field;
}

export function validateDeviceRow(record: DeviceCsvRecord, line: number, header: DeviceCsvHeader): DeviceRowValidation {
  const problems: DeviceCsvProblem[] = [];

  /** Where a field's problems point: its cell, or the guide's name when the file lacks the column. */
  function at(field: DeviceCsvField): Pick<DeviceCsvProblem, 'line' | 'column' | 'columnNumber'> {
    const headerCell = header.cells.get(field);
    if (headerCell) return { line, column: headerCell.header, columnNumber: headerCell.columnNumber };
    return { line, column: columnName(field), columnNumber: null };
  }
  function report(field: DeviceCsvField, message: string): null {
    problems.push({ ...at(field), message });
    return null;
  }
  /** The cell's trimmed text, or undefined when the column is absent or the cell empty. */
  function raw(field: DeviceCsvField): string | undefined {
    const headerCell = header.cells.get(field);
    const value = headerCell === undefined ? undefined : record[headerCell.columnNumber - 1]?.trim();
    return value === '' ? undefined : value;
  }
  /** As raw, but a cell holding a control character is reported and read as not given. */
  function cell(field: DeviceCsvField): string | undefined {
    const value = raw(field);
    if (value === undefined || !/[\u0000-\u001f\u007f]/.test(value)) return value;
    report(field, 'contains a control character (a line break or tab inside quotes?)');
    return undefined;
  }
  function text(field: DeviceCsvField): string | null {
    return cell(field) ?? null;
  }
  function boolean(field: DeviceCsvField): boolean | null {
    const value = cell(field);
    if (value === undefined) return null;
    const lower = value.toLowerCase();
    if (lower === 'true' || value === '1') return true;
    if (lower === 'false' || value === '0') return false;
    return report(field, `${shown(value)} is not a boolean (true, false, 1 or 0)`);
  }
  function integer(field: DeviceCsvField, min: number, max: number): number | null {
    const value = cell(field);
    if (value === undefined) return null;
    if (!/^\d+$/.test(value)) return report(field, `${shown(value)} is not an integer (decimal digits only)`);
    const number = Number(value);
    if (number < min || number > max) return report(field, `${value} is out of range (${min} to ${max})`);
    return number;
  }
  function pskIdentity(field: DeviceCsvField): string | null {
    const value = cell(field);
    if (value === undefined) return null;
    // A UTF-16 code unit takes at most 3 UTF-8 bytes: a short identity needs no encoding to be measured.
    const bytes = value.length * 3 <= MAX_PSK_IDENTITY_BYTES ? 0 : utf8.encode(value).length;
    if (bytes > MAX_PSK_IDENTITY_BYTES) return report(field, `the PSK identity is ${bytes} bytes long; at most ${MAX_PSK_IDENTITY_BYTES} are allowed`);
    return value;
  }
  function pskKey(field: DeviceCsvField): Uint8Array | null {
    const value = cell(field);
    if (value === undefined) return null;
    if (!/^[0-9a-fA-F]+$/.test(value)) return report(field, 'the PSK key must be hexadecimal digits (0-9, a-f)');
    if (value.length % 2 !== 0) return report(field, `the PSK key has an odd number of hex digits (${value.length}); each byte takes two`);
    if (value.length / 2 > MAX_PSK_KEY_BYTES) return report(field, `the PSK key is ${value.length / 2} bytes long; at most ${MAX_PSK_KEY_BYTES} are allowed`);
    return hexToBytes(value);
  }

  const endpoint = cell('endpoint');
  if (raw('endpoint') === undefined) report('endpoint', 'the endpoint id is required');
  if (endpoint !== undefined && endpoint.length > MAX_ENDPOINT_LENGTH) {
    report('endpoint', `the endpoint id is ${endpoint.length} characters long; at most ${MAX_ENDPOINT_LENGTH} are allowed`);
  }

  const securityModeText = cell('securityMode');
  let securityMode: SecurityMode | null = null;
  if (securityModeText === 'NO_SEC' || securityModeText === 'PSK' || securityModeText === 'X509' || securityModeText === 'RPK') securityMode = securityModeText;
  else if (raw('securityMode') === undefined) report('securityMode', 'the security mode is required (NO_SEC, PSK, X509 or RPK)');
  else if (securityModeText !== undefined) report('securityMode', `${shown(securityModeText)} is not a supported security mode (NO_SEC, PSK, X509 or RPK)`);
  const certified = securityMode === 'X509' || securityMode === 'RPK';

  const typeText = cell('type');
  if (typeText !== undefined && typeText !== 'c8y_lwm2m') report('type', `${shown(typeText)} is not c8y_lwm2m`);

  const bindingModeText = cell('bindingMode');
  let bindingMode: BindingMode = 'UQ';
  if (bindingModeText === 'U' || bindingModeText === 'UQ') bindingMode = bindingModeText;
  else if (bindingModeText !== undefined) report('bindingMode', `${shown(bindingModeText)} is not a supported binding mode (U or UQ)`);

  const serverUri = text('serverUri');
  if (serverUri !== null) checkServerUri(serverUri, securityMode, (message) => report('serverUri', message));

  // The four PSK fields come together: all of them for PSK, none for NO_SEC (the guide's second table);
  // for X509 and RPK no LwM2M server PSK, and the bootstrap pair both or neither.
  const pskFields = ['lwm2mPskId', 'lwm2mPskKey', 'bootstrapPskId', 'bootstrapPskKey'] as const;
  const bootstrapPskGiven = raw('bootstrapPskId') !== undefined || raw('bootstrapPskKey') !== undefined;
  for (const field of pskFields) {
    const given = raw(field) !== undefined;
    const bootstrapField = field === 'bootstrapPskId' || field === 'bootstrapPskKey';
    if (securityMode === 'PSK' && !given) report(field, `"${columnName(field)}" is required when securityMode is PSK`);
    if (securityMode === 'NO_SEC' && given) report(field, `"${columnName(field)}" must be empty when securityMode is NO_SEC`);
    if (certified && !bootstrapField && given) report(field, `"${columnName(field)}" must be empty when securityMode is ${securityMode}`);
    if (certified && bootstrapField && bootstrapPskGiven && !given) report(field, `"${columnName(field)}" is required with the other bootstrap PSK column`);
  }
  const withPsk = securityMode !== 'NO_SEC';
  const lwm2mPskId = withPsk && !certified ? pskIdentity('lwm2mPskId') : null;
  const lwm2mPskKey = withPsk && !certified ? pskKey('lwm2mPskKey') : null;
  const bootstrapPskId = withPsk ? pskIdentity('bootstrapPskId') : null;
  const bootstrapPskKey = withPsk ? pskKey('bootstrapPskKey') : null;

  /** A DER credential cell (base64 or hex), as base64; reported when malformed. */
  function der(field: DeviceCsvField, what: string, check?: (bytes: Uint8Array) => string | undefined): string | null {
    const value = cell(field);
    if (value === undefined) return null;
    const parsed = derCell(value, what);
    if (!parsed.ok) return report(field, parsed.message);
    const problem = check?.(parsed.der);
    return problem === undefined ? derText(parsed.der) : report(field, problem);
  }
  const secp256r1 = (bytes: Uint8Array): string | undefined =>
    isSecp256r1PublicKeyInfo(bytes) ? undefined : 'the public key must be the SubjectPublicKeyInfo of a secp256r1 (P-256) key with an uncompressed point (RFC 7925 section 4.4.1)';
  for (const [field, mode] of [['publicKey', 'RPK'], ['certificate', 'X509']] as const) {
    if (securityMode !== null && securityMode !== mode && raw(field) !== undefined) report(field, `"${columnName(field)}" must be empty when securityMode is ${securityMode} (it is for ${mode})`);
  }
  if (securityMode === 'RPK' && raw('publicKey') === undefined) report('publicKey', `"${columnName('publicKey')}" is required when securityMode is RPK`);
  const publicKey = securityMode === 'RPK' ? der('publicKey', 'public key', secp256r1) : null;
  const certificate = securityMode === 'X509' ? der('certificate', 'certificate') : null;

  const shellEnabled = boolean('shellEnabled');
  const agent = boolean('agent');
  const generateBootstrapServerConfig = boolean('generateBootstrapServerConfig');
  const notificationIfDisabled = boolean('notificationIfDisabled');
  const securityInstanceOffset = integer('securityInstanceOffset', 0, MAX_SECURITY_INSTANCE_OFFSET);
  // The guide's default bootstrap short server id is 0; a bootstrap account's id is not used to
  // address it (LwM2M Core 1.1, appendix E.1, resource /0/x/10), so 0 is allowed there.
  const bootstrapShortServerId = integer('bootstrapShortServerId', 0, MAX_SHORT_SERVER_ID);
  const lwm2mShortServerId = integer('lwm2mShortServerId', 1, MAX_SHORT_SERVER_ID);
  const registrationLifetime = integer('registrationLifetime', 1, MAX_SECONDS);
  const defaultMinimumPeriod = integer('defaultMinimumPeriod', 0, MAX_SECONDS);
  const defaultMaximumPeriod = integer('defaultMaximumPeriod', 1, MAX_SECONDS);
  if (defaultMinimumPeriod !== null && defaultMaximumPeriod !== null && defaultMinimumPeriod > defaultMaximumPeriod) {
    report('defaultMaximumPeriod', `the default maximum period (${defaultMaximumPeriod}) is below the default minimum period (${defaultMinimumPeriod})`);
  }
  const disableTimeout = integer('disableTimeout', 0, MAX_SECONDS);

  const externalId = text('externalId');
  const idType = text('idType');
  const name = text('name');
  const serverPublicKey =
    securityMode === 'X509' ? der('serverPublicKey', 'server certificate') : securityMode === 'RPK' ? der('serverPublicKey', 'server public key', secp256r1) : text('serverPublicKey');
  const externalBootstrapPskId = pskIdentity('externalBootstrapPskId');

  if (problems.length > 0 || endpoint === undefined || securityMode === null) return { ok: false, problems: problems.sort(compareProblems) };
  return {
    ok: true,
    row: {
      line,
      registration: {
        endpoint,
        externalId: externalId ?? endpoint,
        idType: idType ?? DEFAULT_ID_TYPE,
        name: name ?? endpoint,
        type: 'c8y_lwm2m',
        shellEnabled: shellEnabled ?? false,
        agent: agent ?? true,
        serverUri,
        securityMode,
        lwm2mPskId,
        bootstrapPskId,
        serverPublicKey,
        generateBootstrapServerConfig: generateBootstrapServerConfig ?? false,
        securityInstanceOffset: securityInstanceOffset ?? 0,
        bootstrapShortServerId: bootstrapShortServerId ?? 0,
        lwm2mShortServerId: lwm2mShortServerId ?? 1,
        registrationLifetime,
        defaultMinimumPeriod,
        defaultMaximumPeriod,
        bindingMode,
        notificationIfDisabled,
        disableTimeout,
        externalBootstrapPskId,
        // Only when given: registrations without them (and those imported before them) leave them out.
        ...(publicKey === null ? {} : { publicKey }),
        ...(certificate === null ? {} : { certificate }),
      },
      lwm2mPskKey,
      bootstrapPskKey,
    },
  };
}

/** Decodes hex digits already checked to be an even number of [0-9a-fA-F]. */
function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
  return bytes;
}

function nibble(code: number): number {
  // '0'-'9' are 48-57, 'A'-'F' 65-70, 'a'-'f' 97-102.
  return code <= 57 ? code - 48 : (code | 0x20) - 87;
}

function checkServerUri(uri: string, securityMode: SecurityMode | null, report: (message: string) => void): void {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    report(`${shown(uri)} is not a URI (expected coap://host:port or coaps://host:port)`);
    return;
  }
  if (!serverUriSchemes.includes(parsed.protocol)) {
    report(`${shown(uri)} must use the coap, coaps, coap+tcp or coaps+tcp scheme`);
    return;
  }
  if (parsed.hostname === '') {
    report(`${shown(uri)} has no host`);
    return;
  }
  const secure = parsed.protocol === 'coaps:' || parsed.protocol === 'coaps+tcp:';
  if (securityMode !== null && securityMode !== 'NO_SEC' && !secure) report(`securityMode ${securityMode} needs a coaps:// or coaps+tcp:// server URI, got ${shown(uri)}`);
  if (securityMode === 'NO_SEC' && secure) report(`securityMode NO_SEC needs a coap:// or coap+tcp:// server URI, got ${shown(uri)}`);
  // node:tls has no raw public keys (RFC 7250): an RPK device is served over DTLS only.
  if (securityMode === 'RPK' && parsed.protocol === 'coaps+tcp:') {
    report(`securityMode RPK is served over DTLS (coaps://); CoAP over TLS (coaps+tcp://) serves PSK and X509 devices, got ${shown(uri)}`);
  }
}

/** RFC 7252 section 6 (coap, coaps) and RFC 8323 section 8 (coap+tcp, coaps+tcp), as URL.protocol has them. */
const serverUriSchemes: readonly string[] = ['coap:', 'coaps:', 'coap+tcp:', 'coaps+tcp:'];
