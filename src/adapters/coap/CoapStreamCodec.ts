/**
 * The message format of CoAP over TCP and TLS, RFC 8323 section 3.2, and its signalling messages,
 * section 5. A reliable stream needs neither Type nor Message ID: each message starts with Len
 * (the length of options and payload, extended by 1, 2 or 4 bytes as the 13, 14, 15 nibbles say) and
 * TKL, then the code, the token, and the options and payload as in RFC 7252 (`CoapMessageCodec.ts`).
 *
 * `CoapStreamReader` cuts messages out of the bytes as they arrive. It never throws: what cannot be a
 * message is a typed error, after which the connection is to be aborted (section 5.6), and a message
 * longer than the reader's Max-Message-Size is never buffered: its head (code and token, so that a
 * request can be refused) is reported and its remaining bytes are skipped as they come.
 */
import type { CoapOption } from './CoapMessage.ts';
import { decodeOptionsAndPayload, encodeOptionsAndPayload, formatCode, maxTokenLength, parseCode } from './CoapMessageCodec.ts';

export interface CoapStreamMessage {
  /** "0.01" (requests), "2.05" (responses), "7.01" (signals), ... */
  readonly code: string;
  readonly token: Uint8Array;
  /** Sorted by option number, repeated options in their order on the wire. */
  readonly options: readonly CoapOption[];
  readonly payload: Uint8Array;
}

/** Signalling codes, RFC 8323 section 11.1. */
export const SignalCode = {
  Csm: '7.01',
  Ping: '7.02',
  Pong: '7.03',
  Release: '7.04',
  Abort: '7.05',
} as const;

/** Signalling option numbers, each meaningful with its code only (RFC 8323 section 11.2). */
export const SignalOption = {
  /** 7.01: the largest message the sender can receive (section 5.3.1). */
  MaxMessageSize: 2,
  /** 7.01: the sender supports block-wise transfers (section 5.3.2). */
  BlockWiseTransfer: 4,
  /** 7.02, 7.03: the Pong is delayed until the sender's outstanding responses are sent (section 5.4.1). */
  Custody: 2,
  /** 7.04: where the client may connect instead (section 5.5). */
  AlternativeAddress: 2,
  /** 7.04: seconds to wait before connecting again (section 5.5). */
  HoldOff: 4,
  /** 7.05: the CSM option that caused the abort (section 5.6). */
  BadCsmOption: 2,
} as const;

/** RFC 8323 section 5.3.1: the Max-Message-Size a peer assumes until the other's CSM says more. */
export const defaultMaxMessageSize = 1152;

export function isSignalCode(code: string): boolean {
  return code.startsWith('7.');
}

/** A stream that can no longer be read as CoAP messages; `offset` counts from the message's first byte. */
export interface CoapStreamFormatError {
  readonly kind: 'format';
  readonly reason: string;
  readonly offset: number;
}

/** The head of a message longer than the reader accepts, whose bytes are skipped (never buffered). */
export interface OversizeCoapMessage {
  readonly kind: 'oversize';
  readonly code: string;
  readonly token: Uint8Array;
  /** The whole message's length, as its header announced it. */
  readonly length: number;
}

export type CoapStreamItem = { readonly kind: 'message'; readonly message: CoapStreamMessage } | OversizeCoapMessage | CoapStreamFormatError;

/** The parts of a header: Len/TKL byte, extended length, code, token. */
interface Header {
  /** Bytes before the options: Len/TKL, extended length, code, token. */
  readonly headLength: number;
  /** Length of options and payload. */
  readonly bodyLength: number;
  readonly tokenLength: number;
}

type HeaderResult = { readonly kind: 'header'; readonly header: Header } | { readonly kind: 'incomplete' } | CoapStreamFormatError;

/** RFC 8323 section 3.2: Len 13, 14, 15 announce 1, 2, 4 bytes of extended length, offset by 13, 269, 65805. */
const extendedLengths: Readonly<Record<number, { readonly bytes: number; readonly offset: number }>> = {
  13: { bytes: 1, offset: 13 },
  14: { bytes: 2, offset: 269 },
  15: { bytes: 4, offset: 65_805 },
};

function readHeader(bytes: Uint8Array): HeaderResult {
  if (bytes.length === 0) return { kind: 'incomplete' };
  const first = bytes[0] as number;
  const len = first >> 4;
  const tokenLength = first & 0x0f;
  if (tokenLength > maxTokenLength) return { kind: 'format', reason: `token length ${tokenLength} is reserved (at most 8)`, offset: 0 };
  const extension = extendedLengths[len];
  const extensionBytes = extension?.bytes ?? 0;
  const headLength = 1 + extensionBytes + 1 + tokenLength;
  if (bytes.length < headLength) return { kind: 'incomplete' };
  let bodyLength = len;
  if (extension !== undefined) {
    let value = 0;
    for (let i = 1; i <= extension.bytes; i++) value = value * 256 + (bytes[i] as number);
    bodyLength = value + extension.offset;
  }
  return { kind: 'header', header: { headLength, bodyLength, tokenLength } };
}

/** Decodes one whole message (exactly its bytes); for tests and for the reader. */
export function decodeCoapStreamMessage(bytes: Uint8Array): { readonly ok: true; readonly message: CoapStreamMessage } | { readonly ok: false; readonly error: CoapStreamFormatError } {
  const read = readHeader(bytes);
  if (read.kind === 'format') return { ok: false, error: read };
  if (read.kind === 'incomplete') return { ok: false, error: { kind: 'format', reason: `the message ends inside its header (${bytes.length} bytes)`, offset: bytes.length } };
  const { headLength, bodyLength, tokenLength } = read.header;
  if (headLength + bodyLength !== bytes.length) {
    return { ok: false, error: { kind: 'format', reason: `the header announces ${headLength + bodyLength} bytes, the message has ${bytes.length}`, offset: 0 } };
  }
  const code = formatCode(bytes[headLength - tokenLength - 1] as number);
  const token = bytes.slice(headLength - tokenLength, headLength);
  const body = decodeOptionsAndPayload(bytes, headLength);
  if (!body.ok) return { ok: false, error: { kind: 'format', reason: body.reason, offset: body.offset } };
  return { ok: true, message: { code, token, options: body.options, payload: body.payload } };
}

/** Encodes a message we build ourselves; throws RangeError on a programming error (bad code, token). */
export function encodeCoapStreamMessage(message: CoapStreamMessage): Uint8Array {
  if (message.token.length > maxTokenLength) throw new RangeError('token longer than 8 bytes');
  const body = encodeOptionsAndPayload(message.options, message.payload);
  const length = body.length;
  const [len, extension] =
    length < 13 ? [length, []] : length < 269 ? [13, [length - 13]] : length < 65_805 ? [14, bigEndian(length - 269, 2)] : [15, bigEndian(length - 65_805, 4)];
  const head = Uint8Array.of((len << 4) | message.token.length, ...extension, parseCode(message.code), ...message.token);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

function bigEndian(value: number, bytes: number): number[] {
  const out: number[] = [];
  for (let i = bytes - 1; i >= 0; i--) out.push(Math.floor(value / 256 ** i) % 256);
  return out;
}

/**
 * Cuts the messages of one connection out of its byte stream. `maxMessageSize` bounds what is held:
 * a longer message is reported by its head and skipped. After a format error the stream is lost
 * (there is no way to find the next message's start), and the reader reports nothing more.
 */
export class CoapStreamReader {
  readonly #maxMessageSize: number;
  #buffered: Uint8Array = new Uint8Array(0);
  #skipping = 0;
  #failed = false;

  constructor(maxMessageSize: number) {
    this.#maxMessageSize = maxMessageSize;
  }

  /** Bytes held for a message not yet complete (at most Max-Message-Size). */
  get buffered(): number {
    return this.#buffered.length;
  }

  push(chunk: Uint8Array): CoapStreamItem[] {
    if (this.#failed) return [];
    let bytes: Uint8Array = chunk;
    if (this.#skipping > 0) {
      const skipped = Math.min(this.#skipping, bytes.length);
      this.#skipping -= skipped;
      bytes = bytes.subarray(skipped);
    }
    if (this.#buffered.length > 0) bytes = concat(this.#buffered, bytes);
    const items: CoapStreamItem[] = [];
    let offset = 0;
    while (offset < bytes.length && this.#skipping === 0) {
      const rest = bytes.subarray(offset);
      const read = readHeader(rest);
      if (read.kind === 'incomplete') break;
      if (read.kind === 'format') {
        this.#fail(items, read);
        return items;
      }
      const { headLength, bodyLength, tokenLength } = read.header;
      const length = headLength + bodyLength;
      if (length > this.#maxMessageSize) {
        items.push({ kind: 'oversize', code: formatCode(rest[headLength - tokenLength - 1] as number), token: rest.slice(headLength - tokenLength, headLength), length });
        const available = Math.min(length, rest.length);
        this.#skipping = length - available;
        offset += available;
        continue;
      }
      if (rest.length < length) break;
      const decoded = decodeCoapStreamMessage(rest.subarray(0, length));
      if (!decoded.ok) {
        this.#fail(items, decoded.error);
        return items;
      }
      items.push({ kind: 'message', message: decoded.message });
      offset += length;
    }
    this.#buffered = offset >= bytes.length ? new Uint8Array(0) : bytes.slice(offset);
    return items;
  }

  #fail(items: CoapStreamItem[], error: CoapStreamFormatError): void {
    this.#failed = true;
    this.#buffered = new Uint8Array(0);
    items.push(error);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
