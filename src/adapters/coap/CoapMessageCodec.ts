/**
 * The CoAP message format, RFC 7252 section 3, strictly. node-coap's codec (`coap-packet`) accepts
 * what the RFC calls message format errors (token lengths 9 to 14, options running past the end of
 * the datagram, a payload marker with no payload), so this decoder is our own: it never throws and
 * names what is wrong and at which byte.
 */
import type { CoapMessage, CoapOption, CoapType } from './CoapMessage.ts';

export interface CoapFormatError {
  readonly reason: string;
  readonly offset: number;
  /** Present when the fixed header could be read: a confirmable message is then rejected with RST. */
  readonly header?: { readonly type: CoapType; readonly messageId: number };
}

export type DecodeResult = { readonly ok: true; readonly message: CoapMessage } | { readonly ok: false; readonly error: CoapFormatError };

const types: readonly CoapType[] = ['CON', 'NON', 'ACK', 'RST'];
/** RFC 7252 section 3: token lengths 9 to 15 are reserved. */
export const maxTokenLength = 8;
const payloadMarker = 0xff;

/** RFC 7252 section 3: the code byte as "c.dd", class and detail; every message decoded looks its code up here. */
const codeTexts: readonly string[] = Array.from({ length: 256 }, (_, byte) => `${byte >> 5}.${String(byte & 0x1f).padStart(2, '0')}`);
const codeBytes: ReadonlyMap<string, number> = new Map(codeTexts.map((text, byte) => [text, byte]));

export function formatCode(byte: number): string {
  return codeTexts[byte & 0xff] ?? '0.00';
}

export function parseCode(code: string): number {
  const byte = codeBytes.get(code);
  if (byte === undefined) throw new RangeError(`invalid CoAP code "${code}"`);
  return byte;
}

export function decodeCoapMessage(bytes: Uint8Array): DecodeResult {
  if (bytes.length < 4) return failed(`a CoAP header is 4 bytes, the datagram has ${bytes.length}`, 0);
  const first = bytes[0] as number;
  if (first >> 6 !== 1) return failed(`version ${first >> 6} is not 1`, 0);
  const type = types[(first >> 4) & 0x3] as CoapType;
  const tokenLength = first & 0x0f;
  const code = formatCode(bytes[1] as number);
  const messageId = ((bytes[2] as number) << 8) | (bytes[3] as number);
  if (tokenLength > maxTokenLength) return failed(`token length ${tokenLength} is reserved (at most 8)`, 0, { type, messageId });
  if (code === '0.00') {
    // RFC 7252 section 4.1: an empty message has no token, options or payload.
    if (bytes.length !== 4 || tokenLength !== 0) return failed('an empty message (code 0.00) carries bytes after its header', 4, { type, messageId });
    return { ok: true, message: { type, code, messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) } };
  }
  if (4 + tokenLength > bytes.length) return failed(`token of ${tokenLength} bytes runs past the end`, 4, { type, messageId });
  const token = bytes.slice(4, 4 + tokenLength);
  const body = decodeOptionsAndPayload(bytes, 4 + tokenLength);
  if (!body.ok) return failed(body.reason, body.offset, { type, messageId });
  return { ok: true, message: { type, code, messageId, token, options: body.options, payload: body.payload } };
}

/** A format error; built only when there is one (every datagram is decoded here). */
function failed(reason: string, offset: number, header?: CoapFormatError['header']): DecodeResult {
  return { ok: false, error: header ? { reason, offset, header } : { reason, offset } };
}

export type OptionsAndPayload =
  | { readonly ok: true; readonly options: CoapOption[]; readonly payload: Uint8Array }
  | { readonly ok: false; readonly reason: string; readonly offset: number };

/**
 * The options and payload from `start` to the end of `bytes`, RFC 7252 section 3.1: the part of a
 * message the datagram format and the stream format of RFC 8323 section 3.2 share.
 */
export function decodeOptionsAndPayload(bytes: Uint8Array, start: number): OptionsAndPayload {
  const options: CoapOption[] = [];
  let offset = start;
  let number = 0;
  while (offset < bytes.length) {
    const at = offset;
    const byte = bytes[offset] as number;
    if (byte === payloadMarker) {
      if (offset + 1 === bytes.length) return { ok: false, reason: 'payload marker with an empty payload', offset };
      return { ok: true, options, payload: bytes.slice(offset + 1) };
    }
    offset++;
    const deltaProblem = extensionProblem(bytes, byte >> 4, offset);
    if (deltaProblem !== undefined) return { ok: false, reason: `option delta: ${deltaProblem}`, offset: at };
    const delta = extendedValue(bytes, byte >> 4, offset);
    offset += extensionSize(byte >> 4);
    const lengthProblem = extensionProblem(bytes, byte & 0x0f, offset);
    if (lengthProblem !== undefined) return { ok: false, reason: `option length: ${lengthProblem}`, offset: at };
    const length = extendedValue(bytes, byte & 0x0f, offset);
    offset += extensionSize(byte & 0x0f);
    if (offset + length > bytes.length) return { ok: false, reason: `option ${number + delta} of ${length} bytes runs past the end`, offset: at };
    number += delta;
    options.push({ number, value: bytes.slice(offset, offset + length) });
    offset += length;
  }
  return { ok: true, options, payload: new Uint8Array(0) };
}

/**
 * RFC 7252 section 3.1: nibbles 13 and 14 announce 1 or 2 extension bytes; 15 is reserved. Read as
 * numbers, not result objects: every option of every message passes here twice.
 */
function extensionProblem(bytes: Uint8Array, nibble: number, offset: number): string | undefined {
  if (nibble === 15) return 'nibble 15 is reserved';
  if (offset + extensionSize(nibble) <= bytes.length) return undefined;
  return nibble === 13 ? 'extension byte missing' : 'extension bytes missing';
}

function extensionSize(nibble: number): number {
  return nibble < 13 ? 0 : nibble === 13 ? 1 : 2;
}

function extendedValue(bytes: Uint8Array, nibble: number, offset: number): number {
  if (nibble < 13) return nibble;
  if (nibble === 13) return (bytes[offset] as number) + 13;
  return (((bytes[offset] as number) << 8) | (bytes[offset + 1] as number)) + 269;
}

/** Encodes a message we build ourselves; throws RangeError on a programming error (bad code, token). */
export function encodeCoapMessage(message: CoapMessage): Uint8Array {
  if (message.token.length > maxTokenLength) throw new RangeError('token longer than 8 bytes');
  const code = parseCode(message.code);
  const options = sortedOptions(message.options);
  const headLength = 4 + message.token.length;
  // Sized first and written once: every reply and request goes through here, and building the
  // header and the options as arrays of their own cost four allocations more per message.
  const out = new Uint8Array(headLength + optionsAndPayloadLength(options, message.payload));
  out[0] = 0x40 | (types.indexOf(message.type) << 4) | message.token.length;
  out[1] = code;
  out[2] = (message.messageId >> 8) & 0xff;
  out[3] = message.messageId & 0xff;
  out.set(message.token, 4);
  writeOptionsAndPayload(out, headLength, options, message.payload);
  return out;
}

/** The options (sorted here) and the payload behind its marker, as both message formats end. */
export function encodeOptionsAndPayload(options: readonly CoapOption[], payload: Uint8Array): Uint8Array {
  const sorted = sortedOptions(options);
  const out = new Uint8Array(optionsAndPayloadLength(sorted, payload));
  writeOptionsAndPayload(out, 0, sorted, payload);
  return out;
}

/** RFC 7252 section 3.1: options go in order of their numbers; those given in order (most) are not copied. */
function sortedOptions(options: readonly CoapOption[]): readonly CoapOption[] {
  for (let index = 1; index < options.length; index++) {
    if ((options[index]?.number ?? 0) < (options[index - 1]?.number ?? 0)) return [...options].sort((a, b) => a.number - b.number);
  }
  return options;
}

function optionsAndPayloadLength(options: readonly CoapOption[], payload: Uint8Array): number {
  let length = payload.length === 0 ? 0 : 1 + payload.length;
  let previous = 0;
  for (const option of options) {
    length += 1 + extensionBytes(option.number - previous) + extensionBytes(option.value.length) + option.value.length;
    previous = option.number;
  }
  return length;
}

function writeOptionsAndPayload(out: Uint8Array, start: number, options: readonly CoapOption[], payload: Uint8Array): void {
  let at = start;
  let previous = 0;
  for (const option of options) {
    const delta = option.number - previous;
    previous = option.number;
    const length = option.value.length;
    out[at++] = (nibble(delta) << 4) | nibble(length);
    at = writeExtension(out, at, delta);
    at = writeExtension(out, at, length);
    out.set(option.value, at);
    at += length;
  }
  if (payload.length === 0) return;
  out[at] = payloadMarker;
  out.set(payload, at + 1);
}

/** RFC 7252 section 3.1: a delta or length under 13 fits its nibble; 13 adds one byte (-13), 14 two (-269). */
function nibble(value: number): number {
  return value < 13 ? value : value < 269 ? 13 : 14;
}

function extensionBytes(value: number): number {
  if (value < 13) return 0;
  if (value < 269) return 1;
  if (value > 65804) throw new RangeError(`option delta or length ${value} too large`);
  return 2;
}

function writeExtension(out: Uint8Array, at: number, value: number): number {
  if (value < 13) return at;
  if (value < 269) {
    out[at] = value - 13;
    return at + 1;
  }
  const rest = value - 269;
  out[at] = rest >> 8;
  out[at + 1] = rest & 0xff;
  return at + 2;
}
