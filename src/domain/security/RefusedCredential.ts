/**
 * The certificate or raw public key a DTLS server refused in a handshake (RFC 7250 for raw public
 * keys), as the server reports it: what an operator can compare, never key material.
 */
export interface RefusedCredential {
  readonly kind: 'x509' | 'rpk';
  /** The identity the credential names (an X.509 subject's CN or SAN), when it names one. */
  readonly identity: string | null;
  /** The leaf certificate's subject, or null for a raw public key. */
  readonly subject: string | null;
  /** SHA-256 of the DER certificate or SubjectPublicKeyInfo, in hex: public, and what an operator can compare. */
  readonly fingerprint: string;
}
