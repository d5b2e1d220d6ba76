/**
 * What the certificate suites need from outside the DTLS server: its own key and certificate, and a
 * verdict on the client's certificate or raw public key. The handshake proves the client holds the
 * private key (its CertificateVerify, RFC 5246 section 7.4.8); whether the credential is trusted, and
 * whose it is, the verdict says.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';

/** The server's side: an ECDSA secp256r1 key, its certificate chain (its own first) and its public key alone. */
export interface ServerCredential {
  readonly privateKey: KeyObject;
  /** DER, sent in X.509 mode (RFC 5246 section 7.4.2). */
  readonly certificateChain: readonly Buffer[];
  /** DER SubjectPublicKeyInfo, sent in raw public key mode (RFC 7250 section 3). */
  readonly publicKeyInfo: Buffer;
}

/** The client's credential, its signature already verified: an X.509 chain (its own first) or a raw public key. */
export type PeerCredential =
  | { readonly kind: 'x509'; readonly chain: readonly X509Certificate[] }
  | { readonly kind: 'rpk'; readonly publicKeyInfo: Buffer };

/** Why a credential is refused, which also picks the alert (RFC 5246 section 7.2.2). */
export type CredentialRefusalKind = 'untrusted' | 'expired' | 'unbound';

export type CredentialVerdict =
  /** `identity`: what the session is bound to (the device's endpoint name). */
  | { readonly ok: true; readonly identity: string }
  /** `reason` for operators, never key material; `identity` when the credential named one. */
  | { readonly ok: false; readonly kind: CredentialRefusalKind; readonly reason: string; readonly identity: string | null };

export type CredentialLookup = (credential: PeerCredential) => Promise<CredentialVerdict>;

/** The certificate suites are offered only with this (DtlsServerOptions.certificates). */
export interface CertificateAuthentication {
  readonly server: ServerCredential;
  readonly lookup: CredentialLookup;
  /** Accept raw public keys (RFC 7250) besides X.509 certificates; default true. */
  readonly rawPublicKeys?: boolean;
}
