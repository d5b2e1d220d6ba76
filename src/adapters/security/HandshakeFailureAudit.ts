/**
 * Records each failed DTLS handshake of a server as a `DtlsHandshakeFailed` audit event (unknown
 * identity, wrong key, timeout, ...), with the device the identity is bound to when there is one.
 * The DTLS server reports failures without key material (`handshakeFailed`), and so do these events.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import type { DtlsServer } from '../dtls/DtlsServer.ts';
import type { PeerAddress } from '../dtls/PeerAddress.ts';
import type { Logger } from '../logging/Logger.ts';
import { identityText } from './PskKeyStore.ts';
import type { DtlsServerRole } from './SecurityAuditEvents.ts';
import { securityStream } from './SecurityAuditEvents.ts';
import type { SecurityAuditLog } from './SecurityAuditLog.ts';

export interface HandshakeFailureAuditOptions {
  readonly server: DtlsServer;
  readonly role: DtlsServerRole;
  /** The device an identity of this server is bound to. */
  readonly deviceOf: (identity: string) => Promise<DeviceRegistrationData | undefined>;
  readonly audit: SecurityAuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Starts recording; returns a function that stops it. */
export function auditHandshakeFailures(options: HandshakeFailureAuditOptions): () => void {
  const listener = (peer: PeerAddress, reason: string, pskIdentity: Buffer | undefined): void => {
    record(options, peer, reason, pskIdentity).catch((error: unknown) => options.logger.error({ err: error }, 'DTLS handshake failure not audited'));
  };
  options.server.on('handshakeFailed', listener);
  return () => options.server.off('handshakeFailed', listener);
}

async function record(options: HandshakeFailureAuditOptions, peer: PeerAddress, reason: string, pskIdentity: Buffer | undefined): Promise<void> {
  const failedAt = options.clock.now().toISOString();
  // Bytes that are no UTF-8 text cannot be a CSV identity; they are kept visible, as hex.
  const identity = pskIdentity === undefined ? null : (identityText(pskIdentity) ?? `hex:${pskIdentity.toString('hex')}`);
  const device = identity === null ? undefined : await options.deviceOf(identity);
  const endpoint = device?.endpoint ?? null;
  await options.audit.record(
    securityStream(endpoint, peer.address),
    { type: 'DtlsHandshakeFailed', data: { server: options.role, address: peer.address, port: peer.port, pskIdentity: identity, endpoint, reason, failedAt } },
    `system:dtls-${options.role}`,
  );
}
