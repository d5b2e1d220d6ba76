/**
 * The vocabulary of CoAP messages (RFC 7252 section 3 and 12): types, codes, option numbers. Codes are
 * kept in their "c.dd" text form, as the RFC and LwM2M specifications write them.
 */

export type CoapType = 'CON' | 'NON' | 'ACK' | 'RST';

export interface CoapOption {
  readonly number: number;
  readonly value: Uint8Array;
}

export interface CoapMessage {
  readonly type: CoapType;
  /** "0.00" (empty), "0.01"-"0.31" (requests), "2.05" etc. (responses). */
  readonly code: string;
  readonly messageId: number;
  readonly token: Uint8Array;
  /** Sorted by option number, repeated options in their order on the wire. */
  readonly options: readonly CoapOption[];
  readonly payload: Uint8Array;
}

/** Option numbers, RFC 7252 section 12.2, RFC 7641 (Observe), RFC 7959 (Block1/Block2, Size2). */
export const OptionNumber = {
  IfMatch: 1,
  UriHost: 3,
  ETag: 4,
  IfNoneMatch: 5,
  Observe: 6,
  UriPort: 7,
  LocationPath: 8,
  UriPath: 11,
  ContentFormat: 12,
  MaxAge: 14,
  UriQuery: 15,
  Accept: 17,
  LocationQuery: 20,
  Block2: 23,
  Block1: 27,
  Size2: 28,
  ProxyUri: 35,
  ProxyScheme: 39,
  Size1: 60,
} as const;

/** Request method codes, RFC 7252 section 12.1.1 and RFC 8132 (FETCH, PATCH, iPATCH). */
export type CoapMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'FETCH' | 'PATCH' | 'iPATCH';

const methodCodes: Readonly<Record<CoapMethod, string>> = {
  GET: '0.01',
  POST: '0.02',
  PUT: '0.03',
  DELETE: '0.04',
  FETCH: '0.05',
  PATCH: '0.06',
  iPATCH: '0.07',
};

export function methodCode(method: CoapMethod): string {
  return methodCodes[method];
}

export function methodOfCode(code: string): CoapMethod | undefined {
  for (const [method, value] of Object.entries(methodCodes)) if (value === code) return method as CoapMethod;
  return undefined;
}

export function isRequestCode(code: string): boolean {
  return code.startsWith('0.') && code !== '0.00';
}

export function isResponseCode(code: string): boolean {
  const cls = code.charAt(0);
  return cls === '2' || cls === '4' || cls === '5';
}

/**
 * RFC 7252 section 5.4.1: odd option numbers are critical; an endpoint that does not recognise a
 * critical option in a request must answer 4.02 (Bad Option).
 */
export function isCriticalOption(number: number): boolean {
  return (number & 1) === 1;
}

/**
 * The empty payload or token, shared: every reply without a body and every empty ACK or RST would
 * otherwise allocate one (a zero-length array has nothing to write to).
 */
export const noBytes: Uint8Array = new Uint8Array(0);

/** Options of a request or response with typed accessors. */
export function optionValues(options: readonly CoapOption[], number: number): Uint8Array[] {
  return options.filter((option) => option.number === number).map((option) => option.value);
}

/** The first value of an option (a non-repeatable one's value), undefined when absent. */
export function firstOptionValue(options: readonly CoapOption[], number: number): Uint8Array | undefined {
  for (const option of options) if (option.number === number) return option.value;
  return undefined;
}

export function stringOptions(options: readonly CoapOption[], number: number): string[] {
  const values: string[] = [];
  for (const option of options) if (option.number === number) values.push(optionText(option.value));
  return values;
}

const utf8 = new TextDecoder();

/**
 * An option's UTF-8 string (RFC 7252 section 3.2). Uri-Path and Uri-Query segments are almost always
 * ASCII, which is its own UTF-8: read byte by byte, as TextDecoder would, without its call per segment.
 */
function optionText(value: Uint8Array): string {
  let text = '';
  for (const byte of value) {
    if (byte >= 0x80) return utf8.decode(value);
    text += String.fromCharCode(byte);
  }
  return text;
}

/** A uint option (RFC 7252 section 3.2): big-endian, leading zeros omitted; undefined when absent. */
export function uintOption(options: readonly CoapOption[], number: number): number | undefined {
  const value = firstOptionValue(options, number);
  if (value === undefined) return undefined;
  let result = 0;
  for (const byte of value) result = result * 256 + byte;
  return result;
}

export function encodeUint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0) {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  return Uint8Array.from(bytes);
}

export function stringOption(number: number, text: string): CoapOption {
  return { number, value: new TextEncoder().encode(text) };
}

export function uintOptionOf(number: number, value: number): CoapOption {
  return { number, value: encodeUint(value) };
}
