import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AesGcmSecretSealer, SealingError } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';

const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 7));

describe('AesGcmSecretSealer', () => {
  it('opens what it sealed, for any secret', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (secret) => {
        expect(Buffer.from(sealer.open(sealer.seal(secret)))).toEqual(Buffer.from(secret));
      }),
    );
  });

  it('never puts the plaintext in the sealed form', () => {
    const secret = Buffer.from('000102030405060708090a0b0c0d0e0f');
    const sealed = sealer.seal(secret);
    expect(Buffer.from(sealed.sealed, 'base64url').includes(secret)).toBe(false);
    expect(sealed.sealed).not.toContain(secret.toString('base64url'));
  });

  it('gives the same fingerprint for the same secret and different ciphertexts', () => {
    const secret = Buffer.from('abc');
    const a = sealer.seal(secret);
    const b = sealer.seal(secret);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.sealed).not.toBe(b.sealed);
    expect(sealer.seal(Buffer.from('abd')).fingerprint).not.toBe(a.fingerprint);
  });

  it('uses a fresh IV for every seal, across refills of its pool of random bytes', () => {
    const secret = Buffer.from('k');
    const ivs = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const sealed = sealer.seal(secret);
      ivs.add(Buffer.from(sealed.sealed, 'base64url').subarray(8, 20).toString('hex'));
      expect(Buffer.from(sealer.open(sealed))).toEqual(secret);
    }
    expect(ivs.size).toBe(2000);
  });

  it('refuses a secret sealed under another master key, naming the cause', () => {
    const other = new AesGcmSecretSealer(randomBytes(32));
    expect(() => other.open(sealer.seal(Buffer.from('k')))).toThrow(/another master key/);
  });

  it('refuses altered or truncated sealed data', () => {
    const sealed = sealer.seal(Buffer.from('secret'));
    const bytes = Buffer.from(sealed.sealed, 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => sealer.open({ ...sealed, sealed: bytes.toString('base64url') })).toThrow(/failed authentication/);
    expect(() => sealer.open({ ...sealed, sealed: 'AAAA' })).toThrow(SealingError);
  });

  it('requires a 32-byte master key', () => {
    expect(() => new AesGcmSecretSealer(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
