/**
 * The server side of one DTLS 1.2 handshake, from the ClientHello that carried a valid cookie to the
 * server's Finished (RFC 6347 section 4.2.4, figure 1), with a PSK (RFC 4279 section 2):
 *
 *   flight 3 (client): ClientHello + cookie          ->  flight 4: ServerHello, ServerHelloDone
 *   flight 5 (client): ClientKeyExchange, CCS, Finished -> flight 6: ChangeCipherSpec, Finished
 *
 * or with ECDHE_ECDSA and a client certificate or raw public key (RFC 8422 section 2.3, RFC 7250,
 * RFC 7925 section 4.4: the client always authenticates):
 *
 *   flight 4: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone
 *   flight 5: Certificate, ClientKeyExchange, CertificateVerify, CCS, Finished
 *
 * Flight 4 is retransmitted on a doubling timer and whenever flight 3 arrives again (section 4.2.4);
 * flight 6 is the last flight, so it is kept by the session and resent only when flight 5 repeats.
 * The PSK lookup and the verdict on a client's credential are asynchronous: records that arrive
 * meanwhile wait in a bounded queue.
 */
import { X509Certificate, createECDH, createPublicKey, sign, timingSafeEqual, verify } from 'node:crypto';
import type { ECDH, KeyObject } from 'node:crypto';
import { AlertDescription, AlertLevel, handshakeEndingAlert, serializeAlert } from './Alert.ts';
import type { Alert } from './Alert.ts';
import {
  CertificateType,
  ECDSA_SECP256R1_SHA256,
  certificateBody,
  certificateRequestBody,
  parseCertificate,
  parseCertificateVerify,
  parseEcdhClientKeyExchange,
  serverEcdhParams,
  serverKeyExchangeBody,
  signedParams,
} from './CertificateHandshakeMessages.ts';
import type { CertificateTypeValue } from './CertificateHandshakeMessages.ts';
import { ExtensionType, TLS_EMPTY_RENEGOTIATION_INFO_SCSV, hasExtension, requestedConnectionId } from './ClientHello.ts';
import type { ClientHello, HelloExtension } from './ClientHello.ts';
import { parseClientKeyExchange } from './ClientKeyExchange.ts';
import { connectionKeys, keyBlockLength } from './CipherSuites.ts';
import type { CipherSuite } from './CipherSuites.ts';
import { ContentType, DTLS_1_0, DTLS_1_2, RECORD_HEADER_LENGTH, serializeRecord } from './DtlsRecord.ts';
import type { DtlsRecord } from './DtlsRecord.ts';
import { FlightTimer } from './FlightTimer.ts';
import { handshakeRandoms } from './RandomPool.ts';
import { FragmentReassembler } from './FragmentReassembler.ts';
import { HANDSHAKE_HEADER_LENGTH, HandshakeType, fragmentHandshake, parseHandshakeFragments, serializeHandshake } from './HandshakeCodec.ts';
import { HandshakeTranscript } from './HandshakeTranscript.ts';
import { extendedMasterSecret, finishedVerifyData, keyBlock, masterSecret, pskPremasterSecret, sha256 } from './Prf.ts';
import type { CertificateAuthentication, CredentialRefusalKind, CredentialVerdict, PeerCredential } from './PeerCredential.ts';
import { ReplayWindow } from './ReplayWindow.ts';
import { helloVerifyRequestBody, serverHelloBody } from './ServerHandshakeMessages.ts';
import { ProtectedRecords } from './ProtectedRecords.ts';
import type { ResumableSession } from './DtlsSessionCache.ts';
import type { RefusedCredential } from '../../domain/security/RefusedCredential.ts';

export interface HandshakeTimers {
  /** RFC 6347 section 4.2.4.1: 1 s initial retransmission timer, doubled up to 60 s. */
  readonly initialRetransmitMs: number;
  readonly maxRetransmitMs: number;
  /** The whole handshake must finish within this time. */
  readonly handshakeTimeoutMs: number;
}

/** How the client authenticated: its PSK, an X.509 certificate or a raw public key. */
export type ClientAuthentication = 'psk' | 'x509' | 'rpk';

/**
 * The certificate suites' terms for one handshake: how credentials are judged, and the certificate
 * types negotiated for each direction (RFC 7250 section 4.2), with whether the client named them (the
 * ServerHello then answers each, section 4.2).
 */
export interface CertificateTerms {
  readonly authentication: CertificateAuthentication;
  readonly serverType: CertificateTypeValue;
  readonly clientType: CertificateTypeValue;
  readonly answerServerType: boolean;
  readonly answerClientType: boolean;
}

/** A refused client credential, described for operators without key material. */
export type { RefusedCredential };

/** What a completed handshake hands to the session. */
export interface EstablishedHandshake {
  /** Empty unless the client authenticated with a PSK. */
  readonly pskIdentity: Buffer;
  readonly authentication: ClientAuthentication;
  /** What a certificate or raw public key is bound to (the device's endpoint name); undefined with a PSK. */
  readonly credentialIdentity: string | undefined;
  readonly cipherSuite: CipherSuite;
  /** RFC 7627 was negotiated. */
  readonly extendedMasterSecret: boolean;
  /** The connection ID the client puts in its records (RFC 9146), when one was negotiated. */
  readonly connectionId: Buffer | undefined;
  /** The client's connection ID, which our records carry (RFC 9146), when it gave one. */
  readonly writeConnectionId: Buffer | undefined;
  /** The key block the records are protected with (RFC 5246 section 6.3), kept to save the session across a restart. */
  readonly keyBlock: Buffer;
  readonly records: ProtectedRecords;
  /** Epoch 1 replay window, already holding the client's Finished. */
  readonly readWindow: ReplayWindow;
  /** Flight 6, for retransmission when flight 5 repeats; none after an abbreviated handshake, where the client's flight is the last. */
  readonly finalFlight: FinalFlight | undefined;
  /** Next record sequence number in epoch 1. */
  readonly nextWriteSequence: number;
  /** What a later abbreviated handshake may resume (RFC 5246 section 7.3), when the session can be cached. */
  readonly resumable: ResumableSession | undefined;
  /** This was an abbreviated handshake. */
  readonly resumed: boolean;
}

export interface HandshakeCallbacks {
  transmit(datagram: Buffer): void;
  lookupPsk(identity: Buffer): Promise<Buffer | undefined>;
  established(result: EstablishedHandshake): void;
  /**
   * `reason` is for operators and never contains key material; `pskIdentity` is the identity the client
   * named, when it got that far (identities are not secret, RFC 4279 section 5.3: they travel in clear);
   * `credential` the client's certificate or public key, when it sent one (public, described by fingerprint).
   */
  failed(reason: string, pskIdentity: Buffer | undefined, credential: RefusedCredential | undefined): void;
}

type State =
  | 'awaiting-certificate'
  | 'awaiting-key-exchange'
  | 'awaiting-certificate-verify'
  | 'looking-up-credential'
  | 'awaiting-finished'
  | 'done';

/** The alert for each kind of refused credential (RFC 5246 section 7.2.2). */
const refusalAlerts: Record<CredentialRefusalKind, number> = {
  untrusted: AlertDescription.unknownCa,
  expired: AlertDescription.certificateExpired,
  unbound: AlertDescription.accessDenied,
};

/**
 * Handshake messages of this profile are small (RFC 7925 section 4.2); a client's certificate chain is
 * the biggest, and a chain of a few certificates fits in this. Anything bigger is hostile.
 */
const MAX_HANDSHAKE_MESSAGE = 8192;
/** A flight's records go out together up to this size: below the IPv6 minimum MTU of 1280 with headers. */
const FLIGHT_DATAGRAM_BYTES = 1200;
/** Records that arrive while the PSK is looked up or before the ChangeCipherSpec. */
const MAX_QUEUED_RECORDS = 16;

export class ServerHandshake {
  readonly clientRandom: Buffer;
  private readonly callbacks: HandshakeCallbacks;
  private readonly suite: CipherSuite;
  private readonly useExtendedMasterSecret: boolean;
  private readonly serverRandom: Buffer;
  private readonly transcript = new HandshakeTranscript();
  private readonly reassembler = new FragmentReassembler(MAX_HANDSHAKE_MESSAGE);
  private readonly readWindow = new ReplayWindow();
  private readonly flight4: readonly Buffer[];
  private readonly certificates: CertificateTerms | undefined;
  /** Our ephemeral ECDH key (ECDHE suites). */
  private readonly ecdh: ECDH | undefined;
  private state: State;
  private nextReceiveSeq: number;
  private nextSendSeq: number;
  private nextEpoch0WriteSequence: number;
  private changeCipherSpecReceived = false;
  private queued: DtlsRecord[] = [];
  private pskIdentity: Buffer | undefined;
  /** SHA-256 of the PSK, which binds a cached session to the key it was made with. */
  private pskFingerprint: Buffer | undefined;
  private readonly sessionId: Buffer;
  /** The client's credential (certificate suites), once its Certificate arrived. */
  private credential: PeerCredential | undefined;
  private credentialPublicKey: KeyObject | undefined;
  private credentialIdentity: string | undefined;
  private refusedCredential: RefusedCredential | undefined;
  private master: Buffer = Buffer.alloc(0);
  private records: ProtectedRecords | undefined;
  private sessionKeyBlock: Buffer = Buffer.alloc(0);
  /** RFC 9146: ours (in the client's records) and the client's (in ours), when negotiated. */
  private readonly readConnectionId: Buffer | undefined;
  private readonly writeConnectionId: Buffer | undefined;
  private readonly flightTimer: FlightTimer;
  private readonly deadline: NodeJS.Timeout;

  /**
   * Starts the handshake and sends flight 4.
   * @param clientHelloMessage the ClientHello exactly as it enters the transcript (unfragmented form)
   * @param clientHelloRecordSequence the record sequence number of that ClientHello: RFC 6347 section
   *   4.2.1 lets a stateless server continue from it, so our epoch 0 numbers never go backwards.
   * @param offeredConnectionId the connection ID to give the client if it asks for one (RFC 9146), or
   *   undefined when the server does not use them
   * @param certificates the certificate terms, for a suite with the ecdhe-ecdsa key exchange
   * @param sessionId the ID under which the session will be cached for resumption, or empty when it will not be
   */
  constructor(
    hello: ClientHello,
    clientHelloMessageSeq: number,
    clientHelloMessage: Buffer,
    clientHelloRecordSequence: number,
    suite: CipherSuite,
    offeredConnectionId: Buffer | undefined,
    certificates: CertificateTerms | undefined,
    sessionId: Buffer,
    timers: HandshakeTimers,
    callbacks: HandshakeCallbacks,
  ) {
    this.clientRandom = hello.random;
    this.sessionId = sessionId;
    this.callbacks = callbacks;
    this.suite = suite;
    this.useExtendedMasterSecret = hasExtension(hello, ExtensionType.extendedMasterSecret);
    this.serverRandom = handshakeRandoms.take(32);
    this.nextReceiveSeq = clientHelloMessageSeq + 1;
    this.nextSendSeq = clientHelloMessageSeq;
    this.nextEpoch0WriteSequence = clientHelloRecordSequence;
    this.flightTimer = new FlightTimer(timers.initialRetransmitMs, timers.maxRetransmitMs);
    this.certificates = suite.keyExchange === 'ecdhe-ecdsa' ? certificates : undefined;
    this.state = this.certificates === undefined ? 'awaiting-key-exchange' : 'awaiting-certificate';

    const clientConnectionId = offeredConnectionId === undefined ? undefined : requestedConnectionId(hello);
    this.readConnectionId = clientConnectionId === undefined ? undefined : offeredConnectionId;
    this.writeConnectionId = clientConnectionId;
    const extensions: HelloExtension[] = [];
    if (this.readConnectionId !== undefined) {
      extensions.push({ type: ExtensionType.connectionId, data: Buffer.concat([Buffer.from([this.readConnectionId.length]), this.readConnectionId]) });
    }
    if (this.useExtendedMasterSecret) extensions.push({ type: ExtensionType.extendedMasterSecret, data: Buffer.alloc(0) });
    // RFC 5746 section 3.6: answer with an empty renegotiated_connection; this server never renegotiates.
    if (hasExtension(hello, ExtensionType.renegotiationInfo) || hello.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV)) {
      extensions.push({ type: ExtensionType.renegotiationInfo, data: Buffer.from([0]) });
    }
    const terms = this.certificates;
    if (terms !== undefined) {
      // RFC 8422 section 5.2: the server's point formats, when the client sent its own.
      if (hasExtension(hello, ExtensionType.ecPointFormats)) extensions.push({ type: ExtensionType.ecPointFormats, data: Buffer.from([1, 0]) });
      // RFC 7250 section 4.2: one type each, answering the client's lists.
      if (terms.answerClientType) extensions.push({ type: ExtensionType.clientCertificateType, data: Buffer.from([terms.clientType]) });
      if (terms.answerServerType) extensions.push({ type: ExtensionType.serverCertificateType, data: Buffer.from([terms.serverType]) });
    }
    const messages = [serializeHandshake(HandshakeType.serverHello, this.nextSendSeq++, serverHelloBody(this.serverRandom, suite.id, extensions, sessionId))];
    if (terms !== undefined) {
      const server = terms.authentication.server;
      this.ecdh = createECDH('prime256v1');
      const params = serverEcdhParams(this.ecdh.generateKeys());
      const signature = sign('sha256', signedParams(this.clientRandom, this.serverRandom, params), { key: server.privateKey, dsaEncoding: 'der' });
      const ours = terms.serverType === CertificateType.rawPublicKey ? [server.publicKeyInfo] : server.certificateChain;
      messages.push(
        serializeHandshake(HandshakeType.certificate, this.nextSendSeq++, certificateBody(terms.serverType, ours)),
        serializeHandshake(HandshakeType.serverKeyExchange, this.nextSendSeq++, serverKeyExchangeBody(params, signature)),
        serializeHandshake(HandshakeType.certificateRequest, this.nextSendSeq++, certificateRequestBody()),
      );
    }
    messages.push(serializeHandshake(HandshakeType.serverHelloDone, this.nextSendSeq++, Buffer.alloc(0)));
    this.transcript.add(clientHelloMessage);
    for (const message of messages) this.transcript.add(message);
    this.flight4 = messages;
    this.deadline = setTimeout(() => this.fail(`handshake timed out after ${timers.handshakeTimeoutMs} ms`, undefined), timers.handshakeTimeoutMs);
    this.deadline.unref();
    this.sendFlight4();
  }

  /** The client repeated flight 3: our flight 4 was lost (RFC 6347 section 4.2.4). */
  clientHelloRetransmitted(): void {
    if (this.state === 'awaiting-key-exchange' || this.state === 'awaiting-certificate') this.sendFlight4();
  }

  /** Stops timers without telling anybody (the association is being replaced or the server closes). */
  abandon(): void {
    this.finish();
  }

  handleRecord(record: DtlsRecord): void {
    if (this.state === 'done') return;
    if (record.epoch === 0) this.handlePlainRecord(record);
    else if (record.epoch === 1) this.handleProtectedRecord(record);
  }

  private handlePlainRecord(record: DtlsRecord): void {
    switch (record.type) {
      case ContentType.handshake:
        this.handleHandshakeBytes(record.fragment);
        return;
      case ContentType.changeCipherSpec:
        // RFC 5246 section 7.1: a single byte of value 1, only after the ClientKeyExchange.
        if (record.fragment.length !== 1 || record.fragment[0] !== 1) {
          this.fail('malformed ChangeCipherSpec', AlertDescription.decodeError);
          return;
        }
        if (this.state === 'awaiting-certificate-verify' || this.state === 'looking-up-credential' || this.state === 'awaiting-finished') {
          this.changeCipherSpecReceived = true;
          this.drainQueue();
        }
        return;
      case ContentType.alert:
        this.handleAlert(record.fragment);
        return;
      default:
        return; // application data before the handshake ends is discarded (RFC 6347 section 4.1.2.7)
    }
  }

  private handleProtectedRecord(record: DtlsRecord): void {
    // Only the client's Finished (or an alert) belongs here; application data may still come from a
    // session this handshake is about to replace. tls12_cid records reveal their type once opened.
    if (record.type !== ContentType.handshake && record.type !== ContentType.alert && record.type !== ContentType.tls12Cid) return;
    if (this.records === undefined || !this.changeCipherSpecReceived) {
      if (this.queued.length < MAX_QUEUED_RECORDS) this.queued.push(record);
      return;
    }
    if (this.readWindow.isDuplicate(record.sequenceNumber)) return;
    const opened = this.records.open(record);
    if (opened === undefined) {
      // The client's first protected record is its Finished: failing to authenticate it means the client
      // derived other keys, which with PSK means another key for this identity (RFC 4279 section 2).
      this.fail(this.certificates === undefined ? 'client Finished did not authenticate (wrong PSK?)' : 'client Finished did not authenticate', AlertDescription.badRecordMac);
      return;
    }
    this.readWindow.markReceived(record.sequenceNumber);
    if (opened.type === ContentType.handshake) this.handleHandshakeBytes(opened.content);
    else if (opened.type === ContentType.alert) this.handleAlert(opened.content);
  }

  private handleAlert(fragment: Buffer): void {
    const ending = handshakeEndingAlert(fragment);
    if (ending !== undefined) this.fail(`client sent alert ${ending}`, undefined);
  }

  private handleHandshakeBytes(bytes: Buffer): void {
    const fragments = parseHandshakeFragments(bytes);
    if (!fragments.ok) {
      this.fail(`malformed handshake record: ${fragments.error.reason} at byte ${fragments.error.offset}`, AlertDescription.decodeError);
      return;
    }
    for (const fragment of fragments.value) {
      // Older messages are retransmissions (the ClientHello ones are routed to clientHelloRetransmitted);
      // messages too far ahead are not of this handshake.
      if (fragment.messageSeq !== this.nextReceiveSeq || this.state === 'done') continue;
      const result = this.reassembler.add(fragment);
      if (result.status === 'rejected') {
        this.fail(result.reason, AlertDescription.decodeError);
        return;
      }
      if (result.status === 'complete') {
        this.nextReceiveSeq++;
        this.reassembler.discardBelow(this.nextReceiveSeq);
        this.handleMessage(result.msgType, serializeHandshake(result.msgType, result.messageSeq, result.body), result.body);
      }
    }
  }

  private handleMessage(msgType: number, message: Buffer, body: Buffer): void {
    const terms = this.certificates;
    if (terms !== undefined) {
      if (this.state === 'awaiting-certificate' && msgType === HandshakeType.certificate) {
        this.clientCertificate(terms.clientType, message, body);
        return;
      }
      if (this.state === 'awaiting-key-exchange' && msgType === HandshakeType.clientKeyExchange) {
        this.ecdhKeyExchange(message, body);
        return;
      }
      if (this.state === 'awaiting-certificate-verify' && msgType === HandshakeType.certificateVerify) {
        this.certificateVerify(terms, message, body);
        return;
      }
    } else if (this.state === 'awaiting-key-exchange' && msgType === HandshakeType.clientKeyExchange) {
      const exchange = parseClientKeyExchange(body);
      if (!exchange.ok) {
        this.fail(`malformed ClientKeyExchange: ${exchange.error.reason}`, AlertDescription.decodeError);
        return;
      }
      this.flightTimer.stop();
      this.transcript.add(message);
      this.pskIdentity = exchange.value.pskIdentity;
      this.state = 'looking-up-credential';
      const sessionHash = this.transcript.digest();
      this.callbacks.lookupPsk(exchange.value.pskIdentity).then(
        (psk) => this.pskFound(psk, sessionHash),
        () => this.fail('PSK lookup failed', AlertDescription.internalError),
      );
      return;
    }
    if (this.state === 'awaiting-finished' && msgType === HandshakeType.finished) {
      this.verifyClientFinished(message, body);
      return;
    }
    this.fail(`unexpected handshake message ${msgType} in state ${this.state}`, AlertDescription.unexpectedMessage);
  }

  private pskFound(psk: Buffer | undefined, sessionHash: Buffer): void {
    if (this.state !== 'looking-up-credential') return;
    if (psk === undefined || psk.length === 0) {
      // RFC 4279 section 2 allows unknown_psk_identity, but decrypt_error hides which identities exist.
      this.fail(`unknown PSK identity`, AlertDescription.decryptError);
      return;
    }
    this.pskFingerprint = sha256(psk);
    this.deriveMaster(pskPremasterSecret(psk), sessionHash);
    this.keysReady();
  }

  /** The client's Certificate (RFC 5246 section 7.4.6, RFC 7250 section 3): its public key, checked for our profile. */
  private clientCertificate(type: CertificateTypeValue, message: Buffer, body: Buffer): void {
    const parsed = parseCertificate(type, body);
    if (!parsed.ok) {
      this.fail(`malformed Certificate: ${parsed.error.reason}`, AlertDescription.decodeError);
      return;
    }
    const [own] = parsed.value;
    if (own === undefined) {
      // RFC 5246 section 7.4.6 lets a client send none; these suites require one (RFC 7925 section 4.4.2).
      this.fail('the client sent no certificate (the certificate suites require mutual authentication)', AlertDescription.handshakeFailure);
      return;
    }
    const fingerprint = sha256(own).toString('hex');
    let credential: PeerCredential;
    try {
      credential =
        type === CertificateType.rawPublicKey ? { kind: 'rpk', publicKeyInfo: own } : { kind: 'x509', chain: parsed.value.map((der) => new X509Certificate(der)) };
      this.credentialPublicKey = credential.kind === 'rpk' ? createPublicKey({ key: own, format: 'der', type: 'spki' }) : credential.chain[0]?.publicKey;
    } catch {
      this.refusedCredential = { kind: type === CertificateType.rawPublicKey ? 'rpk' : 'x509', identity: null, subject: null, fingerprint };
      this.fail('the client certificate or public key cannot be parsed', AlertDescription.badCertificate);
      return;
    }
    this.credential = credential;
    this.refusedCredential = {
      kind: credential.kind,
      identity: null,
      subject: credential.kind === 'x509' ? (credential.chain[0]?.subject.replaceAll('\n', ', ') ?? null) : null,
      fingerprint,
    };
    const details = this.credentialPublicKey?.asymmetricKeyDetails;
    if (this.credentialPublicKey?.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
      // RFC 7925 section 4.4.2: ECDSA keys on secp256r1, which is all the CertificateRequest asked for.
      this.fail('the client key is not an ECDSA secp256r1 key', AlertDescription.unsupportedCertificate);
      return;
    }
    this.transcript.add(message);
    this.state = 'awaiting-key-exchange';
  }

  /** RFC 8422 section 5.7 and 5.10: the premaster secret is the x coordinate of the shared point. */
  private ecdhKeyExchange(message: Buffer, body: Buffer): void {
    const point = parseEcdhClientKeyExchange(body);
    if (!point.ok || this.ecdh === undefined) {
      this.fail(`malformed ClientKeyExchange: ${point.ok ? 'no key exchange' : point.error.reason}`, AlertDescription.decodeError);
      return;
    }
    let premaster: Buffer;
    try {
      premaster = this.ecdh.computeSecret(point.value);
    } catch {
      this.fail('the client ECDH point is not on secp256r1', AlertDescription.illegalParameter);
      return;
    }
    this.flightTimer.stop();
    this.transcript.add(message);
    this.deriveMaster(premaster, this.transcript.digest());
    this.state = 'awaiting-certificate-verify';
  }

  /** RFC 5246 section 7.4.8: the client proves it holds the key of its certificate, then the credential is judged. */
  private certificateVerify(terms: CertificateTerms, message: Buffer, body: Buffer): void {
    const parsed = parseCertificateVerify(body);
    if (!parsed.ok) {
      this.fail(`malformed CertificateVerify: ${parsed.error.reason}`, AlertDescription.decodeError);
      return;
    }
    if (parsed.value.scheme !== ECDSA_SECP256R1_SHA256) {
      this.fail(`CertificateVerify signed with 0x${parsed.value.scheme.toString(16)}, not the ecdsa_secp256r1_sha256 asked for`, AlertDescription.illegalParameter);
      return;
    }
    const key = this.credentialPublicKey;
    const credential = this.credential;
    if (key === undefined || credential === undefined) return;
    if (!verify('sha256', this.transcript.bytes(), { key, dsaEncoding: 'der' }, parsed.value.signature)) {
      this.fail('the CertificateVerify signature does not verify (the client does not hold the key of its certificate)', AlertDescription.decryptError);
      return;
    }
    this.transcript.add(message);
    this.state = 'looking-up-credential';
    terms.authentication.lookup(credential).then(
      (verdict) => this.credentialJudged(verdict),
      () => this.fail('credential lookup failed', AlertDescription.internalError),
    );
  }

  private credentialJudged(verdict: CredentialVerdict): void {
    if (this.state !== 'looking-up-credential') return;
    if (!verdict.ok) {
      if (this.refusedCredential !== undefined) this.refusedCredential = { ...this.refusedCredential, identity: verdict.identity };
      this.fail(verdict.reason, refusalAlerts[verdict.kind]);
      return;
    }
    this.credentialIdentity = verdict.identity;
    this.keysReady();
  }

  /** RFC 5246 section 8.1, or RFC 7627 section 4 when the client asked for the extended master secret. */
  private deriveMaster(premaster: Buffer, sessionHash: Buffer): void {
    this.master = this.useExtendedMasterSecret
      ? extendedMasterSecret(premaster, sessionHash)
      : masterSecret(premaster, this.clientRandom, this.serverRandom);
  }

  private keysReady(): void {
    this.sessionKeyBlock = keyBlock(this.master, this.clientRandom, this.serverRandom, keyBlockLength(this.suite));
    const keys = connectionKeys(this.suite, this.sessionKeyBlock);
    this.records = new ProtectedRecords(keys.clientWrite, keys.serverWrite, this.readConnectionId, this.writeConnectionId);
    this.state = 'awaiting-finished';
    this.drainQueue();
  }

  private drainQueue(): void {
    if (this.records === undefined || !this.changeCipherSpecReceived) return;
    const waiting = this.queued;
    this.queued = [];
    for (const record of waiting) this.handleRecord(record);
  }

  private verifyClientFinished(message: Buffer, body: Buffer): void {
    const records = this.records;
    if (records === undefined) return;
    const expected = finishedVerifyData(this.master, 'client', this.transcript.digest());
    if (body.length !== expected.length || !timingSafeEqual(body, expected)) {
      this.fail('client Finished verify_data is wrong', AlertDescription.decryptError);
      return;
    }
    this.transcript.add(message);
    const serverFinished = serializeHandshake(
      HandshakeType.finished,
      this.nextSendSeq++,
      finishedVerifyData(this.master, 'server', this.transcript.digest()),
    );
    const finalFlight = new FinalFlight(serverFinished, records, this.nextEpoch0WriteSequence);
    this.finish();
    this.callbacks.transmit(finalFlight.records(0));
    this.callbacks.established({
      pskIdentity: this.pskIdentity ?? Buffer.alloc(0),
      authentication: this.credential?.kind ?? 'psk',
      credentialIdentity: this.credentialIdentity,
      cipherSuite: this.suite,
      extendedMasterSecret: this.useExtendedMasterSecret,
      connectionId: this.readConnectionId,
      writeConnectionId: this.writeConnectionId,
      keyBlock: this.sessionKeyBlock,
      records,
      readWindow: this.readWindow,
      finalFlight,
      nextWriteSequence: 1,
      resumable:
        this.sessionId.length === 0 || this.pskIdentity === undefined || this.pskFingerprint === undefined
          ? undefined
          : { sessionId: this.sessionId, masterSecret: this.master, cipherSuite: this.suite.name, pskIdentity: this.pskIdentity, pskFingerprint: this.pskFingerprint },
      resumed: false,
    });
  }

  /**
   * Every transmission takes fresh record sequence numbers; only message_seq stays (RFC 6347 section
   * 4.2.4). Records share datagrams up to FLIGHT_DATAGRAM_BYTES, and a message too big for that (a
   * certificate chain) goes in fragments, so that a flight with certificates is not an IP-fragmented
   * datagram (RFC 6347 sections 4.1.1 and 4.2.3: records do not span datagrams, messages may span records).
   */
  private sendFlight4(): void {
    let datagram: Buffer[] = [];
    let size = 0;
    const fragments = this.flight4.flatMap((message) => fragmentHandshake(message, FLIGHT_DATAGRAM_BYTES - RECORD_HEADER_LENGTH - HANDSHAKE_HEADER_LENGTH));
    for (const fragment of fragments) {
      const record = this.plainRecord(ContentType.handshake, fragment);
      if (size > 0 && size + record.length > FLIGHT_DATAGRAM_BYTES) {
        this.callbacks.transmit(Buffer.concat(datagram));
        datagram = [];
        size = 0;
      }
      datagram.push(record);
      size += record.length;
    }
    this.callbacks.transmit(Buffer.concat(datagram));
    this.flightTimer.arm(() => this.sendFlight4());
  }

  private plainRecord(type: number, fragment: Buffer): Buffer {
    return serializeRecord({ type, version: DTLS_1_2, epoch: 0, sequenceNumber: this.nextEpoch0WriteSequence++, fragment });
  }

  private finish(): void {
    this.state = 'done';
    this.flightTimer.stop();
    clearTimeout(this.deadline);
    this.queued = [];
  }

  /** Ends the handshake; a fatal alert goes out in epoch 0, the client's current read epoch (RFC 5246 section 7.2.2). */
  private fail(reason: string, alert: number | undefined): void {
    if (this.state === 'done') return;
    this.finish();
    if (alert !== undefined) {
      const fatal: Alert = { level: AlertLevel.fatal, description: alert };
      this.callbacks.transmit(this.plainRecord(ContentType.alert, serializeAlert(fatal)));
    }
    this.callbacks.failed(reason, this.pskIdentity, this.refusedCredential);
  }
}

/**
 * The stateless answer to a ClientHello without a valid cookie (RFC 6347 section 4.2.1). No version is
 * agreed yet, so the record says DTLS 1.0, as the message's server_version does: every DTLS client reads
 * that, whereas the ClientHello's record version may be a value the client itself refuses to read back
 * (mbedTLS writes its configured minimum there, {254, 0} for the lowest).
 */
export function helloVerifyRequestDatagram(cookie: Buffer, messageSeq: number, recordSequence: number): Buffer {
  return serializeRecord({
    type: ContentType.handshake,
    version: DTLS_1_0,
    epoch: 0,
    sequenceNumber: recordSequence,
    fragment: serializeHandshake(HandshakeType.helloVerifyRequest, messageSeq, helloVerifyRequestBody(cookie)),
  });
}

/**
 * Flight 6 (ChangeCipherSpec in epoch 0, Finished in epoch 1). Each transmission takes new record
 * sequence numbers in both epochs, since a record number is never reused (RFC 6347 section 4.1).
 */
export class FinalFlight {
  private readonly serverFinished: Buffer;
  private readonly protectedRecords: ProtectedRecords;
  private nextEpoch0Sequence: number;

  constructor(serverFinished: Buffer, protectedRecords: ProtectedRecords, nextEpoch0Sequence: number) {
    this.serverFinished = serverFinished;
    this.protectedRecords = protectedRecords;
    this.nextEpoch0Sequence = nextEpoch0Sequence;
  }

  records(epoch1Sequence: number): Buffer {
    const changeCipherSpec = serializeRecord({
      type: ContentType.changeCipherSpec,
      version: DTLS_1_2,
      epoch: 0,
      sequenceNumber: this.nextEpoch0Sequence++,
      fragment: Buffer.from([1]),
    });
    return Buffer.concat([changeCipherSpec, this.protectedRecords.seal(ContentType.handshake, epoch1Sequence, this.serverFinished)]);
  }
}
