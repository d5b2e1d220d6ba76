/**
 * The cipher suites this server offers, in preference order (RFC 7925 section 4.2: CCM_8 is the one
 * every LwM2M client implements), and how each cuts the key block (RFC 5246 section 6.3). ChaCha20-Poly1305
 * comes last of the PSK suites, for clients with neither AES suite: wolfSSL built without static PSK
 * suites (as Debian's is) offers it as its only PSK suite without an ephemeral key exchange.
 *
 * The certificate suites follow (RFC 7925 section 4.4.1 and 4.3: ECDHE_ECDSA with CCM_8 for X.509 and
 * raw public keys; GCM from RFC 5289 for clients without CCM). A client offers PSK suites only when it
 * has a PSK and certificate suites only when it has a certificate or key, so the order between the two
 * kinds decides nothing in practice; the PSK ones stay first, as before certificates existed.
 */
import { AesCbcHmacSha256Protection } from './AesCbcHmacSha256Protection.ts';
import { AesAeadProtection } from './AesAeadProtection.ts';
import { ChaCha20Poly1305Protection } from './ChaCha20Poly1305Protection.ts';
import type { RecordProtection } from './RecordProtection.ts';

export type CipherSuiteName =
  | 'TLS_PSK_WITH_AES_128_CCM_8'
  | 'TLS_PSK_WITH_AES_128_CBC_SHA256'
  | 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256'
  | 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8'
  | 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';

/** 'psk': RFC 4279 section 2; 'ecdhe-ecdsa': RFC 8422 section 2.3, with the client authenticated too. */
export type KeyExchange = 'psk' | 'ecdhe-ecdsa';

export interface CipherSuite {
  readonly id: number;
  readonly name: CipherSuiteName;
  readonly keyExchange: KeyExchange;
  readonly macKeyLength: number;
  readonly keyLength: number;
  readonly fixedIvLength: number;
  protection(macKey: Buffer, key: Buffer, fixedIv: Buffer): RecordProtection;
}

export const CIPHER_SUITES: readonly CipherSuite[] = [
  {
    id: 0xc0a8, // RFC 6655 section 4
    name: 'TLS_PSK_WITH_AES_128_CCM_8',
    keyExchange: 'psk',
    macKeyLength: 0,
    keyLength: 16,
    fixedIvLength: 4,
    protection: (_macKey, key, fixedIv) => AesAeadProtection.ccm8(key, fixedIv),
  },
  {
    id: 0x00ae, // RFC 5487 section 3.2
    name: 'TLS_PSK_WITH_AES_128_CBC_SHA256',
    keyExchange: 'psk',
    macKeyLength: 32,
    keyLength: 16,
    fixedIvLength: 0,
    protection: (macKey, key) => new AesCbcHmacSha256Protection(macKey, key),
  },
  {
    id: 0xccab, // RFC 7905 section 3
    name: 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256',
    keyExchange: 'psk',
    macKeyLength: 0,
    keyLength: 32,
    fixedIvLength: 12,
    protection: (_macKey, key, fixedIv) => new ChaCha20Poly1305Protection(key, fixedIv),
  },
  {
    id: 0xc0ae, // RFC 7251 section 2
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8',
    keyExchange: 'ecdhe-ecdsa',
    macKeyLength: 0,
    keyLength: 16,
    fixedIvLength: 4,
    protection: (_macKey, key, fixedIv) => AesAeadProtection.ccm8(key, fixedIv),
  },
  {
    id: 0xc02b, // RFC 5289 section 3.2
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    keyExchange: 'ecdhe-ecdsa',
    macKeyLength: 0,
    keyLength: 16,
    fixedIvLength: 4,
    protection: (_macKey, key, fixedIv) => AesAeadProtection.gcm(key, fixedIv),
  },
];

/** The first suite in the server's order that the client offers (RFC 5246 section 7.4.1.3). */
export function selectCipherSuite(offered: readonly number[], enabled: readonly CipherSuite[]): CipherSuite | undefined {
  return enabled.find((suite) => offered.includes(suite.id));
}

export function keyBlockLength(suite: CipherSuite): number {
  return 2 * (suite.macKeyLength + suite.keyLength + suite.fixedIvLength);
}

export interface ConnectionKeys {
  readonly clientWrite: RecordProtection;
  readonly serverWrite: RecordProtection;
}

/** RFC 5246 section 6.3: client MAC key, server MAC key, client key, server key, client IV, server IV. */
export function connectionKeys(suite: CipherSuite, block: Buffer): ConnectionKeys {
  let offset = 0;
  const next = (length: number): Buffer => {
    const slice = block.subarray(offset, offset + length);
    offset += length;
    return slice;
  };
  const clientMac = next(suite.macKeyLength);
  const serverMac = next(suite.macKeyLength);
  const clientKey = next(suite.keyLength);
  const serverKey = next(suite.keyLength);
  const clientIv = next(suite.fixedIvLength);
  const serverIv = next(suite.fixedIvLength);
  return {
    clientWrite: suite.protection(clientMac, clientKey, clientIv),
    serverWrite: suite.protection(serverMac, serverKey, serverIv),
  };
}
