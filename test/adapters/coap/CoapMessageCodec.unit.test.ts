import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCoapMessage, encodeCoapMessage } from '../../../src/adapters/coap/CoapMessageCodec.ts';
import type { CoapMessage } from '../../../src/adapters/coap/CoapMessage.ts';
import { decodeBlockOption, encodeBlockOption } from '../../../src/adapters/coap/BlockOption.ts';

const message: fc.Arbitrary<CoapMessage> = fc
  .record({
    type: fc.constantFrom('CON', 'NON', 'ACK', 'RST'),
    code: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 31 })).map(([c, d]) => `${c}.${String(d).padStart(2, '0')}`),
    messageId: fc.integer({ min: 0, max: 0xffff }),
    token: fc.uint8Array({ maxLength: 8 }),
    options: fc
      .array(fc.record({ number: fc.integer({ min: 1, max: 3000 }), value: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 6 })
      .map((options) => options.sort((a, b) => a.number - b.number)),
    payload: fc.uint8Array({ maxLength: 400 }),
  });

describe('CoapMessageCodec', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(message, (m) => {
        const decoded = decodeCoapMessage(encodeCoapMessage(m));
        expect(decoded).toEqual({ ok: true, message: m });
      }),
    );
  });

  it('never throws on random bytes, and every error names an offset inside the datagram', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoded = decodeCoapMessage(bytes);
        if (!decoded.ok) expect(decoded.error.offset).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 5_000 },
    );
  });

  it('never throws on mutations of valid messages', () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 255 }), (m, at, byte) => {
        const bytes = encodeCoapMessage(m);
        const mutated = bytes.slice(0, Math.max(0, bytes.length - (at % 7)));
        if (mutated.length > 0) mutated[at % mutated.length] = byte;
        decodeCoapMessage(mutated);
      }),
    );
  });

  it('decodes a GET from RFC 7252 appendix A byte for byte', () => {
    // CON GET, MID 0x7d34, no token, Uri-Path "temperature"
    const bytes = Uint8Array.from([0x40, 0x01, 0x7d, 0x34, 0xbb, ...new TextEncoder().encode('temperature')]);
    const decoded = decodeCoapMessage(bytes);
    expect(decoded.ok && decoded.message.options).toEqual([{ number: 11, value: new TextEncoder().encode('temperature') }]);
    expect(decoded.ok && decoded.message.code).toBe('0.01');
    expect(decoded.ok && decoded.message.messageId).toBe(0x7d34);
  });

  it('reports reserved token lengths and option nibbles with their offsets', () => {
    expect(decodeCoapMessage(Uint8Array.of(0x4c, 1, 0, 1))).toMatchObject({ ok: false, error: { offset: 0, header: { type: 'CON', messageId: 1 } } });
    expect(decodeCoapMessage(Uint8Array.of(0x41, 1, 0, 1, 7, 0xf0))).toMatchObject({ ok: false, error: { offset: 5 } });
    expect(decodeCoapMessage(Uint8Array.of(0x50, 1, 0, 1, 0xff))).toMatchObject({ ok: false, error: { offset: 4, header: { type: 'NON' } } });
  });
});

describe('BlockOption', () => {
  it('round-trips every block number, flag and size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xfffff }), fc.boolean(), fc.integer({ min: 0, max: 6 }), (num, more, szx) => {
        const block = { num, more, size: 1 << (szx + 4) };
        expect(decodeBlockOption(encodeBlockOption(block))).toEqual({ ok: true, block });
      }),
    );
  });

  it('refuses SZX 7 and values longer than 3 bytes', () => {
    expect(decodeBlockOption(Uint8Array.of(0x0f)).ok).toBe(false);
    expect(decodeBlockOption(Uint8Array.of(0, 0, 0, 1)).ok).toBe(false);
  });
});
