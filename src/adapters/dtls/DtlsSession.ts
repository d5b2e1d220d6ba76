/**
 * One established DTLS association in epoch 1: protects outgoing records, authenticates incoming ones
 * with the replay window (RFC 6347 section 4.1.2.6), and keeps the last handshake flight until the client
 * shows it arrived (RFC 6347 section 4.2.4: the final flight is resent only when the peer repeats its own).
 */
import { AlertDescription, AlertLevel, parseAlert, serializeAlert } from './Alert.ts';
import { CIPHER_SUITES, connectionKeys } from './CipherSuites.ts';
import type { CipherSuiteName } from './CipherSuites.ts';
import { ContentType, MAX_SEQUENCE_NUMBER } from './DtlsRecord.ts';
import type { DtlsRecord } from './DtlsRecord.ts';
import type { SavedDtlsSession } from './DtlsSessionState.ts';
import type { PeerAddress } from './PeerAddress.ts';
import { ProtectedRecords } from './ProtectedRecords.ts';
import { ReplayWindow } from './ReplayWindow.ts';
import type { ClientAuthentication, EstablishedHandshake, FinalFlight } from './ServerHandshake.ts';

/** What the server may know about a session: never its keys. */
export interface DtlsSessionInfo {
  readonly peer: PeerAddress;
  /** Empty unless the client authenticated with a PSK. */
  readonly pskIdentity: Buffer;
  readonly authentication: ClientAuthentication;
  /** What the client's certificate or raw public key is bound to (its endpoint name); undefined with a PSK. */
  readonly credentialIdentity: string | undefined;
  readonly cipherSuite: CipherSuiteName;
  /** The master secret is bound to the handshake (RFC 7627). */
  readonly extendedMasterSecret: boolean;
  /** Made by an abbreviated handshake that resumed an earlier session (RFC 5246 section 7.3). */
  readonly resumed: boolean;
  readonly establishedAt: Date;
}

export type SessionInput =
  /** `newest`: the record has the highest sequence number so far (RFC 9146 section 6: may move the peer). */
  | { readonly kind: 'application-data'; readonly data: Buffer; readonly newest: boolean }
  | { readonly kind: 'retransmit-final-flight'; readonly flight: Buffer }
  | { readonly kind: 'closed-by-peer'; readonly reason: string }
  | { readonly kind: 'discarded'; readonly reason: string };

/** A handshake's outcome, or a saved session's. */
type SessionStart = Omit<EstablishedHandshake, 'resumable'>;

/** A retransmitted flight 5 is answered at most this often, so replays cannot turn us into a sender. */
const FINAL_FLIGHT_MIN_INTERVAL_MS = 500;

export class DtlsSession {
  /** The connection ID the client puts in its records (RFC 9146), when one was negotiated. */
  readonly connectionId: Buffer | undefined;
  private readonly writeConnectionId: Buffer | undefined;
  private readonly keyBlock: Buffer;
  private currentInfo: DtlsSessionInfo;
  private readonly records: ProtectedRecords;
  private readonly readWindow: ReplayWindow;
  private finalFlight: FinalFlight | undefined;
  private finalFlightSentAt: number;
  private nextWriteSequence: number;
  private lastAuthenticatedAt: number;

  constructor(peer: PeerAddress, handshake: SessionStart, now: Date, establishedAt = now) {
    this.connectionId = handshake.connectionId;
    this.writeConnectionId = handshake.writeConnectionId;
    this.keyBlock = handshake.keyBlock;
    this.currentInfo = Object.freeze({
      peer: Object.freeze({ address: peer.address, port: peer.port }),
      pskIdentity: Buffer.from(handshake.pskIdentity),
      authentication: handshake.authentication,
      credentialIdentity: handshake.credentialIdentity,
      cipherSuite: handshake.cipherSuite.name,
      extendedMasterSecret: handshake.extendedMasterSecret,
      resumed: handshake.resumed,
      establishedAt,
    });
    this.records = handshake.records;
    this.readWindow = handshake.readWindow;
    this.finalFlight = handshake.finalFlight;
    this.finalFlightSentAt = now.getTime();
    this.nextWriteSequence = handshake.nextWriteSequence;
    this.lastAuthenticatedAt = now.getTime();
  }

  /**
   * A saved session again, its write sequence number moved forward by `writeSequenceMargin`: a record
   * number must never be used twice with the same keys (RFC 6347 section 4.1; with an AEAD suite the
   * nonce is built from it, RFC 6655 section 3), and the margin covers records sent after the state was
   * taken. Undefined when the suite is unknown or the numbers would run out.
   */
  static restore(saved: SavedDtlsSession, writeSequenceMargin: number, now: Date): DtlsSession | undefined {
    const suite = CIPHER_SUITES.find((candidate) => candidate.name === saved.cipherSuite);
    const nextWriteSequence = saved.nextWriteSequence + writeSequenceMargin;
    if (suite === undefined || nextWriteSequence > MAX_SEQUENCE_NUMBER) return undefined;
    const keys = connectionKeys(suite, saved.keyBlock);
    const start: SessionStart = {
      pskIdentity: saved.pskIdentity,
      authentication: saved.authentication,
      credentialIdentity: saved.credentialIdentity,
      cipherSuite: suite,
      extendedMasterSecret: saved.extendedMasterSecret,
      connectionId: saved.readConnectionId,
      writeConnectionId: saved.writeConnectionId,
      keyBlock: saved.keyBlock,
      records: new ProtectedRecords(keys.clientWrite, keys.serverWrite, saved.readConnectionId, saved.writeConnectionId),
      readWindow: new ReplayWindow(saved.readWindow),
      finalFlight: undefined,
      nextWriteSequence,
      resumed: false,
    };
    return new DtlsSession(saved.peer, start, now, saved.establishedAt);
  }

  get info(): DtlsSessionInfo {
    return this.currentInfo;
  }

  /** The session's state for a restart, keys included: the caller seals it. */
  save(): SavedDtlsSession {
    const info = this.currentInfo;
    return {
      peer: info.peer,
      epoch: 1,
      pskIdentity: info.pskIdentity,
      authentication: info.authentication,
      credentialIdentity: info.credentialIdentity,
      cipherSuite: info.cipherSuite,
      extendedMasterSecret: info.extendedMasterSecret,
      establishedAt: info.establishedAt,
      readConnectionId: this.connectionId,
      writeConnectionId: this.writeConnectionId,
      keyBlock: this.keyBlock,
      nextWriteSequence: this.nextWriteSequence,
      readWindow: this.readWindow.state,
    };
  }

  /**
   * The client now sends from another address (a NAT rebinding); only for an authenticated record with a
   * connection ID and the highest sequence number so far (RFC 9146 section 6).
   */
  moveTo(peer: PeerAddress): void {
    this.currentInfo = Object.freeze({ ...this.currentInfo, peer: Object.freeze({ address: peer.address, port: peer.port }) });
  }

  /** When the last record from the peer authenticated (or the session started), in ms since the epoch. */
  get lastActivityAt(): number {
    return this.lastAuthenticatedAt;
  }

  receive(record: DtlsRecord, nowMs: number): SessionInput {
    if (record.epoch === 0) {
      // Epoch 0 handshake records after the handshake are a retransmitted flight 5 (ClientKeyExchange).
      return record.type === ContentType.handshake ? this.finalFlightAgain(nowMs) : { kind: 'discarded', reason: 'epoch 0 record in an established session' };
    }
    if (record.epoch !== 1) return { kind: 'discarded', reason: `record of unknown epoch ${record.epoch}` };
    if (this.readWindow.isDuplicate(record.sequenceNumber)) return { kind: 'discarded', reason: `replayed record ${record.sequenceNumber}` };
    const opened = this.records.open(record);
    // RFC 6347 section 4.1.2.7: invalid records are silently discarded, the association stays.
    if (opened === undefined) return { kind: 'discarded', reason: 'record did not authenticate' };
    const plaintext = opened.content;
    const newest = this.readWindow.isNewest(record.sequenceNumber);
    this.readWindow.markReceived(record.sequenceNumber);
    this.lastAuthenticatedAt = nowMs;
    switch (opened.type) {
      case ContentType.applicationData:
        this.finalFlight = undefined; // the client has our Finished, or it could not send this
        return { kind: 'application-data', data: plaintext, newest };
      case ContentType.handshake:
        // The client's Finished again (our flight 6 was lost), or a renegotiation, which we do not do.
        return this.finalFlightAgain(nowMs);
      case ContentType.alert: {
        const alert = parseAlert(plaintext);
        if (!alert.ok) return { kind: 'discarded', reason: `malformed alert: ${alert.error.reason}` };
        if (alert.value.description === AlertDescription.closeNotify) return { kind: 'closed-by-peer', reason: 'close_notify' };
        if (alert.value.level === AlertLevel.fatal) return { kind: 'closed-by-peer', reason: `fatal alert ${alert.value.description}` };
        return { kind: 'discarded', reason: `warning alert ${alert.value.description}` };
      }
      default:
        return { kind: 'discarded', reason: `unexpected content type ${opened.type}` };
    }
  }

  /** A protected record of application data, or undefined once the sequence numbers are used up (RFC 6347 section 4.1). */
  sealApplicationData(data: Buffer): Buffer | undefined {
    return this.seal(ContentType.applicationData, data);
  }

  sealCloseNotify(): Buffer | undefined {
    return this.seal(ContentType.alert, serializeAlert({ level: AlertLevel.warning, description: AlertDescription.closeNotify }));
  }

  private seal(type: number, plaintext: Buffer): Buffer | undefined {
    if (this.nextWriteSequence > MAX_SEQUENCE_NUMBER) return undefined;
    return this.records.seal(type, this.nextWriteSequence++, plaintext);
  }

  private finalFlightAgain(nowMs: number): SessionInput {
    if (this.finalFlight === undefined) return { kind: 'discarded', reason: 'handshake record after the handshake' };
    if (nowMs - this.finalFlightSentAt < FINAL_FLIGHT_MIN_INTERVAL_MS) return { kind: 'discarded', reason: 'final flight sent moments ago' };
    if (this.nextWriteSequence > MAX_SEQUENCE_NUMBER) return { kind: 'discarded', reason: 'record sequence numbers exhausted' };
    this.finalFlightSentAt = nowMs;
    return { kind: 'retransmit-final-flight', flight: this.finalFlight.records(this.nextWriteSequence++) };
  }
}
