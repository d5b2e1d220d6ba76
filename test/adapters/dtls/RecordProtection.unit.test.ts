import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createDecipheriv } from 'node:crypto';
import { AesCbcHmacSha256Protection } from '../../../src/adapters/dtls/AesCbcHmacSha256Protection.ts';
import { AesCcm8Protection } from '../../../src/adapters/dtls/AesCcm8Protection.ts';
import { CIPHER_SUITES, connectionKeys, keyBlockLength } from '../../../src/adapters/dtls/CipherSuites.ts';
import type { RecordHeaderFields } from '../../../src/adapters/dtls/RecordProtection.ts';

const header: RecordHeaderFields = { type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 0x0102030405 };
const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

describe('AES-128-CCM-8 (RFC 6655)', () => {
  const ccm = new AesCcm8Protection(key, Buffer.from('a0a1a2a3', 'hex'));

  it('round-trips any plaintext through node:crypto', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(2 ** 48 - 1), (bytes, sequenceNumber) => {
        const plaintext = Buffer.from(bytes);
        const fields = { ...header, sequenceNumber };
        const sealed = ccm.seal(fields, plaintext);
        expect(sealed).toHaveLength(8 + plaintext.length + 8); // explicit nonce + ciphertext + 8-byte tag
        expect(ccm.open(fields, sealed)).toEqual(plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it('carries epoch and sequence number as the explicit nonce', () => {
    expect(ccm.seal(header, Buffer.from('x')).subarray(0, 8).toString('hex')).toBe('0001000102030405');
  });

  it('rejects any flipped bit, and records moved to another number or type', () => {
    const sealed = ccm.seal(header, Buffer.from('confidential'));
    for (let index = 0; index < sealed.length; index++) {
      const tampered = Buffer.from(sealed);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      expect(ccm.open(header, tampered)).toBeUndefined();
    }
    expect(ccm.open({ ...header, sequenceNumber: header.sequenceNumber + 1 }, sealed)).toBeUndefined();
    expect(ccm.open({ ...header, type: 22 }, sealed)).toBeUndefined();
    expect(ccm.open(header, sealed.subarray(0, 15))).toBeUndefined();
  });
});

describe('AES-128-CBC + HMAC-SHA256 (RFC 5246 section 6.2.3.2)', () => {
  const macKey = Buffer.alloc(32, 7);
  const cbc = new AesCbcHmacSha256Protection(macKey, key);

  it('round-trips any plaintext with block-aligned records and TLS padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const plaintext = Buffer.from(bytes);
        const sealed = cbc.seal(header, plaintext);
        expect(sealed.length % 16).toBe(0);
        expect(cbc.open(header, sealed)).toEqual(plaintext);
        // Decrypt independently: plaintext, 32-byte MAC, then padding_length + 1 bytes of padding_length.
        const decipher = createDecipheriv('aes-128-cbc', key, sealed.subarray(0, 16));
        decipher.setAutoPadding(false);
        const inner = Buffer.concat([decipher.update(sealed.subarray(16)), decipher.final()]);
        const paddingLength = inner[inner.length - 1] ?? -1;
        expect(inner.length).toBe(plaintext.length + 32 + paddingLength + 1);
        expect([...inner.subarray(inner.length - paddingLength - 1)].every((byte) => byte === paddingLength)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects flipped bits, wrong lengths and records moved to another number', () => {
    const sealed = cbc.seal(header, Buffer.from('confidential'));
    for (let index = 0; index < sealed.length; index++) {
      const tampered = Buffer.from(sealed);
      tampered[index] = (tampered[index] ?? 0) ^ 0x80;
      expect(cbc.open(header, tampered)).toBeUndefined();
    }
    expect(cbc.open({ ...header, sequenceNumber: 1 }, sealed)).toBeUndefined();
    expect(cbc.open(header, sealed.subarray(0, sealed.length - 1))).toBeUndefined();
    expect(cbc.open(header, sealed.subarray(0, 48))).toBeUndefined();
  });
});

describe('connection keys', () => {
  it.each(CIPHER_SUITES)('gives each direction its own keys ($name)', (suite) => {
    const block = Buffer.from(Array.from({ length: keyBlockLength(suite) }, (_, index) => index));
    const keys = connectionKeys(suite, block);
    const sealed = keys.clientWrite.seal(header, Buffer.from('from client'));
    expect(keys.clientWrite.open(header, sealed)?.toString()).toBe('from client');
    expect(keys.serverWrite.open(header, sealed)).toBeUndefined();
  });
});
