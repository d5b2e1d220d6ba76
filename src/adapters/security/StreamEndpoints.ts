/**
 * The TCP and TLS ports of the service, CoAP over TCP and TLS (RFC 8323; LwM2M Transport 1.1 section
 * 5, binding `T`): the LwM2M server's (`coap+tcp`, `coaps+tcp`) and the bootstrap server's, each a
 * `StreamCoapEndpoint`, so that the same registration, device management and bootstrap logic serves
 * them as the UDP and DTLS ports.
 *
 * TLS 1.2 and 1.3 with a PSK, the same accounts as DTLS (`TlsPskKeys`): the LwM2M server's by the
 * device's `lwm2m psk_id`, the bootstrap server's by its bootstrap identity. The suites are the PSK ones
 * of RFC 7925 and LwM2M Transport 1.1 section 5.2.1 (AES-128-CCM-8, AES-128-CBC-SHA256) and AES-128-GCM,
 * in TLS 1.2; in TLS 1.3, OpenSSL's PSK callback (which node:tls uses) only serves suites whose hash is
 * SHA-256, so TLS_AES_128_GCM_SHA256 and TLS_AES_128_CCM_8_SHA256.
 *
 * X509 devices on the LwM2M server's TLS port, with the DTLS port's server certificate and accounts
 * (CertificateAccounts: the endpoint a certificate's CN or SAN names, its chain to the trust store or
 * the pinned certificate): ECDHE-ECDSA suites with AES-128-GCM and AES-128-CCM-8 (RFC 7925 section 4.4,
 * on secp256r1), the client asked for its certificate. Raw public keys (RFC 7250) are not offered:
 * OpenSSL, under node:tls, has no API for them. The bootstrap server's TLS port stays PSK, as its DTLS
 * port does.
 *
 * Transport only: keys and the verdict on a certificate are looked up through the functions given,
 * failed handshakes and refused certificates are reported to `onHandshakeFailed` (the application's
 * device security audits them), and the composition root installs the handlers.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { openTcpCoapEndpoint, openTlsCoapEndpoint } from '../coap/StreamCoapEndpoint.ts';
import type { StreamCoapEndpoint, StreamLimits, TlsCertificateVerdict, TlsHandshakeFailure } from '../coap/StreamCoapEndpoint.ts';
import type { ServerCredential } from '../dtls/PeerCredential.ts';
import type { Logger } from '../logging/Logger.ts';

/** OpenSSL names of the TLS 1.2 PSK suites (RFC 6655, RFC 5487) and the TLS 1.3 suites that work with a PSK callback. */
export const tlsPskCiphers = ['PSK-AES128-CCM8', 'PSK-AES128-CBC-SHA256', 'PSK-AES128-GCM-SHA256', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'].join(':');
/** OpenSSL names of the TLS 1.2 certificate suites of RFC 7925 section 4.4 (RFC 7251, RFC 5289). */
const tlsCertificateCiphers = ['ECDHE-ECDSA-AES128-CCM8', 'ECDHE-ECDSA-AES128-GCM-SHA256'].join(':');

export interface StreamEndpointsOptions {
  readonly host: string;
  readonly lwm2mTcpPort: number;
  readonly lwm2mTlsPort: number;
  readonly bootstrapTcpPort: number;
  readonly bootstrapTlsPort: number;
  /** The keys of each server's PSK identities, and what brings them up to date before a handshake. */
  readonly pskKeys: {
    readonly lwm2m: (identity: string) => Buffer | null;
    readonly bootstrap: (identity: string) => Buffer | null;
    readonly prepare: () => Promise<void>;
  };
  /** Hears each failed handshake and refused certificate, by the server it happened on. */
  readonly onHandshakeFailed: (role: 'lwm2m' | 'bootstrap', failure: TlsHandshakeFailure) => void;
  readonly logger: Logger;
  readonly limits?: Partial<StreamLimits>;
  /** X509 devices on the LwM2M server's TLS port: the server's certificate and the verdict on a client's chain. */
  readonly certificates?: { readonly server: ServerCredential; readonly lookup: (chain: readonly X509Certificate[]) => Promise<TlsCertificateVerdict> };
}

export interface StreamEndpoints {
  readonly lwm2mTcp: StreamCoapEndpoint;
  readonly lwm2mTls: StreamCoapEndpoint;
  readonly bootstrapTcp: StreamCoapEndpoint;
  readonly bootstrapTls: StreamCoapEndpoint;
  /** The CoAP endpoints by the server they belong to (`lwm2m-tcp`, `lwm2m-tls`, `bootstrap-tcp`, `bootstrap-tls`), for readiness and metrics. */
  readonly byServer: ReadonlyArray<{ readonly server: string; readonly endpoint: StreamCoapEndpoint }>;
  close(): Promise<void>;
}

export async function openStreamEndpoints(options: StreamEndpointsOptions): Promise<StreamEndpoints> {
  const { logger, host, limits, pskKeys } = options;
  const secureContext = createSecureContext({ ciphers: tlsPskCiphers, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  const { certificates } = options;
  const lwm2mSecureContext =
    certificates === undefined
      ? secureContext
      : createSecureContext({
          ciphers: `${tlsPskCiphers}:${tlsCertificateCiphers}`,
          minVersion: 'TLSv1.2',
          maxVersion: 'TLSv1.3',
          key: certificates.server.privateKey.export({ format: 'pem', type: 'pkcs8' }),
          cert: certificates.server.certificateChain.map((der) => new X509Certificate(der).toString()).join(''),
        });
  const certificateLookup = certificates === undefined ? {} : { certificateLookup: certificates.lookup };
  const opened: StreamCoapEndpoint[] = [];
  const open = async (endpoint: Promise<StreamCoapEndpoint>): Promise<StreamCoapEndpoint> => {
    try {
      const listening = await endpoint;
      opened.push(listening);
      return listening;
    } catch (error) {
      await Promise.all(opened.map((each) => each.close()));
      throw error;
    }
  };
  const lwm2mTcp = await open(openTcpCoapEndpoint({ host, port: options.lwm2mTcpPort, logger, limits }));
  const lwm2mTls = await open(
    openTlsCoapEndpoint({
      host,
      port: options.lwm2mTlsPort,
      logger,
      limits,
      secureContext: lwm2mSecureContext,
      pskLookup: pskKeys.lwm2m,
      prepare: pskKeys.prepare,
      ...certificateLookup,
      onHandshakeFailed: (failure) => options.onHandshakeFailed('lwm2m', failure),
    }),
  );
  const bootstrapTcp = await open(openTcpCoapEndpoint({ host, port: options.bootstrapTcpPort, logger, limits }));
  const bootstrapTls = await open(
    openTlsCoapEndpoint({
      host,
      port: options.bootstrapTlsPort,
      logger,
      limits,
      secureContext,
      pskLookup: pskKeys.bootstrap,
      prepare: pskKeys.prepare,
      onHandshakeFailed: (failure) => options.onHandshakeFailed('bootstrap', failure),
    }),
  );
  return {
    lwm2mTcp,
    lwm2mTls,
    bootstrapTcp,
    bootstrapTls,
    byServer: [
      { server: 'lwm2m-tcp', endpoint: lwm2mTcp },
      { server: 'lwm2m-tls', endpoint: lwm2mTls },
      { server: 'bootstrap-tcp', endpoint: bootstrapTcp },
      { server: 'bootstrap-tls', endpoint: bootstrapTls },
    ],
    async close() {
      await Promise.all(opened.map((endpoint) => endpoint.close()));
    },
  };
}
