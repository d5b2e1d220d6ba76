import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplayWindow } from '../../../src/adapters/dtls/ReplayWindow.ts';

describe('ReplayWindow (RFC 6347 section 4.1.2.6)', () => {
  it('accepts new numbers, refuses repeats and numbers left of the 64-record window', () => {
    const window = new ReplayWindow();
    for (const seq of [0, 1, 5, 3]) {
      expect(window.isDuplicate(seq)).toBe(false);
      window.markReceived(seq);
    }
    expect(window.isDuplicate(3)).toBe(true);
    expect(window.isDuplicate(4)).toBe(false);
    window.markReceived(100);
    expect(window.isDuplicate(37)).toBe(false); // 100 - 63: still inside
    expect(window.isDuplicate(36)).toBe(true); // 100 - 64: too old to tell
    expect(window.isDuplicate(5)).toBe(true);
  });

  it('handles 48-bit sequence numbers', () => {
    const window = new ReplayWindow();
    window.markReceived(2 ** 48 - 1);
    expect(window.isDuplicate(2 ** 48 - 1)).toBe(true);
    expect(window.isDuplicate(2 ** 48 - 2)).toBe(false);
  });

  it('agrees with a model that remembers every number', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(300), { maxLength: 200 }), (sequence) => {
        const window = new ReplayWindow();
        const seen = new Set<number>();
        let highest = -1;
        for (const seq of sequence) {
          const expected = seen.has(seq) || seq <= highest - 64;
          expect(window.isDuplicate(seq)).toBe(expected);
          if (!expected) {
            window.markReceived(seq);
            seen.add(seq);
            highest = Math.max(highest, seq);
          }
        }
      }),
    );
  });
});
