/**
 * The DTLS ports of the service: the LwM2M server's (`coapsPort`, 5684) and the bootstrap server's
 * (`bootstrapDtlsPort`, 5784), CoAP over the DTLS server so that the same registration, device
 * management and bootstrap logic serves them as the plain ports (LwM2M Transport 1.1 section 5.2.1:
 * CoAP over DTLS in PSK mode). Keys come from the sealed CSV values through the PskKeyStore;
 * failed handshakes and identity mismatches become audit events (without keys) within one budget.
 *
 * With the server's certificate, the LwM2M server's port also takes X509 and RPK devices (Transport
 * 1.1 section 5.2.8 and 5.2.9, the certificate and raw public key modes), their credentials judged by
 * CertificateAccounts. The bootstrap server's port stays PSK: X509 and RPK devices bootstrap with a
 * bootstrap PSK, or on the plain port.
 *
 * With a session state directory, both ports' DTLS sessions outlive a restart: sealed into a file on
 * close, restored (and the file deleted) on open, so devices go on without a new handshake.
 */
import type { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../../domain/Clock.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import { BootstrapDeviceDirectory } from '../../app/bootstrap/BootstrapDeviceDirectory.ts';
import type { BootstrapChannel } from '../../app/bootstrap/BootstrapServer.ts';
import type { CoapEndpoint, CoapPeer, CoapRequestHandler } from '../coap/CoapEndpoint.ts';
import { DatagramCoapEndpoint } from '../coap/DatagramCoapEndpoint.ts';
import type { DtlsPeerAuthentication, RegistrationService } from '../../app/registration/RegistrationService.ts';
import { DtlsDatagramTransport } from '../dtls/DtlsDatagramTransport.ts';
import type { SavedDtlsSession } from '../dtls/DtlsSessionState.ts';
import { takeSealedSessions, writeSealedSessions } from '../dtls/SealedSessionFile.ts';
import type { EventStore } from '../eventstore/EventStore.ts';
import type { Logger } from '../logging/Logger.ts';
import { auditHandshakeFailures } from '../../app/security/HandshakeFailureAudit.ts';
import { HandlerWrappingCoapEndpoint } from './HandlerWrappingCoapEndpoint.ts';
import type { ServerCredential } from '../dtls/PeerCredential.ts';
import { CertificateAccounts } from '../../app/security/CertificateAccounts.ts';
import { DeviceIdentityIndex } from '../../app/security/DeviceIdentityIndex.ts';
import { auditIdentityMismatch } from '../../app/security/IdentityMismatchAudit.ts';
import { Lwm2mPskIdentityIndex } from '../../app/security/Lwm2mPskIdentityIndex.ts';
import { PskKeyStore, identityText } from '../../app/security/PskKeyStore.ts';
import { SecurityAuditLog } from '../../app/security/SecurityAuditLog.ts';

export interface SecureEndpointsOptions {
  readonly host: string;
  readonly lwm2mPort: number;
  readonly bootstrapPort: number;
  readonly store: EventStore;
  readonly sealer: SecretSealer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The audit events' budget (SecurityAuditLog's defaults when absent). */
  readonly auditBudget?: { readonly burst: number; readonly perSecond: number };
  /** The server's certificate and the trust store of X.509 devices; without it the LwM2M port is PSK only. */
  readonly certificates?: { readonly server: ServerCredential; readonly trustAnchors: readonly X509Certificate[] };
  /** Where the sealed DTLS session state is kept across a restart (the data directory); without it sessions end with the service. */
  readonly sessionStateDir?: string;
}

export interface SecureEndpoints {
  /** The LwM2M server's CoAP endpoint over DTLS, and its DTLS transport (sessions, identities). */
  readonly lwm2m: DatagramCoapEndpoint;
  readonly lwm2mTransport: DtlsDatagramTransport;
  /**
   * The bootstrap server's CoAP endpoint over DTLS (the handler installed on it is audited for identity
   * mismatches), and how the bootstrap server reads its identities.
   */
  readonly bootstrap: CoapEndpoint;
  readonly bootstrapTransport: DtlsDatagramTransport;
  readonly bootstrapChannel: BootstrapChannel;
  readonly keys: PskKeyStore;
  readonly audit: SecurityAuditLog;
  /** The PSK identity of the DTLS session of an LwM2M server peer; null without a session, or for a certificate session. */
  lwm2mIdentityOf(peer: CoapPeer): string | null;
  /**
   * The registration interface on the DTLS port: the 'psk' channel with the session's identity, audited,
   * or the 'certificate' channel with the endpoint the session's certificate or public key is bound to.
   */
  registrationHandler(registrations: RegistrationService): CoapRequestHandler;
  /** The certificate and raw public key accounts, when the service has a certificate. */
  readonly certificateAccounts: CertificateAccounts | undefined;
  /** The CoAP endpoints of both DTLS ports, unwrapped, for readiness and metrics. */
  readonly datagramEndpoints: { readonly lwm2m: DatagramCoapEndpoint; readonly bootstrap: DatagramCoapEndpoint };
  close(): Promise<void>;
}

export async function openSecureEndpoints(options: SecureEndpointsOptions): Promise<SecureEndpoints> {
  const { store, clock, logger } = options;
  const keys = new PskKeyStore({ lwm2mIdentities: new Lwm2mPskIdentityIndex(store), bootstrapDevices: new BootstrapDeviceDirectory(store), sealer: options.sealer });
  const audit = new SecurityAuditLog({ store, clock, logger, ...options.auditBudget });

  const certificateAccounts =
    options.certificates === undefined ? undefined : new CertificateAccounts({ store, trustAnchors: options.certificates.trustAnchors, clock });
  const certificates =
    options.certificates === undefined || certificateAccounts === undefined ? {} : { certificates: { server: options.certificates.server, lookup: certificateAccounts.dtlsLookup } };
  const stateDir = options.sessionStateDir;
  const sessionFiles = stateDir === undefined ? undefined : { lwm2m: join(stateDir, 'dtls-sessions-lwm2m.sealed'), bootstrap: join(stateDir, 'dtls-sessions-bootstrap.sealed') };
  const restored = (file: string | undefined): { restoredSessions?: readonly SavedDtlsSession[] } =>
    file === undefined ? {} : { restoredSessions: takeSealedSessions(file, options.sealer, logger) };
  const lwm2mTransport = await DtlsDatagramTransport.open({
    host: options.host,
    port: options.lwm2mPort,
    logger,
    clock,
    pskLookup: keys.lwm2mLookup,
    ...certificates,
    ...restored(sessionFiles?.lwm2m),
  });
  const bootstrapTransport = await DtlsDatagramTransport.open({
    host: options.host,
    port: options.bootstrapPort,
    logger,
    clock,
    pskLookup: keys.bootstrapLookup,
    ...restored(sessionFiles?.bootstrap),
  }).catch(
    async (error: unknown) => {
      await lwm2mTransport.close();
      throw error;
    },
  );
  const endpoints = new DeviceIdentityIndex(store, []);
  const deviceByEndpoint = (endpoint: string): Promise<DeviceRegistrationData | undefined> => endpoints.byEndpoint(endpoint);
  const stopAudits = [
    auditHandshakeFailures({ server: lwm2mTransport.server, role: 'lwm2m', deviceOf: (identity) => keys.lwm2mDevice(identity), deviceByEndpoint, audit, clock, logger }),
    auditHandshakeFailures({ server: bootstrapTransport.server, role: 'bootstrap', deviceOf: (identity) => keys.bootstrapDevice(identity), deviceByEndpoint, audit, clock, logger }),
  ];
  const lwm2m = new DatagramCoapEndpoint(lwm2mTransport, { logger });
  const identityOf = (transport: DtlsDatagramTransport, peer: CoapPeer): string | null => {
    const session = transport.sessionOf(peer);
    return session === undefined || session.authentication !== 'psk' ? null : (identityText(session.pskIdentity) ?? null);
  };
  const lwm2mAuthenticationOf = (peer: CoapPeer): DtlsPeerAuthentication | null => {
    const session = lwm2mTransport.sessionOf(peer);
    if (session === undefined) return null;
    if (session.authentication !== 'psk' && session.credentialIdentity !== undefined) return { channel: 'certificate', certifiedEndpoint: session.credentialIdentity };
    const identity = identityText(session.pskIdentity);
    return identity === undefined ? null : { channel: 'psk', pskIdentity: identity };
  };
  const lwm2mIdentityOf = (peer: CoapPeer): string | null => identityOf(lwm2mTransport, peer);
  const bootstrapIdentityOf = (peer: CoapPeer): string | null => identityOf(bootstrapTransport, peer);
  const bootstrapEndpoint = new DatagramCoapEndpoint(bootstrapTransport, { logger });
  const bootstrap = new HandlerWrappingCoapEndpoint(bootstrapEndpoint, (handler) =>
    auditIdentityMismatch({ role: 'bootstrap', handler, identityOf: bootstrapIdentityOf, deviceOf: (identity) => keys.bootstrapDevice(identity), audit, clock }),
  );
  return {
    lwm2m,
    lwm2mTransport,
    bootstrap,
    bootstrapTransport,
    bootstrapChannel: { kind: 'psk', pskIdentityOf: (peer) => bootstrapIdentityOf(peer) ?? undefined },
    keys,
    audit,
    lwm2mIdentityOf,
    registrationHandler: (registrations) =>
      auditIdentityMismatch({
        role: 'lwm2m',
        handler: registrations.dtlsHandler(lwm2mAuthenticationOf),
        identityOf: lwm2mIdentityOf,
        certifiedOf: (peer) => {
          const session = lwm2mTransport.sessionOf(peer);
          return session === undefined || session.authentication === 'psk' || session.credentialIdentity === undefined
            ? null
            : { endpoint: session.credentialIdentity, credential: session.authentication };
        },
        deviceOf: (identity) => keys.lwm2mDevice(identity),
        audit,
        clock,
      }),
    certificateAccounts,
    datagramEndpoints: { lwm2m, bootstrap: bootstrapEndpoint },
    async close() {
      for (const stop of stopAudits) stop();
      if (sessionFiles !== undefined) {
        const savedAt = clock.now();
        for (const [file, transport] of [[sessionFiles.lwm2m, lwm2mTransport], [sessionFiles.bootstrap, bootstrapTransport]] as const) {
          const sessions = transport.server.suspendSessions();
          if (sessions.length === 0) continue;
          try {
            writeSealedSessions(file, { savedAt, sessions }, options.sealer);
            logger.info({ file, sessions: sessions.length }, 'DTLS session state saved');
          } catch (error: unknown) {
            // The sessions are gone either way; their devices handshake again after the restart.
            logger.warn({ err: error, file }, 'DTLS session state could not be saved');
          }
        }
      }
      await Promise.all([lwm2m.close(), bootstrap.close()]);
    },
  };
}
