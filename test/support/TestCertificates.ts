/**
 * Keys and certificates made at test time with the OpenSSL command line (an independent X.509 writer,
 * and nothing private is committed): secp256r1 keys, a CA, device certificates it signs (one that is
 * already expired with `days: -1`: OpenSSL then writes notAfter a day before notBefore, or bound by a
 * subject alternative name), and raw public
 * keys with their SubjectPublicKeyInfo as the CSV's `publicKey` takes it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificate {
  /** PEM files. */
  readonly certificate: string;
  readonly privateKey: string;
}

export interface TestKeyPair {
  /** PEM file of the EC private key (what libcoap's -M and GnuTLS's --rawpkkeyfile read). */
  readonly privateKey: string;
  /** PEM file of the public key. */
  readonly publicKey: string;
  /** The DER SubjectPublicKeyInfo in hex. */
  readonly publicKeyInfoHex: string;
}

export class TestCertificates {
  readonly #dir: string;
  #serial = 1;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** A self-signed CA certificate. */
  authority(name: string): TestCertificate {
    const privateKey = this.#key(name);
    const certificate = join(this.#dir, `${name}.pem`);
    openssl(['req', '-x509', '-new', '-key', privateKey, '-subj', `/CN=${name}`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-out', certificate]);
    return { certificate, privateKey };
  }

  /**
   * A certificate for `subject` (an OpenSSL -subj, e.g. "/CN=dev-1") signed by `issuer`, valid for
   * `days`, with a subject alternative name when given (e.g. "DNS:dev-1"), a CA's when `ca`.
   */
  issued(
    name: string,
    subject: string,
    issuer: TestCertificate,
    options: { readonly days?: number; readonly subjectAltName?: string; readonly ca?: boolean } = {},
  ): TestCertificate {
    const privateKey = this.#key(name);
    const request = join(this.#dir, `${name}.csr`);
    const certificate = join(this.#dir, `${name}.pem`);
    openssl(['req', '-new', '-key', privateKey, '-subj', subject, '-out', request]);
    // OpenSSL's x509 -req copies no extension from the request: a SAN comes from an -extfile.
    const lines = [
      ...(options.subjectAltName === undefined ? [] : [`subjectAltName=${options.subjectAltName}`]),
      ...(options.ca === true ? ['basicConstraints=critical,CA:TRUE'] : []),
    ];
    const extensions: string[] = [];
    if (lines.length > 0) {
      const extensionFile = join(this.#dir, `${name}.ext`);
      writeFileSync(extensionFile, `${lines.join('\n')}\n`);
      extensions.push('-extfile', extensionFile);
    }
    const days = String(options.days ?? 1);
    openssl(['x509', '-req', '-in', request, '-CA', issuer.certificate, '-CAkey', issuer.privateKey, '-set_serial', String(this.#serial++), '-days', days, ...extensions, '-out', certificate]);
    return { certificate, privateKey };
  }

  keyPair(name: string): TestKeyPair {
    const privateKey = this.#key(name);
    const publicKey = join(this.#dir, `${name}.pub.pem`);
    openssl(['pkey', '-in', privateKey, '-pubout', '-out', publicKey]);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', publicKey, '-outform', 'DER']);
    return { privateKey, publicKey, publicKeyInfoHex: der.toString('hex') };
  }

  /** The DER of a PEM certificate, in base64 (as the CSV's `certificate` takes it). */
  static derBase64(certificatePem: string): string {
    return execFileSync('openssl', ['x509', '-in', certificatePem, '-outform', 'DER']).toString('base64');
  }

  static pem(path: string): string {
    return readFileSync(path, 'utf8');
  }

  #key(name: string): string {
    const path = join(this.#dir, `${name}.key`);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path]);
    return path;
  }
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
