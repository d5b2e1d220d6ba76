/**
 * The object tree every simulated device serves: Server (1/0), Device (3/0) and a Temperature sensor
 * (IPSO 3303/0), read-only. A single resource is served as text/plain unless the server asks for a
 * SenML or LwM2M format (Accept); an instance or object in SenML JSON (LwM2M Core 1.1 section 7.4.4,
 * the format a 1.1 client must support) unless another multi-value format is asked for.
 * The sensor value is a parameter of each read: the fleet puts the notification's sequence number
 * there, so that whoever receives it can tell when it was sent.
 */
import { encodeEntries } from '../../src/domain/lwm2m/content/ContentCodecs.ts';
import { formatPath, isPathPrefix, parsePath } from '../../src/domain/lwm2m/LwM2mPath.ts';
import type { LwM2mValue, PathValue } from '../../src/domain/lwm2m/LwM2mValue.ts';
import { floatValue, integerValue, stringValue } from '../../src/domain/lwm2m/LwM2mValue.ts';

export type ReadResult =
  | { readonly kind: 'content'; readonly payload: Uint8Array; readonly contentFormat: number }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'not-acceptable' };

/** Content-Format numbers (LwM2M Core 1.1 section 7.4, RFC 8428). */
const TEXT_PLAIN = 0;
const SENML_JSON = 110;
const multiValueFormats: ReadonlySet<number> = new Set([SENML_JSON, 112, 11543, 11544]);
export const SENSOR_VALUE_PATH = '/3303/0/5700';
export const INITIAL_SENSOR_VALUE = 21.5;

export class SimulatedObjects {
  readonly #fixed: readonly PathValue[];

  constructor(serial: string, lifetime: number, binding: string) {
    const fixed: ReadonlyArray<readonly [string, LwM2mValue]> = [
      ['/1/0/0', integerValue(1n)],
      ['/1/0/1', integerValue(BigInt(lifetime))],
      ['/1/0/7', stringValue(binding)],
      ['/3/0/0', stringValue('lwm2m-hub fleet simulator')],
      ['/3/0/1', stringValue('simulated device')],
      ['/3/0/2', stringValue(serial)],
      ['/3/0/3', stringValue('1.0')],
      ['/3/0/9', integerValue(100n)],
      ['/3/0/16', stringValue(binding)],
      ['/3303/0/5701', stringValue('Cel')],
    ];
    this.#fixed = fixed.map(([text, value]) => ({ path: parsePath(text), value }));
  }

  read(pathText: string, accept: number | undefined, sensorValue: number): ReadResult {
    // The notifications' common case, without building the tree.
    if (pathText === SENSOR_VALUE_PATH && (accept === undefined || accept === TEXT_PLAIN)) {
      return { kind: 'content', payload: new TextEncoder().encode(String(sensorValue)), contentFormat: TEXT_PLAIN };
    }
    let path;
    try {
      path = parsePath(pathText);
    } catch {
      return { kind: 'not-found' };
    }
    const entries = [...this.#fixed, { path: parsePath(SENSOR_VALUE_PATH), value: floatValue(sensorValue) }].filter((entry) => isPathPrefix(path, entry.path));
    if (entries.length === 0) return { kind: 'not-found' };
    const [only] = entries;
    if (entries.length === 1 && only !== undefined && formatPath(only.path) === pathText && (accept === undefined || accept === TEXT_PLAIN)) {
      return { kind: 'content', payload: new TextEncoder().encode(textOf(only.value)), contentFormat: TEXT_PLAIN };
    }
    const format = accept ?? SENML_JSON;
    if (!multiValueFormats.has(format)) return { kind: 'not-acceptable' };
    const encoded = encodeEntries(format, entries);
    return encoded.ok ? { kind: 'content', payload: encoded.value, contentFormat: format } : { kind: 'not-acceptable' };
  }
}

/** text/plain (LwM2M Core 1.1 section 7.4.1): decimal numbers, the string as it is. */
function textOf(value: LwM2mValue): string {
  return typeof value.value === 'string' || typeof value.value === 'number' || typeof value.value === 'bigint' ? String(value.value) : '';
}
