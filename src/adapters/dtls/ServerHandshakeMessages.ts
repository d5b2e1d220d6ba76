/** Bodies of the handshake messages the server sends (RFC 5246 section 7.4, RFC 6347 section 4.2.1). */
import { DTLS_1_0, DTLS_1_2 } from './DtlsRecord.ts';
import type { HelloExtension } from './ClientHello.ts';

/**
 * RFC 6347 section 4.2.1: "DTLS 1.2 server implementations SHOULD use DTLS version 1.0 regardless of the
 * version of TLS that is expected to be negotiated" in the HelloVerifyRequest.
 */
export function helloVerifyRequestBody(cookie: Buffer): Buffer {
  const out = Buffer.allocUnsafe(3 + cookie.length);
  out.writeUInt16BE(DTLS_1_0, 0);
  out.writeUInt8(cookie.length, 2);
  cookie.copy(out, 3);
  return out;
}

/**
 * ServerHello (RFC 5246 section 7.4.1.3); `sessionId` names a session the client may resume, or is
 * empty when this one cannot be (RFC 5246 section 7.4.1.3: "the session will not be cached").
 */
export function serverHelloBody(random: Buffer, cipherSuite: number, extensions: readonly HelloExtension[], sessionId: Buffer = Buffer.alloc(0)): Buffer {
  const extensionBytes = Buffer.concat(
    extensions.map((extension) => {
      const header = Buffer.allocUnsafe(4);
      header.writeUInt16BE(extension.type, 0);
      header.writeUInt16BE(extension.data.length, 2);
      return Buffer.concat([header, extension.data]);
    }),
  );
  const fixed = Buffer.allocUnsafe(2 + 32 + 1 + sessionId.length + 2 + 1);
  fixed.writeUInt16BE(DTLS_1_2, 0);
  random.copy(fixed, 2, 0, 32);
  fixed.writeUInt8(sessionId.length, 34);
  sessionId.copy(fixed, 35);
  fixed.writeUInt16BE(cipherSuite, 35 + sessionId.length);
  fixed.writeUInt8(0, 37 + sessionId.length); // compression_method null
  if (extensions.length === 0) return fixed;
  const extensionsLength = Buffer.allocUnsafe(2);
  extensionsLength.writeUInt16BE(extensionBytes.length, 0);
  return Buffer.concat([fixed, extensionsLength, extensionBytes]);
}
