/**
 * The server side of an abbreviated handshake (RFC 5246 section 7.3, RFC 6347 section 4.2.4 figure 2):
 * a client that offers the ID of a cached session gets it back with new keys from the cached master
 * secret and the new randoms, without a key exchange:
 *
 *   flight 3 (client): ClientHello + cookie + session_id  ->  flight 4: ServerHello, ChangeCipherSpec, Finished
 *   flight 5 (client): ChangeCipherSpec, Finished
 *
 * Here the server's flight is not the last one, so it is retransmitted on the doubling timer until the
 * client's Finished arrives (RFC 6347 section 4.2.4). Before it answers, the server looks the session's
 * PSK up again: a key changed or withdrawn since the session was made sends the client through a full
 * handshake, as does any session the cache no longer holds.
 */
import { timingSafeEqual } from 'node:crypto';
import { AlertDescription, AlertLevel, handshakeEndingAlert, serializeAlert } from './Alert.ts';
import { ExtensionType, TLS_EMPTY_RENEGOTIATION_INFO_SCSV, hasExtension } from './ClientHello.ts';
import type { ClientHello, HelloExtension } from './ClientHello.ts';
import { connectionKeys, keyBlockLength } from './CipherSuites.ts';
import type { CipherSuite } from './CipherSuites.ts';
import { ContentType, DTLS_1_2, serializeRecord } from './DtlsRecord.ts';
import type { DtlsRecord } from './DtlsRecord.ts';
import type { ResumableSession } from './DtlsSessionCache.ts';
import { FlightTimer } from './FlightTimer.ts';
import { FragmentReassembler } from './FragmentReassembler.ts';
import { HandshakeType, parseHandshakeFragments, serializeHandshake } from './HandshakeCodec.ts';
import { HandshakeTranscript } from './HandshakeTranscript.ts';
import { finishedVerifyData, keyBlock, sha256 } from './Prf.ts';
import { ProtectedRecords } from './ProtectedRecords.ts';
import { handshakeRandoms } from './RandomPool.ts';
import { ReplayWindow } from './ReplayWindow.ts';
import type { EstablishedHandshake, HandshakeTimers } from './ServerHandshake.ts';
import { serverHelloBody } from './ServerHandshakeMessages.ts';

export interface ResumedHandshakeCallbacks {
  transmit(datagram: Buffer): void;
  lookupPsk(identity: Buffer): Promise<Buffer | undefined>;
  established(result: EstablishedHandshake): void;
  failed(reason: string, pskIdentity: Buffer | undefined): void;
  /** The session cannot be resumed after all (its key changed): the client gets a full handshake instead. */
  fullHandshakeInstead(reason: string): void;
}

/** A Finished is a few dozen bytes; anything bigger is not one. */
const MAX_HANDSHAKE_MESSAGE = 256;
/** Records that arrive before the client's ChangeCipherSpec. */
const MAX_QUEUED_RECORDS = 16;

type State = 'checking-credential' | 'awaiting-finished' | 'done';

export class ResumedHandshake {
  readonly clientRandom: Buffer;
  private readonly callbacks: ResumedHandshakeCallbacks;
  private readonly session: ResumableSession;
  private readonly suite: CipherSuite;
  private readonly hello: ClientHello;
  private readonly serverRandom = handshakeRandoms.take(32);
  private readonly transcript = new HandshakeTranscript();
  private readonly reassembler = new FragmentReassembler(MAX_HANDSHAKE_MESSAGE);
  private readonly readWindow = new ReplayWindow();
  private readonly records: ProtectedRecords;
  private readonly keyBlock: Buffer;
  private readonly serverMessageSeq: number;
  private state: State = 'checking-credential';
  private serverHello: Buffer | undefined;
  private serverFinished: Buffer | undefined;
  private nextReceiveSeq: number;
  private nextEpoch0WriteSequence: number;
  private nextEpoch1WriteSequence = 0;
  private changeCipherSpecReceived = false;
  private queued: DtlsRecord[] = [];
  private readonly flightTimer: FlightTimer;
  private readonly deadline: NodeJS.Timeout;

  /** Looks the session's PSK up again, then sends the server's flight. */
  constructor(
    hello: ClientHello,
    clientHelloMessageSeq: number,
    clientHelloMessage: Buffer,
    clientHelloRecordSequence: number,
    session: ResumableSession,
    suite: CipherSuite,
    timers: HandshakeTimers,
    callbacks: ResumedHandshakeCallbacks,
  ) {
    this.clientRandom = hello.random;
    this.hello = hello;
    this.session = session;
    this.suite = suite;
    this.callbacks = callbacks;
    this.serverMessageSeq = clientHelloMessageSeq;
    this.nextReceiveSeq = clientHelloMessageSeq + 1;
    this.nextEpoch0WriteSequence = clientHelloRecordSequence;
    this.flightTimer = new FlightTimer(timers.initialRetransmitMs, timers.maxRetransmitMs);
    this.transcript.add(clientHelloMessage);
    // RFC 5246 section 6.3: the cached master secret with this handshake's randoms.
    this.keyBlock = keyBlock(session.masterSecret, this.clientRandom, this.serverRandom, keyBlockLength(suite));
    const keys = connectionKeys(suite, this.keyBlock);
    this.records = new ProtectedRecords(keys.clientWrite, keys.serverWrite, undefined, undefined);
    this.deadline = setTimeout(() => this.fail(`handshake timed out after ${timers.handshakeTimeoutMs} ms`, undefined), timers.handshakeTimeoutMs);
    this.deadline.unref();
    callbacks.lookupPsk(session.pskIdentity).then(
      (psk) => this.credentialChecked(psk),
      () => this.fail('PSK lookup failed', AlertDescription.internalError),
    );
  }

  /** The client repeated its ClientHello: our flight was lost (RFC 6347 section 4.2.4). */
  clientHelloRetransmitted(): void {
    if (this.state === 'awaiting-finished') this.sendFlight();
  }

  abandon(): void {
    this.finish();
  }

  handleRecord(record: DtlsRecord): void {
    if (this.state === 'done') return;
    if (record.epoch === 0) {
      if (record.type === ContentType.changeCipherSpec) {
        if (record.fragment.length !== 1 || record.fragment[0] !== 1) {
          this.fail('malformed ChangeCipherSpec', AlertDescription.decodeError);
          return;
        }
        if (this.state !== 'awaiting-finished') return;
        this.changeCipherSpecReceived = true;
        const waiting = this.queued;
        this.queued = [];
        for (const queued of waiting) this.handleRecord(queued);
      } else if (record.type === ContentType.alert) {
        this.handleAlert(record.fragment);
      }
      return;
    }
    if (record.epoch !== 1 || (record.type !== ContentType.handshake && record.type !== ContentType.alert)) return;
    if (!this.changeCipherSpecReceived) {
      if (this.queued.length < MAX_QUEUED_RECORDS) this.queued.push(record);
      return;
    }
    if (this.readWindow.isDuplicate(record.sequenceNumber)) return;
    const opened = this.records.open(record);
    if (opened === undefined) {
      this.fail('client Finished did not authenticate (the client resumed with another master secret)', AlertDescription.badRecordMac);
      return;
    }
    this.readWindow.markReceived(record.sequenceNumber);
    if (opened.type === ContentType.alert) this.handleAlert(opened.content);
    else this.handleHandshakeBytes(opened.content);
  }

  private credentialChecked(psk: Buffer | undefined): void {
    if (this.state !== 'checking-credential') return;
    const current = psk === undefined ? undefined : sha256(psk);
    if (current === undefined || !timingSafeEqual(current, this.session.pskFingerprint)) {
      this.finish();
      this.callbacks.fullHandshakeInstead(psk === undefined ? 'the PSK identity of the cached session is no longer known' : 'the PSK of the cached session has changed');
      return;
    }
    const extensions: HelloExtension[] = [{ type: ExtensionType.extendedMasterSecret, data: Buffer.alloc(0) }];
    // RFC 5746 section 3.6: an empty renegotiated_connection; this server never renegotiates.
    if (hasExtension(this.hello, ExtensionType.renegotiationInfo) || this.hello.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV)) {
      extensions.push({ type: ExtensionType.renegotiationInfo, data: Buffer.from([0]) });
    }
    this.serverHello = serializeHandshake(HandshakeType.serverHello, this.serverMessageSeq, serverHelloBody(this.serverRandom, this.suite.id, extensions, this.session.sessionId));
    this.transcript.add(this.serverHello);
    // RFC 5246 section 7.4.9: in the abbreviated handshake the server's Finished comes first.
    this.serverFinished = serializeHandshake(HandshakeType.finished, this.serverMessageSeq + 1, finishedVerifyData(this.session.masterSecret, 'server', this.transcript.digest()));
    this.transcript.add(this.serverFinished);
    this.state = 'awaiting-finished';
    this.sendFlight();
  }

  private handleHandshakeBytes(bytes: Buffer): void {
    const fragments = parseHandshakeFragments(bytes);
    if (!fragments.ok) {
      this.fail(`malformed handshake record: ${fragments.error.reason} at byte ${fragments.error.offset}`, AlertDescription.decodeError);
      return;
    }
    for (const fragment of fragments.value) {
      if (fragment.messageSeq !== this.nextReceiveSeq || this.state !== 'awaiting-finished') continue;
      const result = this.reassembler.add(fragment);
      if (result.status === 'rejected') {
        this.fail(result.reason, AlertDescription.decodeError);
        return;
      }
      if (result.status !== 'complete') continue;
      this.nextReceiveSeq++;
      if (result.msgType !== HandshakeType.finished) {
        this.fail(`unexpected handshake message ${result.msgType} in an abbreviated handshake`, AlertDescription.unexpectedMessage);
        return;
      }
      this.verifyClientFinished(result.body);
    }
  }

  private verifyClientFinished(body: Buffer): void {
    const expected = finishedVerifyData(this.session.masterSecret, 'client', this.transcript.digest());
    if (body.length !== expected.length || !timingSafeEqual(body, expected)) {
      this.fail('client Finished verify_data is wrong', AlertDescription.decryptError);
      return;
    }
    this.finish();
    this.callbacks.established({
      pskIdentity: this.session.pskIdentity,
      authentication: 'psk',
      credentialIdentity: undefined,
      cipherSuite: this.suite,
      extendedMasterSecret: true,
      connectionId: undefined,
      writeConnectionId: undefined,
      keyBlock: this.keyBlock,
      records: this.records,
      readWindow: this.readWindow,
      finalFlight: undefined,
      nextWriteSequence: this.nextEpoch1WriteSequence,
      resumable: this.session,
      resumed: true,
    });
  }

  private handleAlert(fragment: Buffer): void {
    const ending = handshakeEndingAlert(fragment);
    if (ending !== undefined) this.fail(`client sent alert ${ending}`, undefined);
  }

  /** ServerHello and ChangeCipherSpec in epoch 0, Finished in epoch 1, each time with new record numbers. */
  private sendFlight(): void {
    if (this.serverHello === undefined || this.serverFinished === undefined) return;
    const plain = (type: number, fragment: Buffer): Buffer =>
      serializeRecord({ type, version: DTLS_1_2, epoch: 0, sequenceNumber: this.nextEpoch0WriteSequence++, fragment });
    this.callbacks.transmit(
      Buffer.concat([
        plain(ContentType.handshake, this.serverHello),
        plain(ContentType.changeCipherSpec, Buffer.from([1])),
        this.records.seal(ContentType.handshake, this.nextEpoch1WriteSequence++, this.serverFinished),
      ]),
    );
    this.flightTimer.arm(() => this.sendFlight());
  }

  private finish(): void {
    this.state = 'done';
    this.flightTimer.stop();
    clearTimeout(this.deadline);
    this.queued = [];
  }

  private fail(reason: string, alert: number | undefined): void {
    if (this.state === 'done') return;
    this.finish();
    if (alert !== undefined) {
      const fragment = serializeAlert({ level: AlertLevel.fatal, description: alert });
      this.callbacks.transmit(serializeRecord({ type: ContentType.alert, version: DTLS_1_2, epoch: 0, sequenceNumber: this.nextEpoch0WriteSequence++, fragment }));
    }
    this.callbacks.failed(reason, this.session.pskIdentity);
  }
}
