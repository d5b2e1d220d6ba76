import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AlertDescription, alertName, parseAlert, serializeAlert } from '../../../src/adapters/dtls/Alert.ts';
import { ExtensionType, hasExtension, parseClientHello } from '../../../src/adapters/dtls/ClientHello.ts';
import { parseClientKeyExchange } from '../../../src/adapters/dtls/ClientKeyExchange.ts';
import { HandshakeType, fragmentHandshake, parseHandshakeFragments, serializeHandshake } from '../../../src/adapters/dtls/HandshakeCodec.ts';
import { helloVerifyRequestBody, serverHelloBody } from '../../../src/adapters/dtls/ServerHandshakeMessages.ts';
import { clientHelloRecord } from './support/ClientHelloBuilder.ts';

describe('handshake fragments (RFC 6347 section 4.2.2)', () => {
  it('round-trips whole messages, several per record', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 200 })), { minLength: 1, maxLength: 3 }), (messages) => {
        const bytes = Buffer.concat(messages.map(([type, seq, body]) => serializeHandshake(type, seq, Buffer.from(body))));
        const parsed = parseHandshakeFragments(bytes);
        expect(parsed).toEqual({
          ok: true,
          value: messages.map(([msgType, messageSeq, body]) => ({ msgType, length: body.length, messageSeq, fragmentOffset: 0, body: Buffer.from(body) })),
        });
      }),
    );
  });

  it('cuts a message bigger than a datagram into fragments that parse back to its body (RFC 6347 section 4.2.3)', () => {
    const message = serializeHandshake(HandshakeType.certificate, 3, Buffer.from('00112233445566', 'hex'));
    expect(fragmentHandshake(message, 7)).toEqual([message]);
    const fragments = fragmentHandshake(message, 3);
    // msg_type, length, message_seq, fragment_offset, fragment_length, fragment
    expect(fragments.map((fragment) => fragment.toString('hex'))).toEqual([
      '0b000007' + '0003' + '000000' + '000003' + '001122',
      '0b000007' + '0003' + '000003' + '000003' + '334455',
      '0b000007' + '0003' + '000006' + '000001' + '66',
    ]);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 64 }), (body, maxBody) => {
        const parsed = parseHandshakeFragments(Buffer.concat(fragmentHandshake(serializeHandshake(HandshakeType.certificate, 5, Buffer.from(body)), maxBody)));
        if (!parsed.ok) throw new Error(parsed.error.reason);
        expect(Buffer.concat(parsed.value.map((fragment) => fragment.body))).toEqual(Buffer.from(body));
        expect(parsed.value.every((fragment) => fragment.length === body.length && fragment.messageSeq === 5 && fragment.body.length <= maxBody)).toBe(true);
      }),
    );
  });

  it('rejects a fragment that reaches past its message', () => {
    // length 4, fragment_offset 2, fragment_length 3
    const bytes = Buffer.from('14000004000000000200000301020300', 'hex');
    expect(parseHandshakeFragments(bytes)).toEqual({ ok: false, error: { reason: 'handshake fragment 2+3 exceeds message length 4', offset: 6 } });
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const parsed = parseHandshakeFragments(Buffer.from(bytes));
        if (parsed.ok) for (const fragment of parsed.value) expect(fragment.fragmentOffset + fragment.body.length).toBeLessThanOrEqual(fragment.length);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ClientHello (RFC 5246 section 7.4.1.2, RFC 6347 section 4.2.1)', () => {
  const random = Buffer.alloc(32, 0xab);
  const body = clientHelloRecord({ random, cookie: Buffer.from('c00c1e', 'hex'), cipherSuites: [0xc0a8, 0x00ae, 0x00ff] }).subarray(13 + 12);

  it('reads version, random, cookie, suites and extensions', () => {
    const parsed = parseClientHello(body);
    if (!parsed.ok) throw new Error(parsed.error.reason);
    expect(parsed.value.clientVersion).toBe(0xfefd);
    expect(parsed.value.random).toEqual(random);
    expect(parsed.value.cookie.toString('hex')).toBe('c00c1e');
    expect(parsed.value.cipherSuites).toEqual([0xc0a8, 0x00ae, 0x00ff]);
    expect([...parsed.value.compressionMethods]).toEqual([0]);
    expect(hasExtension(parsed.value, ExtensionType.extendedMasterSecret)).toBe(true);
    expect(hasExtension(parsed.value, ExtensionType.renegotiationInfo)).toBe(false);
  });

  it('accepts a hello without extensions and rejects trailing or missing bytes', () => {
    const withoutExtensions = body.subarray(0, body.length - 6);
    expect(parseClientHello(withoutExtensions).ok).toBe(true);
    expect(parseClientHello(Buffer.concat([body, Buffer.from([0])]))).toMatchObject({ ok: false, error: { reason: 'trailing bytes after extensions' } });
    expect(parseClientHello(body.subarray(0, 20))).toEqual({ ok: false, error: { reason: 'random: needs 32 bytes, 18 left', offset: 2 } });
  });

  it('never throws on random or mutated bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
          fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })).map(([index, byte]) => {
            const mutated = Buffer.from(body);
            mutated[index] = byte;
            return mutated;
          }),
        ),
        (bytes) => {
          const parsed = parseClientHello(bytes);
          if (!parsed.ok) expect(parsed.error.offset).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('ClientKeyExchange (RFC 4279 section 2)', () => {
  it('reads the psk_identity and nothing else', () => {
    expect(parseClientKeyExchange(Buffer.from('000464657631', 'hex'))).toEqual({ ok: true, value: { pskIdentity: Buffer.from('dev1') } });
    expect(parseClientKeyExchange(Buffer.from('00046465763100', 'hex'))).toEqual({ ok: false, error: { reason: 'trailing bytes after psk_identity', offset: 6 } });
    expect(parseClientKeyExchange(Buffer.from('0009aa', 'hex')).ok).toBe(false);
  });

  it('never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => void parseClientKeyExchange(Buffer.from(bytes))), { numRuns: 1000 });
  });
});

describe('server messages', () => {
  it('writes a HelloVerifyRequest with DTLS 1.0 as RFC 6347 section 4.2.1 asks', () => {
    expect(helloVerifyRequestBody(Buffer.from('0102', 'hex')).toString('hex')).toBe('feff020102');
  });

  it('writes a ServerHello without session id and with the given extensions', () => {
    const bodyBytes = serverHelloBody(Buffer.alloc(32, 1), 0xc0a8, [{ type: 0x17, data: Buffer.alloc(0) }]);
    expect(bodyBytes.subarray(0, 2).toString('hex')).toBe('fefd');
    expect(bodyBytes.subarray(34).toString('hex')).toBe('00' + 'c0a8' + '00' + '0004' + '00170000');
    expect(serializeHandshake(HandshakeType.serverHelloDone, 2, Buffer.alloc(0)).toString('hex')).toBe('0e0000000002000000000000');
  });
});

describe('alerts (RFC 5246 section 7.2)', () => {
  it('round-trips and names alerts', () => {
    const bytes = serializeAlert({ level: 2, description: AlertDescription.badRecordMac });
    expect(parseAlert(bytes)).toEqual({ ok: true, value: { level: 2, description: 20 } });
    expect(alertName(115)).toBe('unknownPskIdentity');
    expect(parseAlert(Buffer.from([3, 0])).ok).toBe(false);
    expect(parseAlert(Buffer.from([1])).ok).toBe(false);
  });
});
