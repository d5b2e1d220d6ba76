import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FragmentReassembler } from '../../../src/adapters/dtls/FragmentReassembler.ts';
import type { HandshakeFragment } from '../../../src/adapters/dtls/HandshakeCodec.ts';

function fragment(body: Buffer, offset: number, length: number, messageSeq = 2): HandshakeFragment {
  return { msgType: 16, length: body.length, messageSeq, fragmentOffset: offset, body: body.subarray(offset, offset + length) };
}

describe('FragmentReassembler (RFC 6347 section 4.2.3)', () => {
  const message = Buffer.from(Array.from({ length: 100 }, (_, index) => index));

  it('passes an unfragmented message straight through', () => {
    expect(new FragmentReassembler(1000).add(fragment(message, 0, 100))).toEqual({ status: 'complete', msgType: 16, messageSeq: 2, body: message });
  });

  it('reassembles fragments in any order, with overlaps and repeats', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 8 }), fc.integer(), (cuts, seed) => {
        const points = [...new Set([0, ...cuts, 100])].sort((a, b) => a - b);
        const pieces = points.slice(1).map((end, index) => {
          const start = Math.max(0, (points[index] ?? 0) - (seed & 3)); // overlap the previous piece a little
          return fragment(message, start, end - start);
        });
        const shuffled = [...pieces, ...pieces.slice(0, 1)].sort((a, b) => ((a.fragmentOffset * 31 + seed) % 7) - ((b.fragmentOffset * 31 + seed) % 7));
        const reassembler = new FragmentReassembler(1000);
        const results = shuffled.map((piece) => reassembler.add(piece));
        const complete = results.filter((result) => result.status === 'complete');
        expect(complete.length).toBeGreaterThanOrEqual(1);
        expect(complete[0]).toEqual({ status: 'complete', msgType: 16, messageSeq: 2, body: message });
      }),
    );
  });

  it('refuses oversized messages and fragments that disagree', () => {
    const reassembler = new FragmentReassembler(50);
    expect(reassembler.add(fragment(message, 0, 10))).toEqual({ status: 'rejected', reason: 'handshake message of 100 bytes exceeds 50' });
    const roomy = new FragmentReassembler(1000);
    expect(roomy.add(fragment(message, 0, 10)).status).toBe('incomplete');
    expect(roomy.add({ ...fragment(message, 10, 10), msgType: 20 })).toMatchObject({ status: 'rejected' });
  });

  it('forgets partial messages that are behind', () => {
    const reassembler = new FragmentReassembler(1000);
    reassembler.add(fragment(message, 0, 50, 1));
    reassembler.discardBelow(2);
    expect(reassembler.add(fragment(message, 50, 50, 1)).status).toBe('incomplete');
  });
});
