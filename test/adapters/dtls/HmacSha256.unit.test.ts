import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from '../../../src/adapters/dtls/HmacSha256.ts';

describe('HMAC-SHA256 over one-shot hashes (RFC 2104)', () => {
  it('matches RFC 4231 test case 2 (a key shorter than the block)', () => {
    const mac = new HmacSha256(Buffer.from('Jefe'));
    expect(mac.digest(Buffer.from('what do ya want for nothing?')).toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('matches RFC 4231 test case 6 (a 131-byte key, hashed first)', () => {
    const mac = new HmacSha256(Buffer.alloc(131, 0xaa));
    expect(mac.digest(Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First')).toString('hex')).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });

  it('agrees with node:crypto for keys of 0 to 65 bytes and texts longer than announced, in parts, one object reused', () => {
    for (const keyLength of [0, 1, 32, 63, 64, 65]) {
      const key = Buffer.alloc(keyLength, keyLength + 1);
      const mac = new HmacSha256(key, 4);
      for (const parts of [[Buffer.alloc(0)], [Buffer.from('ab'), Buffer.from('cdef')], [Buffer.alloc(300, 7), Buffer.alloc(5, 9)], [Buffer.from('x')]]) {
        expect(mac.digest(...parts)).toEqual(createHmac('sha256', key).update(Buffer.concat(parts)).digest());
      }
    }
  });
});
