import { describe, expect, it } from 'vitest';
import { CIPHER_SUITES, keyBlockLength } from '../../../src/adapters/dtls/CipherSuites.ts';
import { extendedMasterSecret, finishedVerifyData, masterSecret, prfSha256, pskPremasterSecret } from '../../../src/adapters/dtls/Prf.ts';

describe('TLS 1.2 PRF (RFC 5246 section 5)', () => {
  it('matches the published P_SHA256 test vector (IETF TLS list, msg03416)', () => {
    const output = prfSha256(Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex'), 'test label', Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex'), 100);
    expect(output.toString('hex')).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af' +
        '0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });

  it('produces prefixes of the same stream for shorter lengths', () => {
    const secret = Buffer.from('secret');
    const long = prfSha256(secret, 'label', Buffer.from('seed'), 80);
    expect(prfSha256(secret, 'label', Buffer.from('seed'), 13)).toEqual(long.subarray(0, 13));
  });
});

describe('PSK key schedule', () => {
  it('builds the premaster secret as N, N zeros, N, key (RFC 4279 section 2)', () => {
    expect(pskPremasterSecret(Buffer.from('abc')).toString('hex')).toBe('0003' + '000000' + '0003' + '616263');
  });

  it('binds the extended master secret to the session hash instead of the randoms (RFC 7627 section 4)', () => {
    const premaster = pskPremasterSecret(Buffer.from('key'));
    const randoms = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)] as const;
    const classic = masterSecret(premaster, ...randoms);
    const extended = extendedMasterSecret(premaster, Buffer.alloc(32, 3));
    expect(classic).toHaveLength(48);
    expect(extended).toHaveLength(48);
    expect(extended).not.toEqual(classic);
    expect(extended).toEqual(prfSha256(premaster, 'extended master secret', Buffer.alloc(32, 3), 48));
  });

  it('gives 12-byte Finished values that differ by sender (RFC 5246 section 7.4.9)', () => {
    const master = Buffer.alloc(48, 9);
    const hash = Buffer.alloc(32, 4);
    expect(finishedVerifyData(master, 'client', hash)).toHaveLength(12);
    expect(finishedVerifyData(master, 'client', hash)).not.toEqual(finishedVerifyData(master, 'server', hash));
  });

  it('sizes the key block per suite (RFC 5246 section 6.3)', () => {
    expect(CIPHER_SUITES.map((suite) => [suite.name, keyBlockLength(suite)])).toEqual([
      ['TLS_PSK_WITH_AES_128_CCM_8', 40],
      ['TLS_PSK_WITH_AES_128_CBC_SHA256', 96],
      ['TLS_PSK_WITH_CHACHA20_POLY1305_SHA256', 88], // RFC 7905 section 2: 32-byte keys, 12-byte IVs
      ['TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 40],
      ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 40], // RFC 5288 section 3: 4-byte salt, as CCM
    ]);
  });
});
