/**
 * A minimal DTLS 1.2 ECDHE_ECDSA client with an X.509 certificate, assembled from the server's own
 * codecs, for one job: measuring the server's certificate handshakes without a slow client in the way
 * (node-dtls-client has no certificate suites; spawning OpenSSL per handshake measures process starts).
 * It does not check the server's certificate or signature. Interoperability is proven by OpenSSL,
 * GnuTLS, libcoap and mbedTLS, never by this client.
 */
import { createECDH, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CertificateType, certificateBody } from '../../../../src/adapters/dtls/CertificateHandshakeMessages.ts';
import { connectionKeys, keyBlockLength } from '../../../../src/adapters/dtls/CipherSuites.ts';
import { ContentType, parseDatagram, serializeRecord } from '../../../../src/adapters/dtls/DtlsRecord.ts';
import { HandshakeType, serializeHandshake } from '../../../../src/adapters/dtls/HandshakeCodec.ts';
import { HandshakeTranscript } from '../../../../src/adapters/dtls/HandshakeTranscript.ts';
import { extendedMasterSecret, finishedVerifyData, keyBlock } from '../../../../src/adapters/dtls/Prf.ts';
import { ProtectedRecords } from '../../../../src/adapters/dtls/ProtectedRecords.ts';
import { clientHelloRecord, cookieOfHelloVerifyRequest } from './ClientHelloBuilder.ts';
import { handshakeMessages, openClientSocket, suiteById } from './MinimalPskClient.ts';

const VERSION = 0xfefd;
/** supported_groups secp256r1, ec_point_formats uncompressed, signature_algorithms ecdsa_secp256r1_sha256. */
const EXTENSIONS = [Buffer.from('000a000400020017', 'hex'), Buffer.from('000b00020100', 'hex'), Buffer.from('000d000400020403', 'hex')];

export interface ClientCertificate {
  readonly certificate: Buffer;
  readonly privateKey: KeyObject;
}

/** Runs one full handshake (cookie exchange included) and closes; rejects when the server's Finished does not verify. */
export async function certificateHandshake(serverPort: number, own: ClientCertificate, suiteId = 0xc0ae): Promise<void> {
  const suite = suiteById(suiteId);
  const { socket, inbox, send } = await openClientSocket(serverPort);
  try {
    const random = randomBytes(32);
    send(clientHelloRecord({ random, cipherSuites: [suite.id], extensions: EXTENSIONS }));
    const cookie = cookieOfHelloVerifyRequest(await inbox.next());
    const hello = clientHelloRecord({ random, cookie, cipherSuites: [suite.id], messageSeq: 1, recordSequence: 1, extensions: EXTENSIONS });
    const transcript = new HandshakeTranscript();
    transcript.add(hello.subarray(13));
    send(hello);
    const flight4: ReturnType<typeof handshakeMessages> = [];
    while (flight4.at(-1)?.type !== HandshakeType.serverHelloDone) flight4.push(...parseDatagram(await inbox.next()).records.flatMap((record) => handshakeMessages(record)));
    for (const message of flight4) transcript.add(message.bytes);
    const serverRandom = flight4.find((message) => message.type === HandshakeType.serverHello)?.body.subarray(2, 34);
    const serverPoint = flight4.find((message) => message.type === HandshakeType.serverKeyExchange)?.body.subarray(4, 4 + 65);
    if (serverRandom === undefined || serverPoint === undefined) throw new Error('flight 4 incomplete');

    const ecdh = createECDH('prime256v1');
    const point = ecdh.generateKeys();
    const certificate = serializeHandshake(HandshakeType.certificate, 2, certificateBody(CertificateType.x509, [own.certificate]));
    const exchange = serializeHandshake(HandshakeType.clientKeyExchange, 3, Buffer.concat([Buffer.from([point.length]), point]));
    transcript.add(certificate);
    transcript.add(exchange);
    const master = extendedMasterSecret(ecdh.computeSecret(serverPoint), transcript.digest());
    const signature = sign('sha256', transcript.bytes(), { key: own.privateKey, dsaEncoding: 'der' });
    const verifyBody = Buffer.concat([Buffer.from([0x04, 0x03, signature.length >> 8, signature.length & 0xff]), signature]);
    const certificateVerify = serializeHandshake(HandshakeType.certificateVerify, 4, verifyBody);
    transcript.add(certificateVerify);
    const keys = connectionKeys(suite, keyBlock(master, random, serverRandom, keyBlockLength(suite)));
    const records = new ProtectedRecords(keys.serverWrite, keys.clientWrite, undefined, undefined);
    const finished = serializeHandshake(HandshakeType.finished, 5, finishedVerifyData(master, 'client', transcript.digest()));
    transcript.add(finished);
    const plain = (sequenceNumber: number, type: number, fragment: Buffer): Buffer => serializeRecord({ type, version: VERSION, epoch: 0, sequenceNumber, fragment });
    send(
      Buffer.concat([
        plain(2, ContentType.handshake, certificate),
        plain(3, ContentType.handshake, exchange),
        plain(4, ContentType.handshake, certificateVerify),
        plain(5, ContentType.changeCipherSpec, Buffer.from([1])),
        records.seal(ContentType.handshake, 0, finished),
      ]),
    );
    const serverFinished = parseDatagram(await inbox.next()).records.find((record) => record.epoch === 1);
    const opened = serverFinished === undefined ? undefined : records.open(serverFinished);
    const expected = serializeHandshake(HandshakeType.finished, 6, finishedVerifyData(master, 'server', transcript.digest()));
    if (opened === undefined || !opened.content.equals(expected)) throw new Error('server Finished did not verify');
  } finally {
    inbox.stop();
    socket.close();
  }
}
