/**
 * The query parameters of Register and Update, LwM2M Core 1.1 section 6.2.1 (table "Register
 * parameters") and Transport 1.1 section 6.4, with the 1.0 variants; Core 1.2 section 6.2.1 keeps the
 * same set:
 * - `ep` endpoint name (Register only, mandatory), `lt` lifetime in seconds (default 86400),
 *   `lwm2m` enabler version (default "1.0", as 1.0 clients may omit it), `b` binding (default "U"),
 *   `Q` queue mode without a value (1.1 and 1.2; in 1.0 queue mode is the "Q" letter of the binding,
 *   e.g. "UQ"), `sms` MSISDN.
 * - Binding letters: U (UDP), S (SMS), N (Non-IP), T (TCP), and the MQTT (M) and HTTP (H) bindings of
 *   Transport 1.2, so that a 1.2 client announcing them still registers (this server serves CoAP).
 * - Unknown parameters are ignored (a server must not break on a parameter of a later version or a
 *   vendor's); a parameter given twice is refused.
 */

export interface RegisterParameters {
  readonly endpoint: string;
  readonly lifetime: number;
  /** As sent, e.g. "1.1"; support is decided by the registration policy. */
  readonly lwm2mVersion: string;
  /** Transport letters without Q: "U", "US", ... */
  readonly binding: string;
  readonly queueMode: boolean;
  readonly smsNumber: string | null;
}

export interface UpdateParameters {
  readonly lifetime: number | null;
  readonly binding: string | null;
  /** Whether `b` carried the 1.0 queue letter Q; null without `b`. */
  readonly bindingQueue: boolean | null;
  /** The 1.1 `Q` parameter was present. */
  readonly queueParameter: boolean;
  readonly smsNumber: string | null;
}

export type ParametersResult<T> = { readonly ok: true; readonly parameters: T } | { readonly ok: false; readonly reason: string };

export const defaultLifetimeSeconds = 86_400;
const maxEndpointLength = 255;
const maxLifetime = 0xffffffff;

function toMap(query: readonly string[]): Map<string, string | null> | string {
  const map = new Map<string, string | null>();
  for (const argument of query) {
    const equals = argument.indexOf('=');
    const name = equals < 0 ? argument : argument.slice(0, equals);
    const value = equals < 0 ? null : argument.slice(equals + 1);
    if (map.has(name)) return `parameter "${name}" is given twice`;
    map.set(name, value);
  }
  return map;
}

function parseLifetime(value: string | null | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  if (value === null || !/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > maxLifetime) {
    return `lt "${String(value)}" is not a lifetime in seconds from 1 to ${maxLifetime}`;
  }
  return Number(value);
}

/** Binding letters U, S, N, T (1.1), M, H (1.2) and Q (1.0 queue mode), each at most once. */
function parseBinding(value: string | null | undefined): { binding: string; queue: boolean } | string | undefined {
  if (value === undefined) return undefined;
  if (value === null || !/^[USNTMHQ]{1,7}$/.test(value) || new Set(value).size !== value.length) return `b "${String(value)}" is not a binding mode`;
  const binding = value.replace('Q', '');
  if (binding === '') return `b "${value}" names no transport`;
  return { binding, queue: value.includes('Q') };
}

function parseSms(value: string | null | undefined): string | null | { error: string } {
  if (value === undefined) return null;
  if (value === null || !/^\+?\d{1,20}$/.test(value)) return { error: `sms "${String(value)}" is not an MSISDN` };
  return value;
}

/** `b`, `sms` and `Q`, which Register and Update carry alike. */
interface TransportParameters {
  readonly binding: { binding: string; queue: boolean } | undefined;
  readonly smsNumber: string | null;
  /** The 1.1 `Q` parameter was present. */
  readonly queueParameter: boolean;
}

/** Checked in the order b, sms, Q; a string says what is wrong. */
function parseTransportParameters(map: ReadonlyMap<string, string | null>): TransportParameters | string {
  const binding = parseBinding(map.get('b'));
  if (typeof binding === 'string') return binding;
  const sms = parseSms(map.get('sms'));
  if (sms !== null && typeof sms === 'object') return sms.error;
  if (map.has('Q') && map.get('Q') !== null) return 'Q takes no value';
  return { binding, smsNumber: sms, queueParameter: map.has('Q') };
}

export function parseRegisterParameters(query: readonly string[]): ParametersResult<RegisterParameters> {
  const map = toMap(query);
  if (typeof map === 'string') return { ok: false, reason: map };
  const endpoint = map.get('ep');
  if (endpoint === undefined || endpoint === null || endpoint === '') return { ok: false, reason: 'the endpoint name (ep) is missing' };
  if (endpoint.length > maxEndpointLength) return { ok: false, reason: `the endpoint name is longer than ${maxEndpointLength} characters` };
  if (/[\x00-\x1f\x7f]/.test(endpoint)) return { ok: false, reason: 'the endpoint name contains control characters' };
  const lifetime = parseLifetime(map.get('lt'));
  if (typeof lifetime === 'string') return { ok: false, reason: lifetime };
  const version = map.get('lwm2m');
  if (version === null || (version !== undefined && !/^\d{1,3}\.\d{1,3}$/.test(version))) return { ok: false, reason: `lwm2m "${String(version)}" is not a version` };
  const transport = parseTransportParameters(map);
  if (typeof transport === 'string') return { ok: false, reason: transport };
  return {
    ok: true,
    parameters: {
      endpoint,
      lifetime: lifetime ?? defaultLifetimeSeconds,
      lwm2mVersion: version ?? '1.0',
      binding: transport.binding?.binding ?? 'U',
      queueMode: (transport.binding?.queue ?? false) || transport.queueParameter,
      smsNumber: transport.smsNumber,
    },
  };
}

export function parseUpdateParameters(query: readonly string[]): ParametersResult<UpdateParameters> {
  const map = toMap(query);
  if (typeof map === 'string') return { ok: false, reason: map };
  const lifetime = parseLifetime(map.get('lt'));
  if (typeof lifetime === 'string') return { ok: false, reason: lifetime };
  const transport = parseTransportParameters(map);
  if (typeof transport === 'string') return { ok: false, reason: transport };
  return {
    ok: true,
    parameters: {
      lifetime: lifetime ?? null,
      binding: transport.binding?.binding ?? null,
      bindingQueue: transport.binding?.queue ?? null,
      queueParameter: transport.queueParameter,
      smsNumber: transport.smsNumber,
    },
  };
}
