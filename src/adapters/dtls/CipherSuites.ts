/**
 * The cipher suites this server offers, in preference order (RFC 7925 section 4.2: CCM_8 is the one
 * every LwM2M client implements), and how each cuts the key block (RFC 5246 section 6.3). ChaCha20-Poly1305
 * comes last, for clients with neither AES suite: wolfSSL built without static PSK suites (as Debian's is)
 * offers it as its only PSK suite without an ephemeral key exchange.
 */
import { AesCbcHmacSha256Protection } from './AesCbcHmacSha256Protection.ts';
import { AesCcm8Protection } from './AesCcm8Protection.ts';
import { ChaCha20Poly1305Protection } from './ChaCha20Poly1305Protection.ts';
import type { RecordProtection } from './RecordProtection.ts';

export type CipherSuiteName = 'TLS_PSK_WITH_AES_128_CCM_8' | 'TLS_PSK_WITH_AES_128_CBC_SHA256' | 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256';

export interface CipherSuite {
  readonly id: number;
  readonly name: CipherSuiteName;
  readonly macKeyLength: number;
  readonly keyLength: number;
  readonly fixedIvLength: number;
  protection(macKey: Buffer, key: Buffer, fixedIv: Buffer): RecordProtection;
}

export const CIPHER_SUITES: readonly CipherSuite[] = [
  {
    id: 0xc0a8, // RFC 6655 section 4
    name: 'TLS_PSK_WITH_AES_128_CCM_8',
    macKeyLength: 0,
    keyLength: 16,
    fixedIvLength: 4,
    protection: (_macKey, key, fixedIv) => new AesCcm8Protection(key, fixedIv),
  },
  {
    id: 0x00ae, // RFC 5487 section 3.2
    name: 'TLS_PSK_WITH_AES_128_CBC_SHA256',
    macKeyLength: 32,
    keyLength: 16,
    fixedIvLength: 0,
    protection: (macKey, key) => new AesCbcHmacSha256Protection(macKey, key),
  },
  {
    id: 0xccab, // RFC 7905 section 3
    name: 'TLS_PSK_WITH_CHACHA20_POLY1305_SHA256',
    macKeyLength: 0,
    keyLength: 32,
    fixedIvLength: 12,
    protection: (_macKey, key, fixedIv) => new ChaCha20Poly1305Protection(key, fixedIv),
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
