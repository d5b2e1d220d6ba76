/** A saved DTLS session (as DtlsSessionState encodes it) for codec and state-file tests. */
import type { SavedDtlsSession } from '../../../../src/adapters/dtls/DtlsSessionState.ts';

export function savedSession(overrides: Partial<SavedDtlsSession> = {}): SavedDtlsSession {
  return {
    peer: { address: '127.0.0.1', port: 40001 },
    epoch: 1,
    pskIdentity: Buffer.from('device-1'),
    authentication: 'psk',
    credentialIdentity: undefined,
    cipherSuite: 'TLS_PSK_WITH_AES_128_CCM_8',
    extendedMasterSecret: true,
    establishedAt: new Date('2026-12-07T01:00:00Z'),
    readConnectionId: undefined,
    writeConnectionId: undefined,
    keyBlock: Buffer.alloc(40, 7),
    nextWriteSequence: 12,
    readWindow: { highest: 9, bitmap: 0b1011n },
    ...overrides,
  };
}
