/**
 * Security audit events of the DTLS ports, on the stream `security-<endpoint>` when the PSK identity
 * (or the certificate or raw public key) belongs to a device, else `security-peer-<address>` (an
 * unknown identity or none yet: the source address is what an operator can act on). They never carry
 * key material: a certificate or public key is described by its subject and SHA-256 fingerprint.
 */
import { securityStreamPrefix } from './SecurityStreams.ts';

export type DtlsServerRole = 'lwm2m' | 'bootstrap';

export type SecurityAuditEvent =
  | { readonly type: 'DtlsHandshakeFailed'; readonly data: DtlsHandshakeFailed }
  | { readonly type: 'PskIdentityMismatch'; readonly data: PskIdentityMismatch }
  | { readonly type: 'CredentialEndpointMismatch'; readonly data: CredentialEndpointMismatch }
  | { readonly type: 'TlsHandshakeFailed'; readonly data: TlsHandshakeFailed };

/**
 * A handshake that did not complete: unknown PSK identity, wrong key, refused certificate, timeout,
 * malformed message. The same facts whether it was DTLS (RFC 6347) or TLS on a CoAP-over-TLS port
 * (RFC 8323), so both events carry this one shape.
 */
export interface HandshakeFailure {
  readonly server: DtlsServerRole;
  readonly address: string;
  readonly port: number;
  /** The PSK identity the client offered (null: it failed before offering one, or used a certificate). */
  readonly pskIdentity: string | null;
  /** The certificate or raw public key the client sent; null for a PSK client (absent in events before certificates). */
  readonly credential: HandshakeCredential | null;
  /** The device the identity is bound to, or the refused certificate names; null when none. */
  readonly endpoint: string | null;
  /** For operators: "unknown PSK identity", "handshake failed after the PSK identity (wrong PSK?): ...", the TLS library's words, or why a certificate was refused. */
  readonly reason: string;
  readonly failedAt: string;
}

/** A DTLS handshake that did not complete. */
export type DtlsHandshakeFailed = HandshakeFailure;

/** A TLS handshake on a CoAP-over-TLS port (RFC 8323) that did not complete. */
export type TlsHandshakeFailed = HandshakeFailure;

/** A type, not an interface, so that events holding it stay assignable to JSON. */
export type HandshakeCredential = {
  readonly kind: 'x509' | 'rpk';
  /** The leaf certificate's subject ("CN=..."); null for a raw public key. */
  readonly subject: string | null;
  /** SHA-256 of the DER certificate or SubjectPublicKeyInfo, hex. */
  readonly fingerprint: string;
  /** The endpoint the credential names (CN or SAN), bound or not. */
  readonly namedEndpoint: string | null;
};

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

/** A client authenticated by one device's certificate or raw public key asked for another endpoint name (refused 4.03). */
export interface CredentialEndpointMismatch {
  readonly server: DtlsServerRole;
  readonly address: string;
  readonly port: number;
  readonly credential: 'x509' | 'rpk';
  /** The device the credential is bound to. */
  readonly boundEndpoint: string;
  readonly requestedEndpoint: string;
  readonly refusedAt: string;
}

export function securityStream(endpoint: string | null, address: string): string {
  return endpoint === null ? `${securityStreamPrefix}peer-${address}` : `${securityStreamPrefix}${endpoint}`;
}
