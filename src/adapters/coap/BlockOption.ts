/**
 * The Block1 and Block2 option values, RFC 7959 section 2.2: a uint of 0 to 3 bytes holding the
 * block number NUM, the "more" flag M and the size exponent SZX (block size 2^(SZX+4), 16 to 1024
 * bytes; SZX 7 is reserved).
 */
export interface BlockOption {
  readonly num: number;
  readonly more: boolean;
  /** Block size in bytes: 16, 32, ..., 1024. */
  readonly size: number;
}

export type BlockOptionResult = { ok: true; block: BlockOption } | { ok: false; reason: string };

export function decodeBlockOption(value: Uint8Array): BlockOptionResult {
  if (value.length > 3) return { ok: false, reason: `block option of ${value.length} bytes (at most 3)` };
  let raw = 0;
  for (const byte of value) raw = raw * 256 + byte;
  const szx = raw & 0x7;
  if (szx === 7) return { ok: false, reason: 'block size exponent 7 is reserved' };
  return { ok: true, block: { num: raw >>> 4, more: (raw & 0x8) !== 0, size: 1 << (szx + 4) } };
}

export function encodeBlockOption(block: BlockOption): Uint8Array {
  const szx = Math.log2(block.size) - 4;
  if (!Number.isInteger(szx) || szx < 0 || szx > 6) throw new RangeError(`block size ${block.size}`);
  if (block.num < 0 || block.num > 0xfffff) throw new RangeError(`block number ${block.num}`);
  const raw = block.num * 16 + (block.more ? 8 : 0) + szx;
  if (raw === 0) return new Uint8Array(0);
  if (raw < 0x100) return Uint8Array.of(raw);
  if (raw < 0x10000) return Uint8Array.of(raw >> 8, raw & 0xff);
  return Uint8Array.of(raw >> 16, (raw >> 8) & 0xff, raw & 0xff);
}
