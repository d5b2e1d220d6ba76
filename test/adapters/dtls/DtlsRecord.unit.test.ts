import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_RECORD_FRAGMENT_LENGTH, parseDatagram, serializeRecord } from '../../../src/adapters/dtls/DtlsRecord.ts';
import type { DtlsRecord } from '../../../src/adapters/dtls/DtlsRecord.ts';

const recordArbitrary: fc.Arbitrary<DtlsRecord> = fc.record({
  type: fc.integer({ min: 20, max: 23 }),
  version: fc.constantFrom(0xfefd, 0xfeff),
  epoch: fc.integer({ min: 0, max: 0xffff }),
  sequenceNumber: fc.nat(2 ** 48 - 1),
  fragment: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
});

describe('DTLS record codec (RFC 6347 section 4.1)', () => {
  it('parses a handshake record byte by byte', () => {
    const bytes = Buffer.from('16fefd0001000000000007000401aabbcc', 'hex');
    expect(parseDatagram(bytes)).toEqual({
      records: [{ type: 22, version: 0xfefd, epoch: 1, sequenceNumber: 7, fragment: Buffer.from('01aabbcc', 'hex') }],
      error: undefined,
    });
  });

  it('round-trips several records in one datagram', () => {
    fc.assert(
      fc.property(fc.array(recordArbitrary, { minLength: 1, maxLength: 4 }), (records) => {
        expect(parseDatagram(Buffer.concat(records.map(serializeRecord)))).toEqual({ records, error: undefined });
      }),
    );
  });

  it('keeps the records before a truncated one and says where it broke', () => {
    const good = serializeRecord({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 1, fragment: Buffer.from('abcd') });
    const truncated = serializeRecord({ type: 23, version: 0xfefd, epoch: 1, sequenceNumber: 2, fragment: Buffer.from('abcdef') }).subarray(0, 16);
    const parsed = parseDatagram(Buffer.concat([good, truncated]));
    expect(parsed.records).toHaveLength(1);
    expect(parsed.error).toEqual({ reason: 'record fragment: needs 6 bytes, 3 left', offset: good.length + 13 });
  });

  it('rejects unknown content types, non-DTLS versions and oversized lengths', () => {
    expect(parseDatagram(Buffer.from('18fefd00000000000000000000', 'hex')).error?.reason).toBe('unknown content type 24');
    expect(parseDatagram(Buffer.from('170303000000000000000000000000', 'hex')).error?.reason).toBe('not a DTLS version: 0x303');
    const huge = Buffer.from('17fefd0000000000000000ffff', 'hex');
    expect(parseDatagram(huge).error?.reason).toBe(`record length 65535 exceeds ${MAX_RECORD_FRAGMENT_LENGTH}`);
  });

  it('never throws on random bytes, with or without connection IDs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(0, 4, 8), (bytes, connectionIdLength) => {
        const parsed = parseDatagram(Buffer.from(bytes), connectionIdLength);
        expect(parsed.records.length > 0 || parsed.error !== undefined || bytes.length === 0).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
