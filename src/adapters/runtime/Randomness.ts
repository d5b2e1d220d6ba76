/**
 * Randomness, injected where a protocol asks for it (RFC 7252 section 4.2's random initial timeout,
 * section 4.4's initial message id, section 5.3.1's tokens), so that tests can fix it.
 */
import { randomBytes } from 'node:crypto';

export interface Randomness {
  /** A number in [0, 1). */
  fraction(): number;
  bytes(count: number): Uint8Array;
}

export const systemRandomness: Randomness = {
  fraction: () => Math.random(),
  bytes: (count) => randomBytes(count),
};
