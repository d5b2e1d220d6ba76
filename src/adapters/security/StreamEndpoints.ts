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
 * Failed handshakes and refused certificates are audit events without key material, and a request
 * naming another endpoint than the PSK identity's or the certificate's is audited as on the DTLS ports.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Clock } from '../../domain/Clock.ts';
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import type { BootstrapChannel } from '../../app/bootstrap/BootstrapServer.ts';
import type { CoapEndpoint, CoapPeer, CoapRequestHandler } from '../coap/CoapEndpoint.ts';
import type { RegistrationService } from '../../app/registration/RegistrationService.ts';
import { openTcpCoapEndpoint, openTlsCoapEndpoint } from '../coap/StreamCoapEndpoint.ts';
import type { StreamCoapEndpoint, StreamLimits, TlsCertificateVerdict, TlsHandshakeFailure } from '../coap/StreamCoapEndpoint.ts';
import type { ServerCredential } from '../dtls/PeerCredential.ts';
import type { EventStore } from '../eventstore/EventStore.ts';
import type { Logger } from '../logging/Logger.ts';
import { HandlerWrappingCoapEndpoint } from './HandlerWrappingCoapEndpoint.ts';
import { auditIdentityMismatch } from '../../app/security/IdentityMismatchAudit.ts';
import type { PskKeyStore } from '../../app/security/PskKeyStore.ts';
import type { CertificateAccounts } from '../../app/security/CertificateAccounts.ts';
import { DeviceIdentityIndex } from '../../app/security/DeviceIdentityIndex.ts';
import type { DtlsServerRole, HandshakeCredential } from '../../domain/security/SecurityAuditEvents.ts';
import { securityStream } from '../../domain/security/SecurityAuditEvents.ts';
import type { SecurityAuditLog } from '../../app/security/SecurityAuditLog.ts';
import { TlsPskKeys } from '../../app/security/TlsPskKeys.ts';

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
  readonly store: EventStore;
  readonly sealer: SecretSealer;
  /** The DTLS ports' key store (which device an identity is), for the audits. */
  readonly keys: PskKeyStore;
  /** The DTLS ports' audit log: one budget for every port's security events. */
  readonly audit: SecurityAuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits?: Partial<StreamLimits>;
  /** X509 devices on the LwM2M server's TLS port: the server's certificate and the accounts that judge a client's. */
  readonly certificates?: { readonly server: ServerCredential; readonly accounts: CertificateAccounts };
}

export interface StreamEndpoints {
  readonly lwm2mTcp: StreamCoapEndpoint;
  readonly lwm2mTls: StreamCoapEndpoint;
  readonly bootstrapTcp: StreamCoapEndpoint;
  /** The bootstrap server's TLS endpoint; the handler installed on it is audited for identity mismatches. */
  readonly bootstrapTls: CoapEndpoint;
  readonly bootstrapTlsChannel: BootstrapChannel;
  /** The CoAP endpoints, unwrapped, by the server they belong to (`lwm2m-tcp`, `lwm2m-tls`, `bootstrap-tcp`, `bootstrap-tls`), for readiness and metrics. */
  readonly byServer: ReadonlyArray<{ readonly server: string; readonly endpoint: StreamCoapEndpoint }>;
  /** The registration interface on the TLS port: the 'tls' channel with the connection's PSK identity (audited), or 'tls-certificate' with the certificate's endpoint. */
  tlsRegistrationHandler(registrations: RegistrationService): CoapRequestHandler;
  close(): Promise<void>;
}

export async function openStreamEndpoints(options: StreamEndpointsOptions): Promise<StreamEndpoints> {
  const { store, clock, logger, keys, audit, host, limits } = options;
  const tlsKeys = new TlsPskKeys(store, options.sealer);
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
  const certificateLookup =
    certificates === undefined
      ? {}
      : {
          certificateLookup: async (chain: readonly X509Certificate[]): Promise<TlsCertificateVerdict> => {
            const verdict = await certificates.accounts.accountOf({ kind: 'x509', chain });
            return verdict.ok ? verdict : { ok: false, reason: verdict.refusal.message, namedEndpoint: verdict.refusal.endpoint };
          },
        };
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
  const endpoints = new DeviceIdentityIndex(store, []);
  const audited = (role: DtlsServerRole) => (failure: TlsHandshakeFailure) => {
    const deviceOf = role === 'lwm2m' ? (identity: string) => keys.lwm2mDevice(identity) : (identity: string) => keys.bootstrapDevice(identity);
    recordHandshakeFailure(audit, role, failure, deviceOf, (endpoint) => endpoints.byEndpoint(endpoint), clock).catch((error: unknown) => logger.error({ err: error }, 'TLS handshake failure not audited'));
  };
  const lwm2mTcp = await open(openTcpCoapEndpoint({ host, port: options.lwm2mTcpPort, logger, limits }));
  const lwm2mTls = await open(
    openTlsCoapEndpoint({
      host,
      port: options.lwm2mTlsPort,
      logger,
      limits,
      secureContext: lwm2mSecureContext,
      pskLookup: tlsKeys.lwm2mKey,
      prepare: () => tlsKeys.prepare(),
      ...certificateLookup,
      onHandshakeFailed: audited('lwm2m'),
    }),
  );
  const bootstrapTcp = await open(openTcpCoapEndpoint({ host, port: options.bootstrapTcpPort, logger, limits }));
  const bootstrapTlsEndpoint = await open(
    openTlsCoapEndpoint({ host, port: options.bootstrapTlsPort, logger, limits, secureContext, pskLookup: tlsKeys.bootstrapKey, prepare: () => tlsKeys.prepare(), onHandshakeFailed: audited('bootstrap') }),
  );
  const lwm2mIdentityOf = (peer: CoapPeer): string | null => lwm2mTls.pskIdentityOf(peer);
  const bootstrapTls = new HandlerWrappingCoapEndpoint(bootstrapTlsEndpoint, (handler) =>
    auditIdentityMismatch({ role: 'bootstrap', handler, identityOf: (peer) => bootstrapTlsEndpoint.pskIdentityOf(peer), deviceOf: (identity) => keys.bootstrapDevice(identity), audit, clock }),
  );
  return {
    lwm2mTcp,
    lwm2mTls,
    bootstrapTcp,
    bootstrapTls,
    bootstrapTlsChannel: { kind: 'tls', pskIdentityOf: (peer) => bootstrapTlsEndpoint.pskIdentityOf(peer) ?? undefined },
    byServer: [
      { server: 'lwm2m-tcp', endpoint: lwm2mTcp },
      { server: 'lwm2m-tls', endpoint: lwm2mTls },
      { server: 'bootstrap-tcp', endpoint: bootstrapTcp },
      { server: 'bootstrap-tls', endpoint: bootstrapTlsEndpoint },
    ],
    tlsRegistrationHandler: (registrations) =>
      auditIdentityMismatch({
        role: 'lwm2m',
        handler: registrations.tlsHandler((peer) => {
          const authentication = lwm2mTls.authenticationOf(peer);
          if (authentication === null) return null;
          return authentication.kind === 'psk' ? { channel: 'psk', pskIdentity: authentication.identity } : { channel: 'certificate', certifiedEndpoint: authentication.endpoint };
        }),
        identityOf: lwm2mIdentityOf,
        deviceOf: (identity) => keys.lwm2mDevice(identity),
        certifiedOf: (peer) => {
          const authentication = lwm2mTls.authenticationOf(peer);
          return authentication?.kind === 'certificate' ? { endpoint: authentication.endpoint, credential: 'x509' } : null;
        },
        audit,
        clock,
      }),
    async close() {
      await Promise.all(opened.map((endpoint) => endpoint.close()));
    },
  };
}

/**
 * A failed TLS handshake or refused certificate as a `TlsHandshakeFailed` audit event, on the security
 * stream of the device the PSK identity is bound to, or the certificate names, when there is one.
 */
async function recordHandshakeFailure(
  audit: SecurityAuditLog,
  role: DtlsServerRole,
  failure: TlsHandshakeFailure,
  deviceOf: (identity: string) => Promise<{ readonly endpoint: string } | undefined>,
  deviceByEndpoint: (endpoint: string) => Promise<{ readonly endpoint: string } | undefined>,
  clock: Clock,
): Promise<void> {
  const { peer, reason, pskIdentity, certificate } = failure;
  const namedEndpoint = certificate?.namedEndpoint ?? null;
  const device = pskIdentity !== null ? await deviceOf(pskIdentity) : namedEndpoint !== null ? await deviceByEndpoint(namedEndpoint) : undefined;
  const endpoint = device?.endpoint ?? null;
  const credential: HandshakeCredential | null =
    certificate === null
      ? null
      : { kind: 'x509', subject: certificate.leaf.subject.replaceAll('\n', ', '), fingerprint: createHash('sha256').update(certificate.leaf.raw).digest('hex'), namedEndpoint };
  await audit.record(
    securityStream(endpoint, peer.address),
    { type: 'TlsHandshakeFailed', data: { server: role, address: peer.address, port: peer.port, pskIdentity, credential, endpoint, reason, failedAt: clock.now().toISOString() } },
    `system:tls-${role}`,
  );
}
