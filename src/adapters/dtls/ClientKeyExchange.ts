/** The PSK ClientKeyExchange body: only the psk_identity (RFC 4279 section 2). */
import { ByteReader } from './ByteReader.ts';
import type { ParseResult } from './ByteReader.ts';

/** RFC 4279 section 5.3: identities are at most 2^16-1 bytes; RFC 7925 section 4.2 expects far less. */
export function parseClientKeyExchange(body: Buffer): ParseResult<{ readonly pskIdentity: Buffer }> {
  const reader = new ByteReader(body);
  const pskIdentity = reader.vector16('psk_identity');
  if (reader.error === undefined && reader.remaining > 0) reader.fail('trailing bytes after psk_identity');
  if (reader.error !== undefined) return { ok: false, error: reader.error };
  return { ok: true, value: { pskIdentity } };
}
