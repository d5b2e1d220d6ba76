import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CoapStreamReader, decodeCoapStreamMessage, encodeCoapStreamMessage } from '../../../src/adapters/coap/CoapStreamCodec.ts';
import type { CoapStreamItem, CoapStreamMessage } from '../../../src/adapters/coap/CoapStreamCodec.ts';

const message: fc.Arbitrary<CoapStreamMessage> = fc.record({
  code: fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 31 })).map(([c, d]) => `${c}.${String(d).padStart(2, '0')}`),
  token: fc.uint8Array({ maxLength: 8 }),
  options: fc
    .array(fc.record({ number: fc.integer({ min: 1, max: 3000 }), value: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 6 })
    .map((options) => options.sort((a, b) => a.number - b.number)),
  payload: fc.uint8Array({ maxLength: 70_000 }),
});

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** Feeds the bytes to a reader in the given chunk sizes (cycled) and collects what it reports. */
function readInChunks(bytes: Uint8Array, sizes: readonly number[], maxMessageSize: number): CoapStreamItem[] {
  const reader = new CoapStreamReader(maxMessageSize);
  const items: CoapStreamItem[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    items.push(...reader.push(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  return items;
}

describe('CoapStreamCodec (RFC 8323 section 3.2)', () => {
  it('reads the byte fixtures of a CSM, a Ping, a Pong and a GET', () => {
    // 7.01 CSM, Max-Message-Size 1152 (option 2, 0x0480), Block-Wise-Transfer (option 4, empty): Len 4, TKL 0.
    expect(decodeCoapStreamMessage(Uint8Array.of(0x40, 0xe1, 0x22, 0x04, 0x80, 0x20))).toEqual({
      ok: true,
      message: { code: '7.01', token: new Uint8Array(0), options: [{ number: 2, value: Uint8Array.of(0x04, 0x80) }, { number: 4, value: new Uint8Array(0) }], payload: new Uint8Array(0) },
    });
    expect(decodeCoapStreamMessage(Uint8Array.of(0x00, 0xe2))).toMatchObject({ ok: true, message: { code: '7.02', options: [] } });
    expect(decodeCoapStreamMessage(Uint8Array.of(0x00, 0xe3))).toMatchObject({ ok: true, message: { code: '7.03' } });
    // GET /rd with the one-byte token 0x2a: Len 3 (Uri-Path option 11 "rd"), TKL 1.
    const get = Uint8Array.of(0x31, 0x01, 0x2a, 0xb2, 0x72, 0x64);
    expect(decodeCoapStreamMessage(get)).toEqual({ ok: true, message: { code: '0.01', token: Uint8Array.of(0x2a), options: [{ number: 11, value: text('rd') }], payload: new Uint8Array(0) } });
    expect(encodeCoapStreamMessage({ code: '0.01', token: Uint8Array.of(0x2a), options: [{ number: 11, value: text('rd') }], payload: new Uint8Array(0) })).toEqual(get);
  });

  it('writes the extended lengths at their boundaries: 12 inline, 13 and 268 in one byte, 269 and 65804 in two, 65805 in four', () => {
    const head = (payloadLength: number): number[] => [...encodeCoapStreamMessage({ code: '2.05', token: new Uint8Array(0), options: [], payload: new Uint8Array(payloadLength) }).subarray(0, 6)];
    // The body is the payload marker and the payload: payload length + 1.
    expect(head(11).slice(0, 2)).toEqual([0xc0, 0x45]);
    expect(head(12).slice(0, 3)).toEqual([0xd0, 0x00, 0x45]);
    expect(head(267).slice(0, 3)).toEqual([0xd0, 0xff, 0x45]);
    expect(head(268).slice(0, 4)).toEqual([0xe0, 0x00, 0x00, 0x45]);
    expect(head(65_803).slice(0, 4)).toEqual([0xe0, 0xff, 0xff, 0x45]);
    expect(head(65_804).slice(0, 6)).toEqual([0xf0, 0x00, 0x00, 0x00, 0x00, 0x45]);
  });

  it('decodes what it encodes, whatever the chunks the stream arrives in', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 5 }), (messages, sizes) => {
        const bytes = new Uint8Array(Buffer.concat(messages.map((m) => encodeCoapStreamMessage(m))));
        const items = readInChunks(bytes, sizes, 1 << 20);
        expect(items).toEqual(messages.map((m) => ({ kind: 'message', message: m })));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on random bytes, reports at most one error and nothing after it, and holds no more than Max-Message-Size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }), (bytes, sizes) => {
        const reader = new CoapStreamReader(64);
        const items: CoapStreamItem[] = [];
        let offset = 0;
        for (let i = 0; offset < bytes.length; i++) {
          const size = sizes[i % sizes.length] ?? 1;
          items.push(...reader.push(bytes.subarray(offset, offset + size)));
          expect(reader.buffered).toBeLessThanOrEqual(64);
          offset += size;
        }
        const errors = items.findIndex((item) => item.kind === 'format');
        if (errors >= 0) expect(errors).toBe(items.length - 1);
      }),
      { numRuns: 3_000 },
    );
  });

  it('reports a reserved token length as a format error with its offset', () => {
    expect(decodeCoapStreamMessage(Uint8Array.of(0x09, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9))).toEqual({
      ok: false,
      error: { kind: 'format', reason: 'token length 9 is reserved (at most 8)', offset: 0 },
    });
    const reader = new CoapStreamReader(1152);
    expect(reader.push(Uint8Array.of(0x00, 0xe2, 0x0f, 0x01))).toEqual([
      { kind: 'message', message: { code: '7.02', token: new Uint8Array(0), options: [], payload: new Uint8Array(0) } },
      { kind: 'format', reason: 'token length 15 is reserved (at most 8)', offset: 0 },
    ]);
    expect(reader.push(Uint8Array.of(0x00, 0xe2))).toEqual([]);
  });

  it('reports an option running past the end of its message, and a payload marker without payload', () => {
    // Len 2: an option header announcing 5 bytes of Uri-Path with one byte left.
    expect(decodeCoapStreamMessage(Uint8Array.of(0x20, 0x01, 0xb5, 0x72))).toMatchObject({ ok: false, error: { reason: 'option 11 of 5 bytes runs past the end' } });
    expect(decodeCoapStreamMessage(Uint8Array.of(0x10, 0x45, 0xff))).toMatchObject({ ok: false, error: { reason: 'payload marker with an empty payload' } });
  });

  it('reports an oversize message by its head and skips its bytes, then reads the next message', () => {
    const big = encodeCoapStreamMessage({ code: '0.02', token: Uint8Array.of(7, 7), options: [], payload: new Uint8Array(5000).fill(0xab) });
    const ping = encodeCoapStreamMessage({ code: '7.02', token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    const items = readInChunks(new Uint8Array(Buffer.concat([big, ping])), [100, 1000, 3], 1152);
    expect(items).toEqual([
      { kind: 'oversize', code: '0.02', token: Uint8Array.of(7, 7), length: big.length },
      { kind: 'message', message: { code: '7.02', token: new Uint8Array(0), options: [], payload: new Uint8Array(0) } },
    ]);
  });
});
