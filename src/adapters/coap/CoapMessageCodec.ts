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

export function formatCode(byte: number): string {
  return `${byte >> 5}.${String(byte & 0x1f).padStart(2, '0')}`;
}

export function parseCode(code: string): number {
  const match = /^([0-7])\.([0-9]{2})$/.exec(code);
  if (!match || Number(match[2]) > 31) throw new RangeError(`invalid CoAP code "${code}"`);
  return (Number(match[1]) << 5) | Number(match[2]);
}

export function decodeCoapMessage(bytes: Uint8Array): DecodeResult {
  const fail = (reason: string, offset: number, header?: CoapFormatError['header']): DecodeResult => ({
    ok: false,
    error: header ? { reason, offset, header } : { reason, offset },
  });
  if (bytes.length < 4) return fail(`a CoAP header is 4 bytes, the datagram has ${bytes.length}`, 0);
  const first = bytes[0] as number;
  if (first >> 6 !== 1) return fail(`version ${first >> 6} is not 1`, 0);
  const type = types[(first >> 4) & 0x3] as CoapType;
  const tokenLength = first & 0x0f;
  const code = formatCode(bytes[1] as number);
  const messageId = ((bytes[2] as number) << 8) | (bytes[3] as number);
  const header = { type, messageId };
  if (tokenLength > maxTokenLength) return fail(`token length ${tokenLength} is reserved (at most 8)`, 0, header);
  if (code === '0.00') {
    // RFC 7252 section 4.1: an empty message has no token, options or payload.
    if (bytes.length !== 4 || tokenLength !== 0) return fail('an empty message (code 0.00) carries bytes after its header', 4, header);
    return { ok: true, message: { type, code, messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) } };
  }
  if (4 + tokenLength > bytes.length) return fail(`token of ${tokenLength} bytes runs past the end`, 4, header);
  const token = bytes.slice(4, 4 + tokenLength);
  const body = decodeOptionsAndPayload(bytes, 4 + tokenLength);
  if (!body.ok) return fail(body.reason, body.offset, header);
  return { ok: true, message: { type, code, messageId, token, options: body.options, payload: body.payload } };
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
    const delta = readExtended(bytes, byte >> 4, offset);
    if (!delta.ok) return { ok: false, reason: `option delta: ${delta.reason}`, offset: at };
    offset = delta.next;
    const length = readExtended(bytes, byte & 0x0f, offset);
    if (!length.ok) return { ok: false, reason: `option length: ${length.reason}`, offset: at };
    offset = length.next;
    if (offset + length.value > bytes.length) return { ok: false, reason: `option ${number + delta.value} of ${length.value} bytes runs past the end`, offset: at };
    number += delta.value;
    options.push({ number, value: bytes.slice(offset, offset + length.value) });
    offset += length.value;
  }
  return { ok: true, options, payload: new Uint8Array(0) };
}

type Extended = { ok: true; value: number; next: number } | { ok: false; reason: string };

/** RFC 7252 section 3.1: nibbles 13 and 14 announce 1 or 2 extension bytes; 15 is reserved. */
function readExtended(bytes: Uint8Array, nibble: number, offset: number): Extended {
  if (nibble < 13) return { ok: true, value: nibble, next: offset };
  if (nibble === 13) {
    if (offset + 1 > bytes.length) return { ok: false, reason: 'extension byte missing' };
    return { ok: true, value: (bytes[offset] as number) + 13, next: offset + 1 };
  }
  if (nibble === 14) {
    if (offset + 2 > bytes.length) return { ok: false, reason: 'extension bytes missing' };
    return { ok: true, value: (((bytes[offset] as number) << 8) | (bytes[offset + 1] as number)) + 269, next: offset + 2 };
  }
  return { ok: false, reason: 'nibble 15 is reserved' };
}

/** Encodes a message we build ourselves; throws RangeError on a programming error (bad code, token). */
export function encodeCoapMessage(message: CoapMessage): Uint8Array {
  if (message.token.length > maxTokenLength) throw new RangeError('token longer than 8 bytes');
  const head = Uint8Array.of(
    0x40 | (types.indexOf(message.type) << 4) | message.token.length,
    parseCode(message.code),
    (message.messageId >> 8) & 0xff,
    message.messageId & 0xff,
    ...message.token,
  );
  const body = encodeOptionsAndPayload(message.options, message.payload);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** The options (sorted here) and the payload behind its marker, as both message formats end. */
export function encodeOptionsAndPayload(options: readonly CoapOption[], payload: Uint8Array): Uint8Array {
  const parts: number[] = [];
  let previous = 0;
  for (const option of [...options].sort((a, b) => a.number - b.number)) {
    const delta = option.number - previous;
    previous = option.number;
    const [deltaNibble, deltaExtra] = extended(delta);
    const [lengthNibble, lengthExtra] = extended(option.value.length);
    parts.push((deltaNibble << 4) | lengthNibble, ...deltaExtra, ...lengthExtra);
    for (const byte of option.value) parts.push(byte);
  }
  const head = Uint8Array.from(parts);
  if (payload.length === 0) return head;
  const out = new Uint8Array(head.length + 1 + payload.length);
  out.set(head, 0);
  out[head.length] = payloadMarker;
  out.set(payload, head.length + 1);
  return out;
}

function extended(value: number): [number, number[]] {
  if (value < 13) return [value, []];
  if (value < 269) return [13, [value - 13]];
  if (value > 65804) throw new RangeError(`option delta or length ${value} too large`);
  const rest = value - 269;
  return [14, [rest >> 8, rest & 0xff]];
}
