/**
 * Which device a client's certificate or raw public key is, for any secure transport (DTLS's
 * certificate suites; TLS can hand in the peer's chain the same way): the bound endpoint, or a typed
 * refusal without key material.
 *
 * X.509 (security mode X509):
 * - The endpoint is the leaf certificate's subject CN, as Leshan's and Cumulocity's certificate modes
 *   bind it; only a certificate without a CN is bound by its subject alternative name (the first DNS
 *   or URI name). The CN wins because it is what those servers and the common device stacks use; a
 *   certificate naming several CNs names none.
 * - Trust: a device whose row pins its certificate (the CSV's `certificate`) must present exactly that
 *   one, which is then trusted by itself (self-signed device certificates work). Otherwise the chain the
 *   device sent must lead, each certificate signed by the next (RFC 5280 section 6.1, signatures and
 *   names; intermediates must be CA certificates), to a certificate of the operator's trust store
 *   (`--trust-store`), or the leaf itself be one of them.
 * - Every certificate of that path must be valid at the injected clock's time (RFC 5280 section
 *   4.1.2.5). Revocation is not checked (no CRL or OCSP source is configured).
 *
 * Raw public keys (security mode RPK, RFC 7250): the SubjectPublicKeyInfo must be a device's
 * `publicKey`, byte for byte.
 *
 * In both, the device must be active and of that security mode: a PSK device's name on a certificate
 * does not make the certificate its credential.
 */
import type { X509Certificate } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import type { CredentialLookup, CredentialRefusalKind, PeerCredential } from '../../adapters/dtls/PeerCredential.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { DeviceIdentityIndex } from './DeviceIdentityIndex.ts';

export type CertificateRefusalReason =
  /** The chain leads to no certificate of the trust store. */
  | 'untrusted-chain'
  /** The device's row pins another certificate. */
  | 'pinned-certificate-mismatch'
  | 'expired'
  | 'not-yet-valid'
  /** The certificate has no subject CN and no DNS or URI subject alternative name (or several CNs). */
  | 'no-endpoint-name'
  /** No active device has that endpoint name. */
  | 'unknown-device'
  /** The device named is not of the X509 (or RPK) security mode. */
  | 'wrong-security-mode'
  /** No device has that raw public key. */
  | 'unknown-public-key';

export interface CertificateRefusal {
  readonly reason: CertificateRefusalReason;
  /** For operators: what was wrong, naming the certificate's subject or the endpoint, never key bytes. */
  readonly message: string;
  /** The endpoint the credential names, when it names one. */
  readonly endpoint: string | null;
}

export type CertificateAccountVerdict = { readonly ok: true; readonly endpoint: string } | { readonly ok: false; readonly refusal: CertificateRefusal };

export interface CertificateAccountsOptions {
  readonly store: EventStore;
  /** The operator's trust store: the CA (or device) certificates an X.509 device's chain may lead to. */
  readonly trustAnchors: readonly X509Certificate[];
  readonly clock: Clock;
}

/** A chain longer than this from the device to an anchor is not of this profile (RFC 7925 section 4.4.2 expects short ones). */
const MAX_CHAIN_LENGTH = 5;

/** The alert kind each refusal maps to on the wire. */
const refusalKinds: Record<CertificateRefusalReason, CredentialRefusalKind> = {
  'untrusted-chain': 'untrusted',
  'pinned-certificate-mismatch': 'untrusted',
  expired: 'expired',
  'not-yet-valid': 'expired',
  'no-endpoint-name': 'unbound',
  'unknown-device': 'unbound',
  'wrong-security-mode': 'unbound',
  'unknown-public-key': 'unbound',
};

export class CertificateAccounts {
  readonly #index: DeviceIdentityIndex;
  readonly #anchors: readonly X509Certificate[];
  readonly #clock: Clock;

  constructor(options: CertificateAccountsOptions) {
    this.#index = new DeviceIdentityIndex(options.store, ['publicKey']);
    this.#anchors = options.trustAnchors;
    this.#clock = options.clock;
  }

  /** The endpoint the credential is bound to, or why it is refused. */
  async accountOf(credential: PeerCredential): Promise<CertificateAccountVerdict> {
    return credential.kind === 'rpk' ? this.#rawPublicKeyAccount(credential.publicKeyInfo) : this.#certificateAccount(credential.chain);
  }

  /** The DTLS server's lookup (DtlsServerOptions.certificates.lookup). */
  readonly dtlsLookup: CredentialLookup = async (credential) => {
    const verdict = await this.accountOf(credential);
    if (verdict.ok) return { ok: true, identity: verdict.endpoint };
    const { reason, message, endpoint } = verdict.refusal;
    return { ok: false, kind: refusalKinds[reason], reason: message, identity: endpoint };
  };

  /** The TLS server's lookup of a client's chain, its own certificate first (TlsCoapEndpointOptions.certificateLookup). */
  readonly tlsLookup = async (
    chain: readonly X509Certificate[],
  ): Promise<{ readonly ok: true; readonly endpoint: string } | { readonly ok: false; readonly reason: string; readonly namedEndpoint: string | null }> => {
    const verdict = await this.accountOf({ kind: 'x509', chain });
    return verdict.ok ? verdict : { ok: false, reason: verdict.refusal.message, namedEndpoint: verdict.refusal.endpoint };
  };

  async #rawPublicKeyAccount(publicKeyInfo: Buffer): Promise<CertificateAccountVerdict> {
    const device = await this.#index.device('publicKey', publicKeyInfo.toString('base64'));
    if (device === undefined) return refuse('unknown-public-key', 'no device has this raw public key', null);
    if (device.securityMode !== 'RPK') return refuse('wrong-security-mode', `device "${device.endpoint}" is ${device.securityMode}, not RPK`, device.endpoint);
    return { ok: true, endpoint: device.endpoint };
  }

  async #certificateAccount(chain: readonly X509Certificate[]): Promise<CertificateAccountVerdict> {
    const [leaf] = chain;
    if (leaf === undefined) return refuse('no-endpoint-name', 'no certificate', null);
    const subject = leaf.subject.replaceAll('\n', ', ');
    const endpoint = endpointNameOf(leaf);
    if (endpoint === undefined) return refuse('no-endpoint-name', `the certificate "${subject}" names no endpoint (one subject CN, or a DNS or URI subject alternative name)`, null);
    const device: DeviceRegistrationData | undefined = await this.#index.byEndpoint(endpoint);
    if (device === undefined) return refuse('unknown-device', `no device has the endpoint "${endpoint}" the certificate names`, endpoint);
    if (device.securityMode !== 'X509') return refuse('wrong-security-mode', `device "${endpoint}" is ${device.securityMode}, not X509`, endpoint);
    let path: readonly X509Certificate[];
    if (device.certificate !== undefined && device.certificate !== null) {
      if (leaf.raw.toString('base64') !== device.certificate) return refuse('pinned-certificate-mismatch', `device "${endpoint}" pins another certificate than "${subject}"`, endpoint);
      path = [leaf];
    } else {
      const trusted = this.#pathToAnchor(chain);
      if (trusted === undefined) return refuse('untrusted-chain', `the certificate "${subject}" does not lead to the trust store`, endpoint);
      path = trusted;
    }
    const now = this.#clock.now().getTime();
    for (const certificate of path) {
      const name = certificate.subject.replaceAll('\n', ', ');
      if (now < certificate.validFromDate.getTime()) return refuse('not-yet-valid', `the certificate "${name}" is not valid before ${certificate.validFromDate.toISOString()}`, endpoint);
      if (now > certificate.validToDate.getTime()) return refuse('expired', `the certificate "${name}" expired at ${certificate.validToDate.toISOString()}`, endpoint);
    }
    return { ok: true, endpoint };
  }

  /** The path from the leaf to a trust anchor through the presented intermediates, anchor included. */
  #pathToAnchor(chain: readonly X509Certificate[]): X509Certificate[] | undefined {
    const [leaf, ...intermediates] = chain;
    if (leaf === undefined) return undefined;
    const path = [leaf];
    let current = leaf;
    while (path.length <= MAX_CHAIN_LENGTH) {
      const presented = current;
      if (this.#anchors.some((anchor) => anchor.fingerprint256 === presented.fingerprint256)) return path;
      const anchor = this.#anchors.find((candidate) => issued(candidate, presented));
      if (anchor !== undefined) return [...path, anchor];
      const issuer = intermediates.find((candidate) => candidate.ca && !path.includes(candidate) && issued(candidate, presented));
      if (issuer === undefined) return undefined;
      path.push(issuer);
      current = issuer;
    }
    return undefined;
  }
}

/** `issuer` names itself as `certificate`'s issuer and its key verifies `certificate`'s signature. */
function issued(issuer: X509Certificate, certificate: X509Certificate): boolean {
  return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
}

function refuse(reason: CertificateRefusalReason, message: string, endpoint: string | null): CertificateAccountVerdict {
  return { ok: false, refusal: { reason, message, endpoint } };
}

/**
 * The subject CN, or without one the first DNS or URI subject alternative name. node:crypto writes a
 * value with special characters as a JSON string, hence the quotes handled here.
 */
function endpointNameOf(certificate: X509Certificate): string | undefined {
  const commonNames = certificate.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => unquoted(line.slice(3)));
  if (commonNames.length > 1) return undefined;
  if (commonNames.length === 1) return commonNames[0] === '' ? undefined : commonNames[0];
  const alternative = /(?:^|, )(?:DNS|URI):("(?:[^"\\]|\\.)*"|[^,]*)/.exec(certificate.subjectAltName ?? '');
  const name = alternative?.[1] === undefined ? undefined : unquoted(alternative[1]);
  return name === '' ? undefined : name;
}

function unquoted(value: string): string | undefined {
  if (!value.startsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
