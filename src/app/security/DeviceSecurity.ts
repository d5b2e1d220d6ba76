/**
 * The security of the device-facing secure ports, DTLS (LwM2M Transport 1.1 section 5.2) and TLS
 * (RFC 8323): the PSK accounts of the LwM2M and bootstrap servers, the certificate and raw public key
 * accounts, and the audit of failed handshakes and of requests naming another device than the
 * authenticated one, all within one per-minute audit limit (SecurityAuditLog). The transports ask
 * it for keys and verdicts and report their failed handshakes to it; the composition root wires them,
 * so the transports know no application service.
 */
import { createHash } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import type { RefusalTallyPolicy } from '../../domain/refusals/RefusalTally.ts';
import type { DtlsServerRole, HandshakeCredential } from '../../domain/security/SecurityAuditEvents.ts';
import { securityStream } from '../../domain/security/SecurityAuditEvents.ts';
import type { CoapPeer, CoapRequestHandler } from '../../adapters/coap/CoapEndpoint.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import { BootstrapDeviceDirectory } from '../bootstrap/BootstrapDeviceDirectory.ts';
import type { DtlsPeerAuthentication, RegistrationService } from '../registration/RegistrationService.ts';
import { CertificateAccounts } from './CertificateAccounts.ts';
import { DeviceIdentityIndex } from './DeviceIdentityIndex.ts';
import { auditHandshakeFailures } from './HandshakeFailureAudit.ts';
import type { HandshakeFailures } from './HandshakeFailureAudit.ts';
import { auditIdentityMismatch } from './IdentityMismatchAudit.ts';
import { Lwm2mPskIdentityIndex } from './Lwm2mPskIdentityIndex.ts';
import { PskKeyStore, identityText } from './PskKeyStore.ts';
import { SecurityAuditLog } from './SecurityAuditLog.ts';
import { TlsPskKeys } from './TlsPskKeys.ts';

/** A DTLS session as the security reads it: how its client authenticated. */
export interface DtlsSessionAuthentication {
  /** Empty unless the client authenticated with a PSK. */
  readonly pskIdentity: Buffer;
  readonly authentication: 'psk' | 'x509' | 'rpk';
  /** The endpoint the client's certificate or raw public key is bound to; undefined with a PSK. */
  readonly credentialIdentity: string | undefined;
}

export type DtlsSessionOf = (peer: CoapPeer) => DtlsSessionAuthentication | undefined;

/** How a TLS connection authenticated its client. */
export type TlsClientAuthentication = { readonly kind: 'psk'; readonly identity: string } | { readonly kind: 'certificate'; readonly endpoint: string };

/** A TLS handshake that did not complete, or whose client certificate was refused. */
export interface TlsHandshakeFailureReport {
  readonly peer: CoapPeer;
  readonly reason: string;
  readonly pskIdentity: string | null;
  readonly certificate: { readonly leaf: X509Certificate; readonly namedEndpoint: string | null } | null;
}

export interface DeviceSecurityOptions {
  readonly store: EventStore;
  readonly sealer: SecretSealer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How many audit events a window records one by one (RefusalTally's defaults when absent). */
  readonly auditPolicy?: Partial<RefusalTallyPolicy>;
  /** The trust store of X.509 devices, when the service has a certificate; without it there are no certificate accounts. */
  readonly trustAnchors?: readonly X509Certificate[];
}

export class DeviceSecurity {
  /** The DTLS ports' PSK accounts. */
  readonly keys: PskKeyStore;
  /** The TLS ports' PSK accounts. */
  readonly tlsKeys: TlsPskKeys;
  readonly audit: SecurityAuditLog;
  /** The certificate and raw public key accounts, when the service has a certificate. */
  readonly certificateAccounts: CertificateAccounts | undefined;
  readonly #identities: DeviceIdentityIndex;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(options: DeviceSecurityOptions) {
    const { store, clock, logger } = options;
    this.keys = new PskKeyStore({ lwm2mIdentities: new Lwm2mPskIdentityIndex(store), bootstrapDevices: new BootstrapDeviceDirectory(store), sealer: options.sealer });
    this.tlsKeys = new TlsPskKeys(store, options.sealer);
    this.audit = new SecurityAuditLog({ store, clock, logger, policy: options.auditPolicy });
    this.certificateAccounts = options.trustAnchors === undefined ? undefined : new CertificateAccounts({ store, trustAnchors: options.trustAnchors, clock });
    this.#identities = new DeviceIdentityIndex(store, []);
    this.#clock = clock;
    this.#logger = logger;
  }

  /** Audits the failed handshakes of a DTLS server; returns the stop. */
  auditDtlsHandshakes(server: HandshakeFailures, role: DtlsServerRole): () => void {
    return auditHandshakeFailures({
      server,
      role,
      deviceOf: (identity) => (role === 'lwm2m' ? this.keys.lwm2mDevice(identity) : this.keys.bootstrapDevice(identity)),
      deviceByEndpoint: (endpoint) => this.#identities.byEndpoint(endpoint),
      audit: this.audit,
      clock: this.#clock,
      logger: this.#logger,
    });
  }

  /** Audits a failed TLS handshake or refused certificate on a server's TLS port. */
  auditTlsHandshakeFailure(role: DtlsServerRole, failure: TlsHandshakeFailureReport): void {
    this.#recordTlsHandshakeFailure(role, failure).catch((error: unknown) => this.#logger.error({ err: error }, 'TLS handshake failure not audited'));
  }

  /** The PSK identity of a DTLS session; null without a session, or for a certificate session. */
  dtlsIdentityOf(sessionOf: DtlsSessionOf): (peer: CoapPeer) => string | null {
    return (peer) => {
      const session = sessionOf(peer);
      return session === undefined || session.authentication !== 'psk' ? null : (identityText(session.pskIdentity) ?? null);
    };
  }

  /**
   * The registration interface on the LwM2M server's DTLS port: the 'psk' channel with the session's
   * identity, audited, or the 'certificate' channel with the endpoint the session's certificate or
   * public key is bound to.
   */
  dtlsRegistrationHandler(registrations: RegistrationService, sessionOf: DtlsSessionOf): CoapRequestHandler {
    const authenticationOf = (peer: CoapPeer): DtlsPeerAuthentication | null => {
      const session = sessionOf(peer);
      if (session === undefined) return null;
      if (session.authentication !== 'psk' && session.credentialIdentity !== undefined) return { channel: 'certificate', certifiedEndpoint: session.credentialIdentity };
      const identity = identityText(session.pskIdentity);
      return identity === undefined ? null : { channel: 'psk', pskIdentity: identity };
    };
    return auditIdentityMismatch({
      role: 'lwm2m',
      handler: registrations.dtlsHandler(authenticationOf),
      identityOf: this.dtlsIdentityOf(sessionOf),
      certifiedOf: (peer) => {
        const session = sessionOf(peer);
        return session === undefined || session.authentication === 'psk' || session.credentialIdentity === undefined
          ? null
          : { endpoint: session.credentialIdentity, credential: session.authentication };
      },
      deviceOf: (identity) => this.keys.lwm2mDevice(identity),
      audit: this.audit,
      clock: this.#clock,
    });
  }

  /** The registration interface on the LwM2M server's TLS port: the 'tls' channel with the connection's PSK identity (audited), or 'tls-certificate' with the certificate's endpoint. */
  tlsRegistrationHandler(registrations: RegistrationService, authenticationOf: (peer: CoapPeer) => TlsClientAuthentication | null): CoapRequestHandler {
    return auditIdentityMismatch({
      role: 'lwm2m',
      handler: registrations.tlsHandler((peer) => {
        const authentication = authenticationOf(peer);
        if (authentication === null) return null;
        return authentication.kind === 'psk' ? { channel: 'psk', pskIdentity: authentication.identity } : { channel: 'certificate', certifiedEndpoint: authentication.endpoint };
      }),
      identityOf: (peer) => {
        const authentication = authenticationOf(peer);
        return authentication?.kind === 'psk' ? authentication.identity : null;
      },
      deviceOf: (identity) => this.keys.lwm2mDevice(identity),
      certifiedOf: (peer) => {
        const authentication = authenticationOf(peer);
        return authentication?.kind === 'certificate' ? { endpoint: authentication.endpoint, credential: 'x509' } : null;
      },
      audit: this.audit,
      clock: this.#clock,
    });
  }

  /** The bootstrap server's handler on a secure port, a request naming another device than the PSK identity's audited. */
  auditedBootstrapHandler(handler: CoapRequestHandler, identityOf: (peer: CoapPeer) => string | null): CoapRequestHandler {
    return auditIdentityMismatch({ role: 'bootstrap', handler, identityOf, deviceOf: (identity) => this.keys.bootstrapDevice(identity), audit: this.audit, clock: this.#clock });
  }

  /**
   * A failed TLS handshake or refused certificate as a `TlsHandshakeFailed` audit event, on the security
   * stream of the device the PSK identity is bound to, or the certificate names, when there is one.
   */
  async #recordTlsHandshakeFailure(role: DtlsServerRole, failure: TlsHandshakeFailureReport): Promise<void> {
    const { peer, reason, pskIdentity, certificate } = failure;
    const namedEndpoint = certificate?.namedEndpoint ?? null;
    const deviceOf = role === 'lwm2m' ? (identity: string) => this.keys.lwm2mDevice(identity) : (identity: string) => this.keys.bootstrapDevice(identity);
    const device = pskIdentity !== null ? await deviceOf(pskIdentity) : namedEndpoint !== null ? await this.#identities.byEndpoint(namedEndpoint) : undefined;
    const endpoint = device?.endpoint ?? null;
    const credential: HandshakeCredential | null =
      certificate === null
        ? null
        : { kind: 'x509', subject: certificate.leaf.subject.replaceAll('\n', ', '), fingerprint: createHash('sha256').update(certificate.leaf.raw).digest('hex'), namedEndpoint };
    await this.audit.record(
      securityStream(endpoint, peer.address),
      { type: 'TlsHandshakeFailed', data: { server: role, address: peer.address, port: peer.port, pskIdentity, credential, endpoint, reason, failedAt: this.#clock.now().toISOString() } },
      `system:tls-${role}`,
    );
  }
}
