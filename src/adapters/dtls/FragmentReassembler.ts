/**
 * Reassembles one handshake message from fragments that may arrive out of order, overlap or repeat
 * (RFC 6347 section 4.2.3). Bounded: a message longer than `maxLength` is refused before any buffer is
 * allocated, so a peer cannot make the server reserve memory by announcing a huge length.
 */
import type { HandshakeFragment } from './HandshakeCodec.ts';

export type ReassemblyResult =
  | { readonly status: 'complete'; readonly msgType: number; readonly messageSeq: number; readonly body: Buffer }
  | { readonly status: 'incomplete' }
  | { readonly status: 'rejected'; readonly reason: string };

export class FragmentReassembler {
  private readonly maxLength: number;
  private readonly pending = new Map<number, { msgType: number; body: Buffer; covered: Array<[number, number]> }>();

  constructor(maxLength: number) {
    this.maxLength = maxLength;
  }

  add(fragment: HandshakeFragment): ReassemblyResult {
    if (fragment.fragmentOffset === 0 && fragment.body.length === fragment.length) {
      this.pending.delete(fragment.messageSeq);
      return { status: 'complete', msgType: fragment.msgType, messageSeq: fragment.messageSeq, body: fragment.body };
    }
    if (fragment.length > this.maxLength) return { status: 'rejected', reason: `handshake message of ${fragment.length} bytes exceeds ${this.maxLength}` };
    let entry = this.pending.get(fragment.messageSeq);
    if (entry === undefined) {
      entry = { msgType: fragment.msgType, body: Buffer.alloc(fragment.length), covered: [] };
      this.pending.set(fragment.messageSeq, entry);
    }
    if (entry.msgType !== fragment.msgType || entry.body.length !== fragment.length) {
      return { status: 'rejected', reason: `fragment of message ${fragment.messageSeq} disagrees on type or length` };
    }
    fragment.body.copy(entry.body, fragment.fragmentOffset);
    entry.covered = mergeRange(entry.covered, [fragment.fragmentOffset, fragment.fragmentOffset + fragment.body.length]);
    const first = entry.covered[0];
    if (entry.covered.length === 1 && first !== undefined && first[0] === 0 && first[1] === entry.body.length) {
      this.pending.delete(fragment.messageSeq);
      return { status: 'complete', msgType: entry.msgType, messageSeq: fragment.messageSeq, body: entry.body };
    }
    return { status: 'incomplete' };
  }

  /** Forgets partial messages below `messageSeq` (already processed, so their fragments are retransmissions). */
  discardBelow(messageSeq: number): void {
    for (const seq of this.pending.keys()) if (seq < messageSeq) this.pending.delete(seq);
  }
}

/** Inserts [start, end) into sorted disjoint ranges, joining those that touch or overlap. */
function mergeRange(ranges: ReadonlyArray<[number, number]>, added: [number, number]): Array<[number, number]> {
  const all = [...ranges, added].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of all) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}
