import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CIPHER_SUITES, connectionKeys } from '../../../src/adapters/dtls/CipherSuites.ts';
import { ContentType, parseDatagram } from '../../../src/adapters/dtls/DtlsRecord.ts';
import { DtlsSession } from '../../../src/adapters/dtls/DtlsSession.ts';
import { decodeDtlsSessions, encodeDtlsSessions } from '../../../src/adapters/dtls/DtlsSessionState.ts';
import type { SavedDtlsSession } from '../../../src/adapters/dtls/DtlsSessionState.ts';
import { ProtectedRecords } from '../../../src/adapters/dtls/ProtectedRecords.ts';
import { savedSession } from './support/SavedSessionFixture.ts';

const suiteNames = CIPHER_SUITES.map((suite) => suite.name);
const keyBlockLength = (name: string): number => {
  const suite = CIPHER_SUITES.find((candidate) => candidate.name === name);
  return suite === undefined ? 0 : 2 * (suite.macKeyLength + suite.keyLength + suite.fixedIvLength);
};

const bytes = (maxLength: number, minLength = 0): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength, maxLength }).map((array) => Buffer.from(array));

const anySavedSession: fc.Arbitrary<SavedDtlsSession> = fc.constantFrom(...suiteNames).chain((cipherSuite) =>
  fc.record({
    peer: fc.record({ address: fc.constantFrom('127.0.0.1', '2001:db8::17', '192.0.2.200'), port: fc.integer({ min: 1, max: 65535 }) }),
    epoch: fc.constant(1),
    pskIdentity: bytes(64),
    authentication: fc.constantFrom('psk' as const, 'x509' as const, 'rpk' as const),
    credentialIdentity: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    cipherSuite: fc.constant(cipherSuite),
    extendedMasterSecret: fc.boolean(),
    establishedAt: fc.integer({ min: 0, max: 2 ** 47 }).map((ms) => new Date(ms)),
    readConnectionId: fc.option(bytes(8, 1), { nil: undefined }),
    writeConnectionId: fc.option(bytes(8), { nil: undefined }),
    keyBlock: bytes(keyBlockLength(cipherSuite), keyBlockLength(cipherSuite)),
    nextWriteSequence: fc.nat(2 ** 48 - 1),
    readWindow: fc.record({ highest: fc.nat(2 ** 48 - 2), bitmap: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  }),
);

describe('DTLS session state codec', () => {
  it('round-trips any sessions', () => {
    fc.assert(
      fc.property(fc.array(anySavedSession, { maxLength: 5 }), fc.integer({ min: 0, max: 2 ** 47 }), (sessions, ms) => {
        const state = { savedAt: new Date(ms), sessions };
        expect(decodeDtlsSessions(encodeDtlsSessions(state))).toEqual({ ok: true, value: state });
      }),
    );
  });

  it('refuses every truncation with the field that is missing', () => {
    const encoded = encodeDtlsSessions({ savedAt: new Date(0), sessions: [savedSession(), savedSession({ peer: { address: '127.0.0.1', port: 40002 } })] });
    for (let length = 0; length < encoded.length; length++) {
      const decoded = decodeDtlsSessions(encoded.subarray(0, length));
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.error.reason).toMatch(/needs \d+ bytes|session \d+/);
    }
  });

  it('refuses another format version, trailing bytes, an unknown suite and a key block of the wrong length', () => {
    const encoded = encodeDtlsSessions({ savedAt: new Date(0), sessions: [savedSession()] });
    const otherVersion = Buffer.from(encoded);
    otherVersion[0] = 2;
    expect(decodeDtlsSessions(otherVersion)).toMatchObject({ ok: false, error: { reason: 'format version 2, expected 1' } });
    expect(decodeDtlsSessions(Buffer.concat([encoded, Buffer.from([0])]))).toMatchObject({ ok: false, error: { reason: '1 bytes after the last session' } });
    const shortKeys = encodeDtlsSessions({ savedAt: new Date(0), sessions: [savedSession({ keyBlock: Buffer.alloc(39) })] });
    expect(decodeDtlsSessions(shortKeys)).toMatchObject({ ok: false, error: { reason: 'session 0: key block of 39 bytes for TLS_PSK_WITH_AES_128_CCM_8' } });
    const suiteOffset = encoded.indexOf(Buffer.from([0xc0, 0xa8]));
    const unknownSuite = Buffer.from(encoded);
    unknownSuite.writeUInt16BE(0x1234, suiteOffset);
    expect(decodeDtlsSessions(unknownSuite)).toMatchObject({ ok: false, error: { reason: 'session 0: unknown cipher suite 0x1234' } });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(bytes(300), (input) => {
        expect(typeof decodeDtlsSessions(input).ok).toBe('boolean');
      }),
    );
  });
});

describe('a restored DTLS session', () => {
  const saved = savedSession({ nextWriteSequence: 12 });
  const suite = CIPHER_SUITES.find((candidate) => candidate.name === saved.cipherSuite);
  if (suite === undefined) throw new Error('no CCM_8 suite');
  const keys = connectionKeys(suite, saved.keyBlock);
  // The client's side of the same keys: it writes with the client keys and reads with the server keys.
  const client = new ProtectedRecords(keys.serverWrite, keys.clientWrite, undefined, undefined);

  it('writes above the saved sequence number by the margin, so no record number is used twice', () => {
    const restored = DtlsSession.restore(saved, 1024, new Date());
    const record = restored?.sealApplicationData(Buffer.from('hello'));
    const parsed = parseDatagram(record ?? Buffer.alloc(0)).records[0];
    expect(parsed?.sequenceNumber).toBe(12 + 1024);
    expect(parsed === undefined ? undefined : client.open(parsed)).toEqual({ type: ContentType.applicationData, content: Buffer.from('hello') });
  });

  it('keeps the replay window: old records are refused, newer ones are read', () => {
    const restored = DtlsSession.restore(saved, 1024, new Date());
    const record = (sequenceNumber: number): Parameters<DtlsSession['receive']>[0] => {
      const parsed = parseDatagram(client.seal(ContentType.applicationData, sequenceNumber, Buffer.from(`n${sequenceNumber}`))).records[0];
      if (parsed === undefined) throw new Error('no record');
      return parsed;
    };
    expect(restored?.receive(record(9), 0)).toEqual({ kind: 'discarded', reason: 'replayed record 9' });
    expect(restored?.receive(record(8), 0)).toEqual({ kind: 'discarded', reason: 'replayed record 8' });
    expect(restored?.receive(record(7), 0)).toMatchObject({ kind: 'application-data', data: Buffer.from('n7') });
    expect(restored?.receive(record(10), 0)).toMatchObject({ kind: 'application-data', data: Buffer.from('n10'), newest: true });
  });

  it('is not restored when its sequence numbers would run out', () => {
    expect(DtlsSession.restore(savedSession({ nextWriteSequence: 2 ** 48 - 100 }), 1024, new Date())).toBeUndefined();
  });
});
