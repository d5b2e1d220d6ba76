/**
 * Records each failed DTLS handshake of a server as a `DtlsHandshakeFailed` audit event (unknown
 * identity, wrong key, untrusted or expired certificate, timeout, ...), with the device the identity
 * is bound to, or the certificate names, when there is one. The DTLS server reports failures without
 * key material (`handshakeFailed`), and so do these events.
 */
import type { Clock } from '../../domain/Clock.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import { identityText } from './PskKeyStore.ts';
import type { RefusedCredential } from '../../domain/security/RefusedCredential.ts';
import type { DtlsServerRole } from '../../domain/security/SecurityAuditEvents.ts';
import { securityStream } from '../../domain/security/SecurityAuditEvents.ts';
import type { SecurityAuditLog } from './SecurityAuditLog.ts';

/** The peer a handshake failed with. */
export interface HandshakePeer {
  readonly address: string;
  readonly port: number;
}

export type HandshakeFailureListener = (peer: HandshakePeer, reason: string, pskIdentity: Buffer | undefined, credential: RefusedCredential | undefined) => void;

/** A DTLS server as the audit hears it: its `handshakeFailed` event. */
export interface HandshakeFailures {
  on(event: 'handshakeFailed', listener: HandshakeFailureListener): unknown;
  off(event: 'handshakeFailed', listener: HandshakeFailureListener): unknown;
}

export interface HandshakeFailureAuditOptions {
  readonly server: HandshakeFailures;
  readonly role: DtlsServerRole;
  /** The device an identity of this server is bound to. */
  readonly deviceOf: (identity: string) => Promise<DeviceRegistrationData | undefined>;
  /** The active device of an endpoint name (the one a certificate names). */
  readonly deviceByEndpoint: (endpoint: string) => Promise<DeviceRegistrationData | undefined>;
  readonly audit: SecurityAuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Starts recording; returns a function that stops it. */
export function auditHandshakeFailures(options: HandshakeFailureAuditOptions): () => void {
  const listener: HandshakeFailureListener = (peer, reason, pskIdentity, credential) => {
    record(options, peer, reason, pskIdentity, credential).catch((error: unknown) => options.logger.error({ err: error }, 'DTLS handshake failure not audited'));
  };
  options.server.on('handshakeFailed', listener);
  return () => options.server.off('handshakeFailed', listener);
}

async function record(
  options: HandshakeFailureAuditOptions,
  peer: HandshakePeer,
  reason: string,
  pskIdentity: Buffer | undefined,
  refused: RefusedCredential | undefined,
): Promise<void> {
  const failedAt = options.clock.now().toISOString();
  // Bytes that are no UTF-8 text cannot be a CSV identity; they are kept visible, as hex.
  const identity = pskIdentity === undefined ? null : (identityText(pskIdentity) ?? `hex:${pskIdentity.toString('hex')}`);
  // A certificate may name any endpoint: only an existing device's stream takes the event.
  const namedEndpoint = refused?.identity ?? null;
  const device = identity !== null ? await options.deviceOf(identity) : namedEndpoint !== null ? await options.deviceByEndpoint(namedEndpoint) : undefined;
  const endpoint = device?.endpoint ?? null;
  const credential =
    refused === undefined ? null : { kind: refused.kind, subject: refused.subject, fingerprint: refused.fingerprint, namedEndpoint };
  await options.audit.record(
    securityStream(endpoint, peer.address),
    { type: 'DtlsHandshakeFailed', data: { server: options.role, address: peer.address, port: peer.port, pskIdentity: identity, credential, endpoint, reason, failedAt } },
    `system:dtls-${options.role}`,
  );
}
