import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DtlsSessionCache } from '../../../src/adapters/dtls/DtlsSessionCache.ts';
import type { ResumableSession } from '../../../src/adapters/dtls/DtlsSessionCache.ts';
import { ManualClock } from '../../support/ManualClock.ts';

function session(id: number): ResumableSession {
  return {
    sessionId: Buffer.alloc(32, id),
    masterSecret: Buffer.alloc(48, id),
    cipherSuite: 'TLS_PSK_WITH_AES_128_CCM_8',
    pskIdentity: Buffer.from(`device-${id}`),
    pskFingerprint: Buffer.alloc(32),
  };
}

const found = (cache: DtlsSessionCache, id: number): boolean => cache.find(Buffer.alloc(32, id)) !== undefined;

describe('DtlsSessionCache (RFC 5246 section 7.3)', () => {
  it('forgets the oldest session first when full, counting a session added again as new', () => {
    const cache = new DtlsSessionCache(new ManualClock(), 3, 60_000);
    for (const id of [1, 2, 3]) cache.add(session(id));
    cache.add(session(1)); // 1 is now the newest
    cache.add(session(4));
    expect([1, 2, 3, 4].map((id) => found(cache, id))).toEqual([true, false, true, true]);
  });

  it('does not count a removed or expired session when it makes room', () => {
    const clock = new ManualClock();
    const cache = new DtlsSessionCache(clock, 2, 60_000);
    cache.add(session(1));
    cache.add(session(2));
    cache.remove(Buffer.alloc(32, 1));
    cache.add(session(3)); // room left by 1: 2 stays
    expect([1, 2, 3].map((id) => found(cache, id))).toEqual([false, true, true]);
    clock.advanceSeconds(60);
    expect(found(cache, 2)).toBe(false);
  });

  it('keeps the newest sessions up to its size whatever the order of adds and removes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.record({ remove: fc.boolean(), id: fc.integer({ min: 0, max: 12 }) }), { maxLength: 200 }), (size, steps) => {
        const cache = new DtlsSessionCache(new ManualClock(), size, 60_000);
        let model: number[] = []; // ids, oldest first
        for (const { remove, id } of steps) {
          model = model.filter((kept) => kept !== id);
          if (remove) cache.remove(Buffer.alloc(32, id));
          else {
            cache.add(session(id));
            model.push(id);
            model = model.slice(-size);
          }
          expect(cache.size).toBe(model.length);
        }
        for (let id = 0; id <= 12; id++) expect(found(cache, id)).toBe(model.includes(id));
      }),
    );
  });
});
