/**
 * Anti-replay for one epoch (RFC 6347 section 4.1.2.6): a 64-record sliding window below the highest
 * sequence number authenticated so far. `isDuplicate` is checked before the (costly) decryption;
 * `markReceived` only after the record authenticated, so that forged records cannot move the window.
 */
const WINDOW_SIZE = 64n;
const WINDOW_MASK = (1n << WINDOW_SIZE) - 1n;

/** The window as saved across a restart: the highest number received (-1: none) and the bitmap below it. */
export interface ReplayWindowState {
  readonly highest: number;
  readonly bitmap: bigint;
}

export class ReplayWindow {
  private highest: number;
  /** Bit i set: sequence number highest - i has been received. */
  private bitmap: bigint;

  constructor(state: ReplayWindowState = { highest: -1, bitmap: 0n }) {
    this.highest = state.highest;
    this.bitmap = state.bitmap & WINDOW_MASK;
  }

  get state(): ReplayWindowState {
    return { highest: this.highest, bitmap: this.bitmap };
  }

  /** True for a sequence number already received or too old to tell (left of the window). */
  isDuplicate(sequenceNumber: number): boolean {
    if (sequenceNumber > this.highest) return false;
    const age = BigInt(this.highest - sequenceNumber);
    if (age >= WINDOW_SIZE) return true;
    return ((this.bitmap >> age) & 1n) === 1n;
  }

  /** True when the number is above every one received so far. */
  isNewest(sequenceNumber: number): boolean {
    return sequenceNumber > this.highest;
  }

  markReceived(sequenceNumber: number): void {
    if (sequenceNumber > this.highest) {
      const shift = BigInt(sequenceNumber - this.highest);
      this.bitmap = shift >= WINDOW_SIZE ? 1n : ((this.bitmap << shift) | 1n) & WINDOW_MASK;
      this.highest = sequenceNumber;
      return;
    }
    const age = BigInt(this.highest - sequenceNumber);
    if (age < WINDOW_SIZE) this.bitmap |= 1n << age;
  }
}
