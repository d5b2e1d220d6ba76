/**
 * A bounds-checked reader over untrusted bytes with a sticky error (the first overrun is kept and every
 * later read returns zeros), so that parsers read a whole structure and check once at the end instead of
 * throwing. Every DTLS parser in this folder is built on it.
 */
export interface ParseError {
  /** What was wrong, e.g. "record fragment: needs 40 bytes, 12 left". */
  readonly reason: string;
  /** Byte offset in the parsed buffer where the problem starts. */
  readonly offset: number;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ParseError };

export class ByteReader {
  private readonly source: Buffer;
  private position: number;
  private failure: ParseError | undefined;

  constructor(source: Buffer, start = 0) {
    this.source = source;
    this.position = start;
    this.failure = undefined;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.source.length - this.position;
  }

  get error(): ParseError | undefined {
    return this.failure;
  }

  /** Records a failure found by the caller (a bad value rather than missing bytes); the first one wins. */
  fail(reason: string, offset = this.position): void {
    this.failure ??= { reason, offset };
  }

  uint8(what: string): number {
    return this.take(1, what)?.readUInt8(0) ?? 0;
  }

  uint16(what: string): number {
    return this.take(2, what)?.readUInt16BE(0) ?? 0;
  }

  uint24(what: string): number {
    return this.take(3, what)?.readUIntBE(0, 3) ?? 0;
  }

  uint48(what: string): number {
    return this.take(6, what)?.readUIntBE(0, 6) ?? 0;
  }

  bytes(length: number, what: string): Buffer {
    return this.take(length, what) ?? Buffer.alloc(0);
  }

  /** An opaque vector with a one-byte length prefix (RFC 5246 section 4.3). */
  vector8(what: string): Buffer {
    return this.bytes(this.uint8(`${what} length`), what);
  }

  /** An opaque vector with a two-byte length prefix (RFC 5246 section 4.3). */
  vector16(what: string): Buffer {
    return this.bytes(this.uint16(`${what} length`), what);
  }

  /** An opaque vector with a three-byte length prefix (certificates, RFC 5246 section 7.4.2). */
  vector24(what: string): Buffer {
    return this.bytes(this.uint24(`${what} length`), what);
  }

  private take(length: number, what: string): Buffer | undefined {
    if (this.failure !== undefined) return undefined;
    if (length > this.remaining) {
      this.fail(`${what}: needs ${length} bytes, ${this.remaining} left`);
      return undefined;
    }
    const slice = this.source.subarray(this.position, this.position + length);
    this.position += length;
    return slice;
  }
}
