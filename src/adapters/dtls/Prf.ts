/**
 * The TLS 1.2 pseudo-random function and what is derived from it (RFC 5246 sections 5, 6.3, 7.4.9 and
 * 8.1; RFC 4279 section 2; RFC 7627 section 4). Every suite this server offers uses P_SHA256.
 */
import { hash } from 'node:crypto';
import { HmacSha256 } from './HmacSha256.ts';

/** PRF(secret, label, seed) = P_SHA256(secret, label + seed), cut to `length` bytes (RFC 5246 section 5). */
export function prfSha256(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelAndSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  // The longest text is A(i) followed by label + seed.
  const mac = new HmacSha256(secret, 32 + labelAndSeed.length);
  const out = Buffer.allocUnsafe(Math.ceil(length / 32) * 32);
  let a = mac.digest(labelAndSeed); // A(1) = HMAC(secret, A(0)), A(0) = label + seed
  for (let produced = 0; produced < length; produced += 32) {
    out.set(mac.digest(a, labelAndSeed), produced);
    if (produced + 32 < length) a = mac.digest(a);
  }
  return out.subarray(0, length);
}

/** RFC 4279 section 2: uint16 N, N zero bytes, uint16 N, the N-byte PSK. */
export function pskPremasterSecret(psk: Buffer): Buffer {
  const out = Buffer.alloc(4 + 2 * psk.length);
  out.writeUInt16BE(psk.length, 0);
  out.writeUInt16BE(psk.length, 2 + psk.length);
  psk.copy(out, 4 + psk.length);
  return out;
}

/** RFC 5246 section 8.1. */
export function masterSecret(premaster: Buffer, clientRandom: Buffer, serverRandom: Buffer): Buffer {
  return prfSha256(premaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48);
}

/** RFC 7627 section 4: the session hash covers every handshake message up to the ClientKeyExchange. */
export function extendedMasterSecret(premaster: Buffer, sessionHash: Buffer): Buffer {
  return prfSha256(premaster, 'extended master secret', sessionHash, 48);
}

/** RFC 5246 section 6.3: note the server random comes first here. */
export function keyBlock(master: Buffer, clientRandom: Buffer, serverRandom: Buffer, length: number): Buffer {
  return prfSha256(master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), length);
}

/** RFC 5246 section 7.4.9: 12 bytes over the hash of the handshake messages so far. */
export function finishedVerifyData(master: Buffer, sender: 'client' | 'server', transcriptHash: Buffer): Buffer {
  return prfSha256(master, `${sender} finished`, transcriptHash, 12);
}

export function sha256(data: Buffer): Buffer {
  return hash('sha256', data, 'buffer');
}
