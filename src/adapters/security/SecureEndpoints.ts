/**
 * The DTLS ports of the service: the LwM2M server's (`coapsPort`, 5684) and the bootstrap server's
 * (`bootstrapDtlsPort`, 5784), CoAP over the DTLS server so that the same registration, device
 * management and bootstrap logic serves them as the plain ports (LwM2M Transport 1.1 section 5.2.1:
 * CoAP over DTLS in PSK mode). Transport only: the keys of an identity and the verdict on a
 * certificate are looked up through the functions given, and the composition root installs the
 * handlers and hears the failed handshakes (the application's device security audits them).
 *
 * With the server's certificate, the LwM2M server's port also takes X509 and RPK devices (Transport
 * 1.1 section 5.2.8 and 5.2.9, the certificate and raw public key modes). The bootstrap server's port
 * stays PSK: X509 and RPK devices bootstrap with a bootstrap PSK, or on the plain port.
 *
 * With a session state directory, both ports' DTLS sessions outlive a restart: sealed into a file on
 * close, restored (and the file deleted) on open, so devices go on without a new handshake.
 */
import { join } from 'node:path';
import type { Clock } from '../../domain/Clock.ts';
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import { DatagramCoapEndpoint } from '../coap/DatagramCoapEndpoint.ts';
import { DtlsDatagramTransport } from '../dtls/DtlsDatagramTransport.ts';
import type { SavedDtlsSession } from '../dtls/DtlsSessionState.ts';
import { takeSealedSessions, writeSealedSessions } from '../dtls/SealedSessionFile.ts';
import type { CredentialLookup, ServerCredential } from '../dtls/PeerCredential.ts';
import type { Logger } from '../logging/Logger.ts';

/** The pre-shared key of a PSK identity (RFC 4279), or undefined for an unknown identity. */
type PskLookup = (identity: Buffer) => Promise<Buffer | undefined>;

export interface SecureEndpointsOptions {
  readonly host: string;
  readonly lwm2mPort: number;
  readonly bootstrapPort: number;
  /** The keys of each server's PSK identities. */
  readonly pskLookups: { readonly lwm2m: PskLookup; readonly bootstrap: PskLookup };
  /** Seals the DTLS session state kept across a restart. */
  readonly sealer: SecretSealer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The server's certificate and the verdict on a device's certificate or raw public key; without it the LwM2M port is PSK only. */
  readonly certificates?: { readonly server: ServerCredential; readonly lookup: CredentialLookup };
  /** Where the sealed DTLS session state is kept across a restart (the data directory); without it sessions end with the service. */
  readonly sessionStateDir?: string;
  /** Each DTLS socket's receive buffer (UdpReceiveBuffer.ts); 4 MiB by default. */
  readonly receiveBufferBytes?: number;
}

export interface SecureEndpoints {
  /** The LwM2M server's CoAP endpoint over DTLS, and its DTLS transport (sessions, identities). */
  readonly lwm2m: DatagramCoapEndpoint;
  readonly lwm2mTransport: DtlsDatagramTransport;
  /** The bootstrap server's CoAP endpoint over DTLS, and its DTLS transport. */
  readonly bootstrap: DatagramCoapEndpoint;
  readonly bootstrapTransport: DtlsDatagramTransport;
  close(): Promise<void>;
}

export async function openSecureEndpoints(options: SecureEndpointsOptions): Promise<SecureEndpoints> {
  const { clock, logger } = options;
  const certificates = options.certificates === undefined ? {} : { certificates: options.certificates };
  const receiveBuffer = options.receiveBufferBytes === undefined ? {} : { receiveBufferBytes: options.receiveBufferBytes };
  const stateDir = options.sessionStateDir;
  const sessionFiles = stateDir === undefined ? undefined : { lwm2m: join(stateDir, 'dtls-sessions-lwm2m.sealed'), bootstrap: join(stateDir, 'dtls-sessions-bootstrap.sealed') };
  const restored = (file: string | undefined): { restoredSessions?: readonly SavedDtlsSession[] } =>
    file === undefined ? {} : { restoredSessions: takeSealedSessions(file, options.sealer, logger) };
  const lwm2mTransport = await DtlsDatagramTransport.open({
    host: options.host,
    port: options.lwm2mPort,
    logger,
    clock,
    pskLookup: options.pskLookups.lwm2m,
    ...receiveBuffer,
    ...certificates,
    ...restored(sessionFiles?.lwm2m),
  });
  const bootstrapTransport = await DtlsDatagramTransport.open({
    host: options.host,
    port: options.bootstrapPort,
    logger,
    clock,
    pskLookup: options.pskLookups.bootstrap,
    ...receiveBuffer,
    ...restored(sessionFiles?.bootstrap),
  }).catch(
    async (error: unknown) => {
      await lwm2mTransport.close();
      throw error;
    },
  );
  const lwm2m = new DatagramCoapEndpoint(lwm2mTransport, { logger });
  const bootstrap = new DatagramCoapEndpoint(bootstrapTransport, { logger });
  return {
    lwm2m,
    lwm2mTransport,
    bootstrap,
    bootstrapTransport,
    async close() {
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
