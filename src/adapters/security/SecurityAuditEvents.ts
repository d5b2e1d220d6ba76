/**
 * Security audit events of the DTLS ports, on the stream `security-<endpoint>` when the PSK identity
 * belongs to a device, else `security-peer-<address>` (an unknown identity or none yet: the source
 * address is what an operator can act on). They never carry key material.
 */
export type DtlsServerRole = 'lwm2m' | 'bootstrap';

export type SecurityAuditEvent =
  | { readonly type: 'DtlsHandshakeFailed'; readonly data: DtlsHandshakeFailed }
  | { readonly type: 'PskIdentityMismatch'; readonly data: PskIdentityMismatch };

/** A DTLS handshake that did not complete: unknown identity, wrong key, timeout, malformed message. */
export interface DtlsHandshakeFailed {
  readonly server: DtlsServerRole;
  readonly address: string;
  readonly port: number;
  /** The identity the client sent (null: it failed before its ClientKeyExchange). */
  readonly pskIdentity: string | null;
  /** The device the identity is bound to; null when the identity is unknown. */
  readonly endpoint: string | null;
  /** The DTLS server's reason, for operators ("unknown PSK identity", "... (wrong PSK?)"). */
  readonly reason: string;
  readonly failedAt: string;
}

/** A client authenticated with one device's identity asked for another endpoint name (refused 4.03). */
export interface PskIdentityMismatch {
  readonly server: DtlsServerRole;
  readonly address: string;
  readonly port: number;
  readonly pskIdentity: string;
  /** The device the identity is bound to; null when it is bound to none any more. */
  readonly boundEndpoint: string | null;
  readonly requestedEndpoint: string;
  readonly refusedAt: string;
}

export const securityStreamPrefix = 'security-';

export function securityStream(endpoint: string | null, address: string): string {
  return endpoint === null ? `${securityStreamPrefix}peer-${address}` : `${securityStreamPrefix}${endpoint}`;
}
