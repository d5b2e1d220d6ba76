import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AesCbcHmacSha256Protection } from '../../../src/adapters/dtls/AesCbcHmacSha256Protection.ts';
import { AesAeadProtection } from '../../../src/adapters/dtls/AesAeadProtection.ts';
import { ChaCha20Poly1305Protection } from '../../../src/adapters/dtls/ChaCha20Poly1305Protection.ts';
import { CIPHER_SUITES, connectionKeys, keyBlockLength } from '../../../src/adapters/dtls/CipherSuites.ts';
import { additionalData } from '../../../src/adapters/dtls/RecordProtection.ts';
import type { RecordHeaderFields } from '../../../src/adapters/dtls/RecordProtection.ts';

const header: RecordHeaderFields = { type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 0x0102030405 };
const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

const ccm = AesAeadProtection.ccm8(key, Buffer.from('a0a1a2a3', 'hex'));
const chachaKey = Buffer.alloc(32, 0x42);
const chacha = new ChaCha20Poly1305Protection(chachaKey, Buffer.from('a0a1a2a3a4a5a6a7a8a9aaab', 'hex'));

describe.each([
  { name: 'AES-128-CCM-8 (RFC 6655): 8-byte explicit nonce and 8-byte tag', aead: ccm, overhead: 16 },
  { name: 'ChaCha20-Poly1305 (RFC 7905): 16-byte tag, no explicit nonce', aead: chacha, overhead: 16 },
])('$name', ({ aead, overhead }) => {
  it('round-trips any plaintext through node:crypto', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(2 ** 48 - 1), (bytes, sequenceNumber) => {
        const plaintext = Buffer.from(bytes);
        const fields = { ...header, sequenceNumber };
        const sealed = aead.seal(fields, plaintext);
        expect(sealed).toHaveLength(plaintext.length + overhead);
        expect(aead.open(fields, sealed)).toEqual(plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects any flipped bit, and records moved to another epoch, number or type', () => {
    const sealed = aead.seal(header, Buffer.from('confidential'));
    for (let index = 0; index < sealed.length; index++) {
      const tampered = Buffer.from(sealed);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      expect(aead.open(header, tampered)).toBeUndefined();
    }
    expect(aead.open({ ...header, sequenceNumber: header.sequenceNumber + 1 }, sealed)).toBeUndefined();
    expect(aead.open({ ...header, epoch: 2 }, sealed)).toBeUndefined();
    expect(aead.open({ ...header, type: 22 }, sealed)).toBeUndefined();
    expect(aead.open(header, sealed.subarray(0, 15))).toBeUndefined();
  });
});

describe('AEAD nonces', () => {
  it('AES-128-CCM-8 carries epoch and sequence number as the explicit nonce (RFC 6655 section 3)', () => {
    expect(ccm.seal(header, Buffer.from('x')).subarray(0, 8).toString('hex')).toBe('0001000102030405');
  });

  it('ChaCha20-Poly1305 XORs the write IV with 0000 0000, epoch and sequence number (RFC 7905 section 2)', () => {
    // epoch 1, sequence number 0x0102030405: 00000000 0001 000102030405, XORed with a0..ab.
    const nonce = Buffer.from('a0a1a2a3a4a4a6a6aaaaaeae', 'hex');
    const cipher = createCipheriv('chacha20-poly1305', chachaKey, nonce, { authTagLength: 16 });
    cipher.setAAD(additionalData(header, 5), { plaintextLength: 5 });
    const expected = Buffer.concat([cipher.update(Buffer.from('hello')), cipher.final(), cipher.getAuthTag()]);
    expect(chacha.seal(header, Buffer.from('hello'))).toEqual(expected);
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
