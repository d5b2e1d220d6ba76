/**
 * The DTLS handshake message header (RFC 6347 section 4.2.2): TLS's type and length plus message_seq,
 * fragment_offset and fragment_length, so that messages survive loss, reordering and fragmentation.
 */
import { ByteReader } from './ByteReader.ts';
import type { ParseResult } from './ByteReader.ts';

/** HandshakeType values (RFC 5246 section 7.4, RFC 6347 section 4.3.2). */
export const HandshakeType = {
  clientHello: 1,
  serverHello: 2,
  helloVerifyRequest: 3,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

export const HANDSHAKE_HEADER_LENGTH = 12;

export interface HandshakeFragment {
  readonly msgType: number;
  /** Length of the whole message body. */
  readonly length: number;
  readonly messageSeq: number;
  readonly fragmentOffset: number;
  /** This fragment's part of the body (fragment_length bytes). */
  readonly body: Buffer;
}

/** One record may carry several handshake fragments back to back (RFC 6347 section 4.2.3). */
export function parseHandshakeFragments(recordFragment: Buffer): ParseResult<readonly HandshakeFragment[]> {
  const fragments: HandshakeFragment[] = [];
  const reader = new ByteReader(recordFragment);
  while (reader.remaining > 0) {
    const start = reader.offset;
    const msgType = reader.uint8('handshake type');
    const length = reader.uint24('handshake length');
    const messageSeq = reader.uint16('handshake message_seq');
    const fragmentOffset = reader.uint24('handshake fragment_offset');
    const fragmentLength = reader.uint24('handshake fragment_length');
    if (reader.error === undefined && fragmentOffset + fragmentLength > length) {
      reader.fail(`handshake fragment ${fragmentOffset}+${fragmentLength} exceeds message length ${length}`, start + 6);
    }
    const body = reader.bytes(fragmentLength, 'handshake fragment body');
    if (reader.error !== undefined) return { ok: false, error: reader.error };
    fragments.push({ msgType, length, messageSeq, fragmentOffset, body });
  }
  if (fragments.length === 0) return { ok: false, error: { reason: 'empty handshake record', offset: 0 } };
  return { ok: true, value: fragments };
}

/**
 * A whole (unfragmented) handshake message. This form is what enters the Finished hash (RFC 6347
 * section 4.2.6), and what is sent unless the message is bigger than a datagram (fragmentHandshake).
 */
export function serializeHandshake(msgType: number, messageSeq: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HANDSHAKE_HEADER_LENGTH + body.length);
  out.writeUInt8(msgType, 0);
  out.writeUIntBE(body.length, 1, 3);
  out.writeUInt16BE(messageSeq, 4);
  out.writeUIntBE(0, 6, 3);
  out.writeUIntBE(body.length, 9, 3);
  body.copy(out, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/**
 * A whole message (as serializeHandshake writes it) cut into fragments of at most `maxBody` body bytes,
 * each with its own fragment_offset and fragment_length (RFC 6347 section 4.2.3): a certificate chain
 * may be bigger than a datagram should be.
 */
export function fragmentHandshake(message: Buffer, maxBody: number): Buffer[] {
  const body = message.subarray(HANDSHAKE_HEADER_LENGTH);
  if (body.length <= maxBody) return [message];
  const fragments: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += maxBody) {
    const part = body.subarray(offset, offset + maxBody);
    const fragment = Buffer.allocUnsafe(HANDSHAKE_HEADER_LENGTH + part.length);
    message.copy(fragment, 0, 0, 6); // msg_type, length, message_seq
    fragment.writeUIntBE(offset, 6, 3);
    fragment.writeUIntBE(part.length, 9, 3);
    part.copy(fragment, HANDSHAKE_HEADER_LENGTH);
    fragments.push(fragment);
  }
  return fragments;
}
