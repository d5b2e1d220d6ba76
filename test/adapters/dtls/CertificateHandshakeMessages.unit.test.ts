import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CertificateType,
  canUseEcdheEcdsa,
  certificateBody,
  certificateRequestBody,
  chooseCertificateType,
  parseCertificate,
  parseCertificateVerify,
  parseEcdhClientKeyExchange,
  serverEcdhParams,
  serverKeyExchangeBody,
} from '../../../src/adapters/dtls/CertificateHandshakeMessages.ts';
import { ExtensionType } from '../../../src/adapters/dtls/ClientHello.ts';
import type { ClientHello } from '../../../src/adapters/dtls/ClientHello.ts';

/** A ClientHello with these extensions (type -> hex data), as parseClientHello would give it. */
function hello(extensions: Record<number, string>): ClientHello {
  return {
    clientVersion: 0xfefd,
    random: Buffer.alloc(32),
    sessionId: Buffer.alloc(0),
    cookie: Buffer.alloc(0),
    cipherSuites: [0xc0ae],
    compressionMethods: Buffer.from([0]),
    extensions: Object.entries(extensions).map(([type, data]) => ({ type: Number(type), data: Buffer.from(data, 'hex') })),
  };
}

// supported_groups: secp256r1 (23) and secp384r1 (24); signature_algorithms: ecdsa_secp256r1_sha256 and rsa_pkcs1_sha256.
const GROUPS = '000400170018';
const SIGNATURES = '000404030401';
const POINT = `04${'01'.repeat(32)}${'02'.repeat(32)}`;

describe('ECDHE_ECDSA capability of a ClientHello (RFC 8422 section 4, RFC 7925 section 4.4)', () => {
  it('takes a client with secp256r1, uncompressed points and ecdsa_secp256r1_sha256', () => {
    expect(canUseEcdheEcdsa(hello({ [ExtensionType.supportedGroups]: GROUPS, [ExtensionType.ecPointFormats]: '0100', [ExtensionType.signatureAlgorithms]: SIGNATURES }))).toBe(true);
    // Without supported_groups and ec_point_formats every curve and uncompressed points are fine.
    expect(canUseEcdheEcdsa(hello({ [ExtensionType.signatureAlgorithms]: SIGNATURES }))).toBe(true);
  });

  it('refuses a client without our curve, point format or signature', () => {
    expect(canUseEcdheEcdsa(hello({ [ExtensionType.supportedGroups]: '00020018', [ExtensionType.signatureAlgorithms]: SIGNATURES }))).toBe(false);
    expect(canUseEcdheEcdsa(hello({ [ExtensionType.ecPointFormats]: '0101', [ExtensionType.signatureAlgorithms]: SIGNATURES }))).toBe(false);
    expect(canUseEcdheEcdsa(hello({ [ExtensionType.signatureAlgorithms]: '00020401' }))).toBe(false);
    expect(canUseEcdheEcdsa(hello({}))).toBe(false);
    // A malformed list reads as empty.
    expect(canUseEcdheEcdsa(hello({ [ExtensionType.supportedGroups]: '000300', [ExtensionType.signatureAlgorithms]: SIGNATURES }))).toBe(false);
  });
});

describe('certificate types (RFC 7250 section 4.2)', () => {
  const both = [CertificateType.x509, CertificateType.rawPublicKey];

  it('is X.509 without the extension, else the first of the client list that the server supports', () => {
    expect(chooseCertificateType(hello({}), ExtensionType.clientCertificateType, both)).toBe(CertificateType.x509);
    expect(chooseCertificateType(hello({ [ExtensionType.clientCertificateType]: '020200' }), ExtensionType.clientCertificateType, both)).toBe(CertificateType.rawPublicKey);
    expect(chooseCertificateType(hello({ [ExtensionType.clientCertificateType]: '020200' }), ExtensionType.clientCertificateType, [CertificateType.x509])).toBe(CertificateType.x509);
    expect(chooseCertificateType(hello({ [ExtensionType.serverCertificateType]: '0101' }), ExtensionType.serverCertificateType, both)).toBeUndefined();
  });

  it('takes the preferred type when the client offers it anywhere in its list', () => {
    const offered = hello({ [ExtensionType.serverCertificateType]: '020002' });
    expect(chooseCertificateType(offered, ExtensionType.serverCertificateType, both)).toBe(CertificateType.x509);
    expect(chooseCertificateType(offered, ExtensionType.serverCertificateType, both, CertificateType.rawPublicKey)).toBe(CertificateType.rawPublicKey);
  });
});

describe('server messages, byte for byte', () => {
  it('ServerKeyExchange: named_curve secp256r1, the point, ecdsa_secp256r1_sha256 and the signature (RFC 8422 section 5.4)', () => {
    const params = serverEcdhParams(Buffer.from(POINT, 'hex'));
    expect(params.toString('hex')).toBe(`03001741${POINT}`);
    expect(serverKeyExchangeBody(params, Buffer.from('3006020101020102', 'hex')).toString('hex')).toBe(`03001741${POINT}040300083006020101020102`);
  });

  it('CertificateRequest: ecdsa_sign, ecdsa_secp256r1_sha256, no authorities (RFC 5246 section 7.4.4)', () => {
    expect(certificateRequestBody().toString('hex')).toBe('0140000204030000');
  });

  it('Certificate: a chain of DER certificates, or one SubjectPublicKeyInfo for a raw public key', () => {
    const certificates = [Buffer.from('3001aa', 'hex'), Buffer.from('3000', 'hex')];
    expect(certificateBody(CertificateType.x509, certificates).toString('hex')).toBe('00000b0000033001aa0000023000');
    expect(certificateBody(CertificateType.rawPublicKey, certificates).toString('hex')).toBe('0000033001aa');
  });
});

describe('client messages', () => {
  it('reads a Certificate back in both types, and an empty chain as none', () => {
    expect(parseCertificate(CertificateType.x509, Buffer.from('00000b0000033001aa0000023000', 'hex'))).toEqual({ ok: true, value: [Buffer.from('3001aa', 'hex'), Buffer.from('3000', 'hex')] });
    expect(parseCertificate(CertificateType.x509, Buffer.from('000000', 'hex'))).toEqual({ ok: true, value: [] });
    expect(parseCertificate(CertificateType.rawPublicKey, Buffer.from('0000033001aa', 'hex'))).toEqual({ ok: true, value: [Buffer.from('3001aa', 'hex')] });
  });

  it('says what is wrong with a malformed Certificate and where', () => {
    expect(parseCertificate(CertificateType.x509, Buffer.from('0000050000043001', 'hex'))).toEqual({
      ok: false,
      error: { reason: 'certificate_list: ASN.1Cert: needs 4 bytes, 2 left', offset: 6 },
    });
    expect(parseCertificate(CertificateType.x509, Buffer.from('000005000004aa', 'hex'))).toMatchObject({ ok: false, error: { reason: 'certificate_list: needs 5 bytes, 4 left' } });
    expect(parseCertificate(CertificateType.x509, Buffer.from('000003000000', 'hex'))).toMatchObject({ ok: false, error: { reason: 'certificate_list: empty certificate in the list' } });
    expect(parseCertificate(CertificateType.rawPublicKey, Buffer.from('000000', 'hex'))).toEqual({ ok: false, error: { reason: 'empty raw public key', offset: 0 } });
    expect(parseCertificate(CertificateType.rawPublicKey, Buffer.from('0000013000', 'hex'))).toMatchObject({ ok: false, error: { reason: 'trailing bytes after the certificates' } });
  });

  it('reads the client ECDH point, only uncompressed on secp256r1 (RFC 8422 section 5.7)', () => {
    expect(parseEcdhClientKeyExchange(Buffer.from(`41${POINT}`, 'hex'))).toEqual({ ok: true, value: Buffer.from(POINT, 'hex') });
    expect(parseEcdhClientKeyExchange(Buffer.from(`2102${'01'.repeat(32)}`, 'hex'))).toEqual({
      ok: false,
      error: { reason: 'ecdh_Yc is not an uncompressed secp256r1 point (33 bytes)', offset: 1 },
    });
    expect(parseEcdhClientKeyExchange(Buffer.from(`41${POINT}00`, 'hex'))).toMatchObject({ ok: false, error: { reason: 'trailing bytes after ecdh_Yc' } });
  });

  it('reads a CertificateVerify (RFC 5246 section 7.4.8)', () => {
    expect(parseCertificateVerify(Buffer.from('04030003aabbcc', 'hex'))).toEqual({ ok: true, value: { scheme: 0x0403, signature: Buffer.from('aabbcc', 'hex') } });
    expect(parseCertificateVerify(Buffer.from('04030004aabbcc', 'hex'))).toEqual({ ok: false, error: { reason: 'signature: needs 4 bytes, 3 left', offset: 4 } });
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const body = Buffer.from(bytes);
        parseCertificate(CertificateType.x509, body);
        parseCertificate(CertificateType.rawPublicKey, body);
        parseEcdhClientKeyExchange(body);
        parseCertificateVerify(body);
      }),
      { numRuns: 2000 },
    );
  });
});
