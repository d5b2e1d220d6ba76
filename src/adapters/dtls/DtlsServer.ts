/**
 * A DTLS 1.2 server on a `node:dgram` socket (RFC 6347) for PSK clients (profile of RFC 7925 section
 * 4.2) and, when given a certificate, for clients with X.509 certificates or raw public keys (sections
 * 4.4 and 4.3). Upward it is "datagrams in and out per authenticated peer", so a CoAP endpoint runs
 * over it as over plain UDP.
 *
 * Per datagram: ClientHellos go through the stateless cookie exchange first (RFC 6347 section 4.2.1) and
 * only a ClientHello with a valid cookie creates state, within the handshake limits; other records go to
 * the peer's handshake or session, or are dropped. Nothing a peer sends can throw out of here.
 *
 * A ClientHello that offers a cached session's ID gets an abbreviated handshake (RFC 5246 section 7.3,
 * ResumedHandshake); any other a full one. Established sessions can be suspended (taken out without
 * close_notify) for a restart and restored by the next server.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { RemoteInfo, Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { Clock } from '../../domain/Clock.ts';
import { systemClock } from '../../domain/Clock.ts';
import type { Logger } from '../logging/Logger.ts';
import { destinationAddress, lookupIpLiteral, reportedAddress } from '../runtime/UdpAddresses.ts';
import { AlertDescription, AlertLevel, serializeAlert } from './Alert.ts';
import { CertificateType, canUseEcdheEcdsa, chooseCertificateType, sentExtension } from './CertificateHandshakeMessages.ts';
import type { CertificateTypeValue } from './CertificateHandshakeMessages.ts';
import { ExtensionType, hasExtension, parseClientHello } from './ClientHello.ts';
import type { ClientHello } from './ClientHello.ts';
import { CIPHER_SUITES, selectCipherSuite } from './CipherSuites.ts';
import type { CipherSuite, CipherSuiteName } from './CipherSuites.ts';
import { CookieIssuer } from './CookieIssuer.ts';
import { ContentType, DTLS_1_0, DTLS_1_2, parseDatagram, serializeRecord } from './DtlsRecord.ts';
import type { DtlsRecord } from './DtlsRecord.ts';
import { DtlsSession } from './DtlsSession.ts';
import type { DtlsSessionInfo } from './DtlsSession.ts';
import type { SavedDtlsSession } from './DtlsSessionState.ts';
import { HandshakeType, parseHandshakeFragments, serializeHandshake } from './HandshakeCodec.ts';
import { peerKey } from './PeerAddress.ts';
import type { PeerAddress } from './PeerAddress.ts';
import { DtlsSessionCache } from './DtlsSessionCache.ts';
import type { ResumableSession } from './DtlsSessionCache.ts';
import { handshakeRandoms } from './RandomPool.ts';
import { ResumedHandshake } from './ResumedHandshake.ts';
import { ServerHandshake, helloVerifyRequestDatagram } from './ServerHandshake.ts';
import type { CertificateTerms, EstablishedHandshake, HandshakeTimers, RefusedCredential } from './ServerHandshake.ts';
import type { CertificateAuthentication } from './PeerCredential.ts';
import { defaultUdpReceiveBufferBytes, enlargeReceiveBuffer } from '../runtime/UdpReceiveBuffer.ts';

export interface DtlsServerOptions {
  /** The key for a PSK identity, or undefined when the identity is unknown. Keys never leave this adapter. */
  readonly pskLookup: (identity: Buffer, peer: PeerAddress) => Promise<Buffer | undefined>;
  /** The server's certificate and the verdict on clients' credentials; without it only PSK suites are offered. */
  readonly certificates?: CertificateAuthentication;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Offered suites in preference order; default all of CIPHER_SUITES, CCM_8 first (RFC 7925 section 4.2). */
  readonly cipherSuites?: readonly CipherSuiteName[];
  /** Handshakes in progress at once (after the cookie exchange); default 256. */
  readonly maxHandshakes?: number;
  /** Handshakes in progress from one IP address (any port); default 16. */
  readonly maxHandshakesPerAddress?: number;
  /** Established sessions; default 10 000. */
  readonly maxSessions?: number;
  /** Default 30 s. */
  readonly handshakeTimeoutMs?: number;
  /** RFC 6347 section 4.2.4.1: default 1 s, doubled up to 60 s. */
  readonly initialRetransmitMs?: number;
  /** Sessions without any authenticated record for this long are dropped; default: never. */
  readonly sessionIdleTimeoutMs?: number;
  /** Cookie secret lifetime; default 60 s. */
  readonly cookieRotationMs?: number;
  /** The socket's receive buffer (UdpReceiveBuffer.ts: a fleet's burst of handshakes); default 4 MiB. */
  readonly receiveBufferBytes?: number;
  /**
   * Length of the connection IDs handed to clients that ask for one (RFC 9146), so that a client whose
   * NAT binding changes keeps its session; 0 (the default) turns connection IDs off.
   */
  readonly connectionIdLength?: number;
  /**
   * PSK sessions kept for resumption by an abbreviated handshake (RFC 5246 section 7.3); default
   * 10 000, 0 turns resumption off.
   */
  readonly sessionCacheSize?: number;
  /** How long a session may be resumed after its full handshake; default 24 h (RFC 5246 appendix F.1.4). */
  readonly sessionCacheLifetimeMs?: number;
}

export interface DtlsServerEvents {
  sessionEstablished: [session: DtlsSessionInfo];
  datagram: [data: Buffer, session: DtlsSessionInfo];
  sessionClosed: [session: DtlsSessionInfo, reason: string];
  /** A session with a connection ID now talks from another address (RFC 9146 section 6). */
  sessionMoved: [session: DtlsSessionInfo, previousPeer: PeerAddress];
  /**
   * Never carries key material; `pskIdentity` once a PSK client sent its ClientKeyExchange, `credential`
   * once a certificate client sent its Certificate.
   */
  handshakeFailed: [peer: PeerAddress, reason: string, pskIdentity: Buffer | undefined, credential: RefusedCredential | undefined];
}

/**
 * How far a restored session's write sequence number jumps: records sealed after the state was taken
 * (none in an orderly stop, but a number must never be reused with the same keys, RFC 6347 section 4.1)
 * stay below it. Small, because some clients discard a record more than 64 numbers above the highest
 * they have seen (node-dtls-client does), although RFC 6347 section 4.1.2.6 accepts any newer one.
 */
const RESTORED_WRITE_SEQUENCE_MARGIN = 16;

interface PeerHandshake {
  readonly handshake: ServerHandshake | ResumedHandshake;
  readonly address: string;
}

export class DtlsServer extends EventEmitter<DtlsServerEvents> {
  private readonly options: DtlsServerOptions;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly cookies: CookieIssuer;
  private readonly suites: readonly CipherSuite[];
  private readonly handshakes = new Map<string, PeerHandshake>();
  private readonly handshakesPerAddress = new Map<string, number>();
  private readonly sessions = new Map<string, DtlsSession>();
  private readonly sessionsByConnectionId = new Map<string, DtlsSession>();
  private readonly connectionIdLength: number;
  private readonly sessionCacheSize: number;
  private readonly sessionCache: DtlsSessionCache;
  private socket: Socket | undefined;
  private socketIsIpv6 = false;
  private idleSweep: NodeJS.Timeout | undefined;

  constructor(options: DtlsServerOptions) {
    super();
    this.options = options;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.cookies = new CookieIssuer(this.clock, options.cookieRotationMs ?? 60_000);
    this.connectionIdLength = options.connectionIdLength ?? 0;
    this.sessionCacheSize = options.sessionCacheSize ?? 10_000;
    this.sessionCache = new DtlsSessionCache(this.clock, this.sessionCacheSize, options.sessionCacheLifetimeMs ?? 24 * 60 * 60 * 1000);
    const names = options.cipherSuites ?? CIPHER_SUITES.map((suite) => suite.name);
    this.suites = names.flatMap((name) => CIPHER_SUITES.filter((suite) => suite.name === name));
  }

  /** Binds the socket; resolves with the bound address (port 0 picks a free port; '::' is dual-stack). */
  async listen(port: number, address = '127.0.0.1'): Promise<AddressInfo> {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', ipv6Only: false, lookup: lookupIpLiteral });
    this.socket = socket;
    this.socketIsIpv6 = isIPv6(address);
    socket.on('message', (datagram, remote) => this.onDatagram(datagram, remote));
    socket.on('error', (error) => this.logger.error({ err: error }, 'DTLS socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    enlargeReceiveBuffer(socket, this.options.receiveBufferBytes ?? defaultUdpReceiveBufferBytes, this.logger, `dtls ${address} ${socket.address().port}`);
    const idle = this.options.sessionIdleTimeoutMs;
    if (idle !== undefined) {
      this.idleSweep = setInterval(() => this.dropIdleSessions(idle), Math.min(idle, 60_000));
      this.idleSweep.unref();
    }
    return socket.address();
  }

  /** Sends application data to an established session; false when there is none for that peer. */
  send(target: DtlsSessionInfo | PeerAddress, data: Buffer): boolean {
    const peer = 'peer' in target ? target.peer : target;
    const session = this.sessions.get(peerKey(peer));
    if (session === undefined) return false;
    const record = session.sealApplicationData(data);
    if (record === undefined) {
      this.closeSession(peer, 'record sequence numbers exhausted');
      return false;
    }
    this.transmit(peer, record);
    return true;
  }

  /** Sends close_notify and forgets the session (RFC 5246 section 7.2.1). */
  closeSession(target: DtlsSessionInfo | PeerAddress, reason = 'closed by server'): void {
    const peer = 'peer' in target ? target.peer : target;
    const session = this.sessions.get(peerKey(peer));
    if (session === undefined) return;
    const alert = session.sealCloseNotify();
    if (alert !== undefined) this.transmit(peer, alert);
    this.dropSession(session, reason);
  }

  /** The authenticated session of a peer (its PSK identity decides which device it may act as). */
  sessionOf(peer: PeerAddress): DtlsSessionInfo | undefined {
    return this.sessions.get(peerKey(peer))?.info;
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  handshakeCount(): number {
    return this.handshakes.size;
  }

  /**
   * Takes every established session's state, keys included, and forgets the sessions without a
   * close_notify, so that their clients keep them for the next start (the caller seals the state).
   */
  suspendSessions(): SavedDtlsSession[] {
    const saved = [...this.sessions.values()].map((session) => session.save());
    this.sessions.clear();
    this.sessionsByConnectionId.clear();
    return saved;
  }

  /**
   * Takes back sessions a previous run suspended, within the session limit; a peer that already has a
   * session keeps it. Returns how many were restored.
   */
  restoreSessions(saved: readonly SavedDtlsSession[]): number {
    const maxSessions = this.options.maxSessions ?? 10_000;
    let restored = 0;
    for (const state of saved) {
      const key = peerKey(state.peer);
      if (this.sessions.size >= maxSessions) break;
      if (this.sessions.has(key)) continue;
      if (state.readConnectionId !== undefined && (state.readConnectionId.length !== this.connectionIdLength || this.sessionsByConnectionId.has(state.readConnectionId.toString('hex')))) continue;
      const session = DtlsSession.restore(state, RESTORED_WRITE_SEQUENCE_MARGIN, this.clock.now());
      if (session === undefined) continue;
      this.sessions.set(key, session);
      if (session.connectionId !== undefined) this.sessionsByConnectionId.set(session.connectionId.toString('hex'), session);
      restored++;
    }
    this.logger.info({ restored, saved: saved.length }, 'DTLS sessions restored');
    return restored;
  }

  /** Closes every session with close_notify, abandons handshakes, and closes the socket. */
  async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) this.closeSession(session.info.peer, 'server closing');
    for (const entry of this.handshakes.values()) entry.handshake.abandon();
    this.handshakes.clear();
    this.handshakesPerAddress.clear();
    if (this.idleSweep !== undefined) clearInterval(this.idleSweep);
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onDatagram(datagram: Buffer, remote: RemoteInfo): void {
    const peer: PeerAddress = { address: reportedAddress(remote.address), port: remote.port };
    try {
      const parsed = parseDatagram(datagram, this.connectionIdLength);
      if (parsed.error !== undefined) {
        this.logger.debug({ peer, reason: parsed.error.reason, offset: parsed.error.offset }, 'DTLS: malformed record discarded');
      }
      for (const record of parsed.records) this.onRecord(peer, record);
    } catch (error: unknown) {
      // Parsers return errors instead of throwing; this is the last guard so that no peer can stop the server.
      this.logger.error({ err: error, peer }, 'DTLS: internal error while handling a datagram');
    }
  }

  private onRecord(peer: PeerAddress, record: DtlsRecord): void {
    const key = peerKey(peer);
    if (record.epoch === 0 && record.type === ContentType.handshake && record.fragment[0] === HandshakeType.clientHello) {
      this.onClientHello(peer, key, record);
      return;
    }
    // A ClientHello's record may carry any {254, x}: the client cannot know our version yet (RFC 5246
    // appendix E.1 says the same of TLS's {3, x}). Every other record follows our ServerHello, which agreed
    // on DTLS 1.2, so one with another version is invalid and discarded (RFC 6347 section 4.1.2.7).
    if (record.version !== DTLS_1_2) {
      this.logger.debug({ peer, version: record.version }, 'DTLS: record with another version than the negotiated DTLS 1.2 discarded');
      return;
    }
    // RFC 9146 section 6: a record with a connection ID finds its session by that ID, whatever its source
    // (and even while a new handshake runs from the same address).
    const byConnectionId = record.connectionId === undefined ? undefined : this.sessionsByConnectionId.get(record.connectionId.toString('hex'));
    const pending = this.handshakes.get(key);
    if (pending !== undefined && byConnectionId === undefined) {
      pending.handshake.handleRecord(record);
      return;
    }
    const session = record.connectionId === undefined ? this.sessions.get(key) : byConnectionId;
    if (session === undefined) return;
    const input = session.receive(record, this.clock.now().getTime());
    switch (input.kind) {
      case 'application-data':
        if (record.connectionId !== undefined && input.newest && peerKey(session.info.peer) !== key) this.moveSession(session, peer);
        this.emit('datagram', input.data, session.info);
        return;
      case 'retransmit-final-flight':
        this.transmit(peer, input.flight);
        return;
      case 'closed-by-peer':
        this.dropSession(session, input.reason);
        return;
      case 'discarded':
        this.logger.debug({ peer, reason: input.reason }, 'DTLS: record discarded');
        return;
    }
  }

  /**
   * RFC 6347 section 4.2.1: without a valid cookie, answer statelessly with a HelloVerifyRequest. The
   * ClientHello must fit one record: reassembling fragments would mean keeping state before the cookie.
   */
  private onClientHello(peer: PeerAddress, key: string, record: DtlsRecord): void {
    const fragments = parseHandshakeFragments(record.fragment);
    if (!fragments.ok) return;
    const fragment = fragments.value[0];
    if (fragment === undefined || fragment.fragmentOffset !== 0 || fragment.body.length !== fragment.length) return;
    const parsed = parseClientHello(fragment.body);
    if (!parsed.ok) {
      this.logger.debug({ peer, reason: parsed.error.reason, offset: parsed.error.offset }, 'DTLS: malformed ClientHello');
      return;
    }
    const hello = parsed.value;
    const pending = this.handshakes.get(key);
    if (pending !== undefined && pending.handshake.clientRandom.equals(hello.random)) {
      pending.handshake.clientHelloRetransmitted();
      return;
    }
    if (!this.cookies.verify(peer.address, peer.port, hello)) {
      const cookie = this.cookies.issue(peer.address, peer.port, hello);
      this.transmit(peer, helloVerifyRequestDatagram(cookie, fragment.messageSeq, record.sequenceNumber));
      return;
    }
    // The client proved it receives at this address: a new handshake may now replace what was there
    // (RFC 6347 section 4.2.8, a client that lost its state reconnects from the same address and port).
    this.startHandshake(peer, key, hello, fragment.messageSeq, serializeHandshake(HandshakeType.clientHello, fragment.messageSeq, fragment.body), record);
  }

  private startHandshake(peer: PeerAddress, key: string, hello: ClientHello, messageSeq: number, message: Buffer, record: DtlsRecord): void {
    if (hello.clientVersion > DTLS_1_2) {
      // DTLS versions count down: a larger number is an older version (RFC 6347 section 4.1).
      this.refuse(peer, record.sequenceNumber, AlertDescription.protocolVersion, `client offers only DTLS version 0x${hello.clientVersion.toString(16)}`);
      return;
    }
    const certificates = this.certificateTerms(hello);
    const usable = certificates === undefined ? this.suites.filter((candidate) => candidate.keyExchange === 'psk') : this.suites;
    const suite = selectCipherSuite(hello.cipherSuites, usable);
    const offeredConnectionId = this.connectionIdLength > 0 ? this.freshConnectionId() : undefined;
    if (suite === undefined || !hello.compressionMethods.includes(0)) {
      this.refuse(peer, record.sequenceNumber, AlertDescription.handshakeFailure, 'no cipher suite in common');
      return;
    }
    const previous = this.handshakes.get(key);
    if (previous !== undefined) this.removeHandshake(key, previous);
    const maxHandshakes = this.options.maxHandshakes ?? 256;
    const maxPerAddress = this.options.maxHandshakesPerAddress ?? 16;
    if (this.handshakes.size >= maxHandshakes || (this.handshakesPerAddress.get(peer.address) ?? 0) >= maxPerAddress) {
      this.refuse(peer, record.sequenceNumber, AlertDescription.internalError, 'too many handshakes in progress');
      return;
    }
    const existing = this.sessions.get(key);
    if (existing === undefined && this.sessions.size >= (this.options.maxSessions ?? 10_000)) {
      this.refuse(peer, record.sequenceNumber, AlertDescription.internalError, 'session limit reached');
      return;
    }
    const resumable = this.resumableSession(hello, usable);
    if (resumable !== undefined) {
      const resumed = new ResumedHandshake(hello, messageSeq, message, record.sequenceNumber, resumable.session, resumable.suite, this.handshakeTimers(), {
          transmit: (datagram) => this.transmit(peer, datagram),
          lookupPsk: (identity) => this.options.pskLookup(identity, peer),
          established: (result) => this.onEstablished(peer, key, entry, result),
          failed: (reason, pskIdentity) => this.onHandshakeFailed(peer, key, entry, reason, pskIdentity, undefined),
          fullHandshakeInstead: (reason) => {
            this.sessionCache.remove(resumable.session.sessionId);
            this.removeHandshake(key, entry);
            this.logger.info({ peer, reason }, 'DTLS session not resumed: full handshake');
            this.startFullHandshake(peer, key, hello, messageSeq, message, record, suite, certificates, offeredConnectionId);
          },
        });
      const entry: PeerHandshake = { handshake: resumed, address: peer.address };
      this.register(key, entry);
      return;
    }
    this.startFullHandshake(peer, key, hello, messageSeq, message, record, suite, certificates, offeredConnectionId);
  }

  private startFullHandshake(
    peer: PeerAddress,
    key: string,
    hello: ClientHello,
    messageSeq: number,
    message: Buffer,
    record: DtlsRecord,
    suite: CipherSuite,
    certificates: CertificateTerms | undefined,
    offeredConnectionId: Buffer | undefined,
  ): void {
    // Only sessions with the extended master secret are cached (RFC 7627 section 5.3), and only PSK ones:
    // resuming a certificate session would skip the verdict on the certificate.
    const cacheable = this.sessionCacheSize > 0 && suite.keyExchange === 'psk' && hasExtension(hello, ExtensionType.extendedMasterSecret);
    const sessionId = cacheable ? handshakeRandoms.take(32) : Buffer.alloc(0);
    const handshake = new ServerHandshake(hello, messageSeq, message, record.sequenceNumber, suite, offeredConnectionId, certificates, sessionId, this.handshakeTimers(), {
        transmit: (datagram) => this.transmit(peer, datagram),
        lookupPsk: (identity) => this.options.pskLookup(identity, peer),
        established: (result) => this.onEstablished(peer, key, entry, result),
        failed: (reason, pskIdentity, credential) => this.onHandshakeFailed(peer, key, entry, reason, pskIdentity, credential),
      });
    const entry: PeerHandshake = { handshake, address: peer.address };
    this.register(key, entry);
  }

  /**
   * The cached session a ClientHello offers to resume, when it may be: known and not expired, with the
   * extended master secret offered again (RFC 7627 section 5.3: a session cached with it resumes only
   * with it; only such sessions are cached), and the session's cipher suite among the client's (RFC
   * 5246 section 7.4.1.2). Otherwise the client gets a full handshake.
   */
  private resumableSession(hello: ClientHello, usable: readonly CipherSuite[]): { session: ResumableSession; suite: CipherSuite } | undefined {
    const session = this.sessionCache.find(hello.sessionId);
    if (session === undefined || !hasExtension(hello, ExtensionType.extendedMasterSecret)) return undefined;
    const suite = usable.find((candidate) => candidate.name === session.cipherSuite && candidate.keyExchange === 'psk');
    return suite === undefined || !hello.cipherSuites.includes(suite.id) ? undefined : { session, suite };
  }

  private handshakeTimers(): HandshakeTimers {
    return { initialRetransmitMs: this.options.initialRetransmitMs ?? 1000, maxRetransmitMs: 60_000, handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? 30_000 };
  }

  private register(key: string, entry: PeerHandshake): void {
    this.handshakes.set(key, entry);
    this.handshakesPerAddress.set(entry.address, (this.handshakesPerAddress.get(entry.address) ?? 0) + 1);
  }

  private onHandshakeFailed(peer: PeerAddress, key: string, entry: PeerHandshake, reason: string, pskIdentity: Buffer | undefined, credential: RefusedCredential | undefined): void {
    this.removeHandshake(key, entry);
    this.logger.info({ peer, reason, pskIdentity: pskIdentity?.toString('utf8'), credential }, 'DTLS handshake failed');
    this.emit('handshakeFailed', peer, reason, pskIdentity, credential);
  }

  private onEstablished(peer: PeerAddress, key: string, entry: PeerHandshake, result: EstablishedHandshake): void {
    this.removeHandshake(key, entry);
    const previous = this.sessions.get(key);
    if (previous !== undefined) this.dropSession(previous, 'replaced by a new handshake from the same peer');
    const session = new DtlsSession(peer, result, this.clock.now());
    if (result.resumable !== undefined) this.sessionCache.add(result.resumable);
    this.sessions.set(key, session);
    if (session.connectionId !== undefined) this.sessionsByConnectionId.set(session.connectionId.toString('hex'), session);
    // At debug, as is the closing line: at thousands of handshakes a second two info lines per session
    // would be a log that grows with traffic (and cost about a quarter of the server's CPU, BENCHMARKS.md).
    // Operators see sessions through the metrics (dtls_sessions, dtls_handshakes_total); refused and
    // failed handshakes stay at info. The line's fields are built only when debug is on.
    if (this.logger.isLevelEnabled('debug')) {
      const identity = session.info.authentication === 'psk' ? { pskIdentity: session.info.pskIdentity.toString('utf8') } : { credentialIdentity: session.info.credentialIdentity };
      this.logger.debug({ peer, ...identity, authentication: session.info.authentication, cipherSuite: session.info.cipherSuite, resumed: session.info.resumed }, 'DTLS session established');
    }
    this.emit('sessionEstablished', session.info);
  }

  /**
   * The certificate suites' terms with this client, or undefined when they cannot be used: no server
   * certificate, a client without our curve, point format or signature (RFC 8422 section 4), or no
   * certificate type in common either way (RFC 7250 section 4.2).
   */
  private certificateTerms(hello: ClientHello): CertificateTerms | undefined {
    const authentication = this.options.certificates;
    if (authentication === undefined || !canUseEcdheEcdsa(hello)) return undefined;
    const types: CertificateTypeValue[] = authentication.rawPublicKeys === false ? [CertificateType.x509] : [CertificateType.x509, CertificateType.rawPublicKey];
    const clientType = chooseCertificateType(hello, ExtensionType.clientCertificateType, types);
    // A client that authenticates with a raw public key gets ours too when it takes one: in the LwM2M
    // RPK mode the device knows the server by its public key (Security object /0/x/4, Core 1.1 E.1).
    const serverType = chooseCertificateType(hello, ExtensionType.serverCertificateType, types, clientType === CertificateType.rawPublicKey ? clientType : undefined);
    if (serverType === undefined || clientType === undefined) return undefined;
    return {
      authentication,
      serverType,
      clientType,
      answerServerType: sentExtension(hello, ExtensionType.serverCertificateType),
      answerClientType: sentExtension(hello, ExtensionType.clientCertificateType),
    };
  }

  private removeHandshake(key: string, entry: PeerHandshake): void {
    if (this.handshakes.get(key) !== entry) return;
    entry.handshake.abandon();
    this.handshakes.delete(key);
    const count = (this.handshakesPerAddress.get(entry.address) ?? 1) - 1;
    if (count <= 0) this.handshakesPerAddress.delete(entry.address);
    else this.handshakesPerAddress.set(entry.address, count);
  }

  private dropSession(session: DtlsSession, reason: string): void {
    const key = peerKey(session.info.peer);
    if (this.sessions.get(key) !== session) return;
    this.sessions.delete(key);
    if (session.connectionId !== undefined) this.sessionsByConnectionId.delete(session.connectionId.toString('hex'));
    this.logger.debug({ peer: session.info.peer, reason }, 'DTLS session closed');
    this.emit('sessionClosed', session.info, reason);
  }

  /**
   * RFC 9146 section 6: an authenticated record with the newest sequence number moves the session to its
   * source address. A session still registered there belongs to a client that address no longer reaches.
   */
  private moveSession(session: DtlsSession, peer: PeerAddress): void {
    const previousPeer = session.info.peer;
    const displaced = this.sessions.get(peerKey(peer));
    if (displaced !== undefined) this.dropSession(displaced, 'its address was taken over by another session');
    this.sessions.delete(peerKey(previousPeer));
    session.moveTo(peer);
    this.sessions.set(peerKey(peer), session);
    this.logger.info({ from: previousPeer, to: peer }, 'DTLS session moved to a new address');
    this.emit('sessionMoved', session.info, previousPeer);
  }

  /** Random, and unused by any session (a pending handshake colliding within 2^-8n is not worth a check). */
  private freshConnectionId(): Buffer {
    for (;;) {
      const candidate = handshakeRandoms.take(this.connectionIdLength);
      if (!this.sessionsByConnectionId.has(candidate.toString('hex'))) return candidate;
    }
  }

  private dropIdleSessions(idleMs: number): void {
    const now = this.clock.now().getTime();
    for (const session of [...this.sessions.values()]) {
      if (now - session.lastActivityAt >= idleMs) this.closeSession(session.info.peer, 'idle timeout');
    }
  }

  /**
   * A fatal alert without any state (the handshake never started), echoing the ClientHello's record
   * number; internal_error for our own limits (RFC 5246 section 7.2.2). No version was agreed, so the
   * record says DTLS 1.0, as the HelloVerifyRequest does (RFC 6347 section 4.2.1).
   */
  private refuse(peer: PeerAddress, sequenceNumber: number, description: number, reason: string): void {
    const fragment = serializeAlert({ level: AlertLevel.fatal, description });
    this.transmit(peer, serializeRecord({ type: ContentType.alert, version: DTLS_1_0, epoch: 0, sequenceNumber, fragment }));
    this.emit('handshakeFailed', peer, reason, undefined, undefined);
  }

  private transmit(peer: PeerAddress, datagram: Buffer): void {
    const address = destinationAddress(peer.address, this.socketIsIpv6);
    try {
      this.socket?.send(datagram, peer.port, address, (error) => {
        if (error) this.logger.debug({ err: error, peer }, 'DTLS: send failed');
      });
    } catch (error: unknown) {
      // A source the socket cannot answer (port 0, say): nothing to send back to.
      this.logger.debug({ err: error, peer }, 'DTLS: send refused');
    }
  }
}
