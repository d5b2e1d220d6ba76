/**
 * The CoAP endpoint over TCP and TLS, RFC 8323: the same `CoapEndpoint` interface as the datagram
 * endpoint, so that the registration, device management and bootstrap logic runs unchanged on
 * `coap+tcp` and `coaps+tcp` (LwM2M Transport 1.1 section 5, binding `T`).
 *
 * - One connection is one peer: requests to a device leave over the connection its requests came on
 *   (the peer is the connection's remote address and port). With no open connection to a peer, a
 *   request rejects at once with CoapTimeoutError, and so do the requests pending when it closes: the
 *   device is unreachable, as a silent UDP device is, until it connects and speaks again.
 * - A reliable transport has no Type, Message ID, ACK, RST, retransmission or duplicate detection
 *   (RFC 8323 section 3): responses are matched by token alone, and a response matching nothing is an
 *   observation's notification or is dropped (there is no RST to send, section 4.4).
 * - Signalling, section 5: each side's first message is its CSM (7.01) with Max-Message-Size and
 *   Block-Wise-Transfer; a peer whose first message is not a CSM, or whose CSM carries a critical option
 *   we do not know, is aborted. A Ping (7.02) gets a Pong (7.03) with its token; a Release (7.04) closes
 *   the connection; an Abort (7.05) drops it. A malformed message gets an Abort with the reason and the
 *   connection is closed (section 5.6: a stream cannot be read past a message it cannot delimit).
 * - Limits per connection: Max-Message-Size (ours, announced in our CSM: a longer request gets 4.13 and
 *   is skipped unread, any other longer message aborts the connection), requests handled at once (more
 *   get 5.03) and requests of ours pending (more reject), the bytes waiting for a peer that does not
 *   read (past them the connection is dropped), and an idle timeout after which we send a Release and
 *   close. The server holds at most `maxConnections`.
 * - Block-wise over a reliable transport, section 6: bodies too large for the peer's Max-Message-Size
 *   go as Block1 requests and Block2 responses of up to 1024 bytes; BERT is not offered.
 *
 * The TLS variant (`openTlsCoapEndpoint`) runs a `node:tls` handshake on each accepted TCP connection;
 * the PSK lookup it is given must answer synchronously (OpenSSL calls it inside the handshake), so the
 * caller's `prepare` runs first, while the connection's bytes wait, to bring that lookup up to date. A
 * client certificate (certificate suites) is judged after the handshake by the caller's lookup, before
 * any CoAP is read; a refused one closes the connection.
 */
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { DetailedPeerCertificate, SecureContext, TLSSocketOptions, TlsOptions } from 'node:tls';
import type { Logger } from '../logging/Logger.ts';
import type { Randomness } from '../runtime/Randomness.ts';
import { systemRandomness } from '../runtime/Randomness.ts';
import type { Timer, Timers } from '../runtime/Timers.ts';
import { systemTimers } from '../runtime/Timers.ts';
import { BlockwiseResponder, sendRequest, tooLarge } from './BlockwiseTransfers.ts';
import type { BlockExchange, BlockMessage } from './BlockwiseTransfers.ts';
import type {
  CoapEndpoint,
  CoapPeer,
  CoapRequestHandler,
  CoapResponse,
  IncomingCoapResponse,
  OutgoingCoapRequest,
  UnsolicitedResponseHandler,
} from './CoapEndpoint.ts';
import { CoapProtocolError, CoapTimeoutError, abandonment, peerKey } from './CoapEndpoint.ts';
import type { CoapOption } from './CoapMessage.ts';
import { isCriticalOption, isRequestCode, isResponseCode, methodCode, uintOption, uintOptionOf } from './CoapMessage.ts';
import { offerUnsolicited, requestOptions, responseOptions, serveRequest } from './CoapRequestServing.ts';
import { CoapStreamReader, SignalCode, SignalOption, defaultMaxMessageSize, encodeCoapStreamMessage, isSignalCode } from './CoapStreamCodec.ts';
import type { CoapStreamMessage } from './CoapStreamCodec.ts';
import { defaultTransmissionParameters } from './TransmissionParameters.ts';
import { reportedAddress } from '../runtime/UdpAddresses.ts';

export interface StreamLimits {
  /** The largest message we receive, announced in our CSM (RFC 8323 section 5.3.1). */
  readonly maxMessageSize: number;
  /** Requests of the peer handled at once on one connection, and requests of ours pending on it. */
  readonly maxPendingRequests: number;
  /** A connection without traffic for this long gets a Release and is closed. */
  readonly idleTimeoutMs: number;
  /** How long a request of ours waits for its response. */
  readonly responseTimeoutMs: number;
  readonly maxConnections: number;
  /** Largest body a peer may make us reassemble from blocks, either way. */
  readonly maxBodySize: number;
  /** Bound on concurrent block-wise transfers of all connections. */
  readonly maxBlockTransfers: number;
  /** How long a TLS handshake may take. */
  readonly handshakeTimeoutMs: number;
  /** Bytes we may hold for a peer that does not read what we send; past it the connection is dropped. */
  readonly maxWriteBufferBytes: number;
}

export const defaultStreamLimits: StreamLimits = {
  maxMessageSize: 8192,
  maxPendingRequests: 16,
  idleTimeoutMs: 600_000,
  responseTimeoutMs: defaultTransmissionParameters.responseTimeoutMs,
  maxConnections: 10_000,
  maxBodySize: defaultTransmissionParameters.maxBodySize,
  maxBlockTransfers: 1_000,
  handshakeTimeoutMs: 10_000,
  maxWriteBufferBytes: 1 << 20,
};

export interface StreamCoapEndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly limits?: Partial<StreamLimits>;
  /** The system's unless a test moves time or fixes randomness itself. */
  readonly timers?: Timers;
  readonly randomness?: Randomness;
}

/**
 * A TLS handshake that did not complete, or whose client certificate was refused: its reason for
 * operators, the PSK identity the client offered, or the certificate it sent (its own).
 */
export interface TlsHandshakeFailure {
  readonly peer: CoapPeer;
  readonly reason: string;
  readonly pskIdentity: string | null;
  /** The client's own certificate, refused, and the endpoint it names (bound to no device, or not this one). */
  readonly certificate: { readonly leaf: X509Certificate; readonly namedEndpoint: string | null } | null;
}

/** How a TLS connection authenticated its client: with a PSK identity, or a certificate bound to an endpoint. */
export type TlsAuthentication = { readonly kind: 'psk'; readonly identity: string } | { readonly kind: 'certificate'; readonly endpoint: string };

/** A verdict on a client's certificate chain (its own certificate first): the endpoint it is bound to, or why not. */
export type TlsCertificateVerdict = { readonly ok: true; readonly endpoint: string } | { readonly ok: false; readonly reason: string; readonly namedEndpoint: string | null };

export interface TlsCoapEndpointOptions extends StreamCoapEndpointOptions {
  /** Protocol versions, suites and (optionally) certificate of the server (`tls.createSecureContext`). */
  readonly secureContext: SecureContext;
  /** The key of a PSK identity (RFC 4279), or null: unknown. Called inside the handshake, so synchronous. */
  readonly pskLookup: (identity: string) => Buffer | null;
  /** Runs before each handshake, while the connection waits: brings what `pskLookup` reads up to date. */
  readonly prepare?: () => Promise<void>;
  /**
   * Judges the certificate a client sent in a certificate suite (ECDHE-ECDSA; the secure context then
   * holds the server's certificate). The handshake asks for one but accepts none: the verdict, not
   * OpenSSL's chain check, decides, and a client with neither PSK nor certificate is authenticated as
   * nobody (every registration of a secured device, and of a NO_SEC one on this port, is refused).
   */
  readonly certificateLookup?: (chain: readonly X509Certificate[]) => Promise<TlsCertificateVerdict>;
  readonly onHandshakeFailed?: (failure: TlsHandshakeFailure) => void;
}

/** Room for the code, token and options of a message beside its body within the peer's Max-Message-Size. */
const headroom = 128;
/** RFC 7959 section 2.2: the largest block (SZX 6); larger ones would be BERT (RFC 8323 section 6). */
const maxBlockSize = 1024;

interface PendingRequest {
  readonly resolve: (message: CoapStreamMessage) => void;
  readonly reject: (error: Error) => void;
}

interface Connection {
  readonly socket: Socket;
  readonly peer: CoapPeer;
  readonly key: string;
  readonly reader: CoapStreamReader;
  /** What the TLS handshake authenticated; null over plain TCP. */
  readonly authentication: TlsAuthentication | null;
  /** The peer's Max-Message-Size, from its CSM. */
  peerMaxMessageSize: number;
  csmReceived: boolean;
  handling: number;
  readonly pending: Map<string, PendingRequest>;
  closed: boolean;
}

/** A CoAP endpoint on a plain TCP port (`coap+tcp`). */
export function openTcpCoapEndpoint(options: StreamCoapEndpointOptions): Promise<StreamCoapEndpoint> {
  return listening(new StreamCoapEndpoint(options), (endpoint, socket) => endpoint.adopt(socket, null));
}

/** A CoAP endpoint on a TLS port (`coaps+tcp`): a TLS handshake on each connection, then CoAP over it. */
export function openTlsCoapEndpoint(options: TlsCoapEndpointOptions): Promise<StreamCoapEndpoint> {
  return listening(new StreamCoapEndpoint(options), (endpoint, socket) => endpoint.secure(socket, options));
}

/** The endpoint once its port is bound; closed again (its timer with it) when the port cannot be. */
async function listening(endpoint: StreamCoapEndpoint, accept: (endpoint: StreamCoapEndpoint, socket: Socket) => void): Promise<StreamCoapEndpoint> {
  try {
    await endpoint.listen((socket) => accept(endpoint, socket));
    return endpoint;
  } catch (error) {
    await endpoint.close();
    throw error;
  }
}

export class StreamCoapEndpoint implements CoapEndpoint {
  #local: CoapPeer = { address: '', port: 0 };
  readonly #host: string;
  readonly #port: number;
  readonly #logger: Logger;
  readonly #limits: StreamLimits;
  readonly #server: Server;
  readonly #connections = new Map<string, Connection>();
  readonly #blockwise: BlockwiseResponder;
  readonly #timers: Timers;
  readonly #randomness: Randomness;
  readonly #sweeper: Timer;
  #handler: CoapRequestHandler | undefined;
  #unsolicited: UnsolicitedResponseHandler | undefined;
  #closed = false;

  constructor(options: StreamCoapEndpointOptions) {
    this.#host = options.host;
    this.#port = options.port;
    this.#logger = options.logger;
    this.#limits = { ...defaultStreamLimits, ...options.limits };
    this.#server = createServer({ pauseOnConnect: true });
    this.#server.maxConnections = this.#limits.maxConnections;
    this.#timers = options.timers ?? systemTimers;
    this.#randomness = options.randomness ?? systemRandomness;
    this.#blockwise = new BlockwiseResponder({ maxBodySize: this.#limits.maxBodySize, maxTransfers: this.#limits.maxBlockTransfers, lifetimeMs: this.#limits.responseTimeoutMs, now: () => this.#timers.now() });
    this.#sweeper = this.#timers.every(1_000, () => this.#blockwise.sweep(this.#timers.now()));
  }

  get local(): CoapPeer {
    return this.#local;
  }

  /** Whether its port is open: from listen until close (readiness reports it). */
  get listening(): boolean {
    return this.#server.listening && !this.#closed;
  }

  /** Open connections, for metrics. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** What the TLS handshake of the peer's open connection authenticated; null over TCP or without a connection. */
  authenticationOf(peer: CoapPeer): TlsAuthentication | null {
    return this.#connections.get(peerKey(peer))?.authentication ?? null;
  }

  /** The PSK identity the TLS handshake of the peer's open connection authenticated; null otherwise. */
  pskIdentityOf(peer: CoapPeer): string | null {
    const authentication = this.authenticationOf(peer);
    return authentication?.kind === 'psk' ? authentication.identity : null;
  }

  /** Whether the peer has an open connection to this endpoint. */
  isConnected(peer: CoapPeer): boolean {
    return this.#connections.has(peerKey(peer));
  }

  /** Binds the port; `accept` takes each connection (paused until it reads). */
  async listen(accept: (socket: Socket) => void): Promise<void> {
    this.#server.on('connection', (socket: Socket) => {
      if (this.#closed) socket.destroy();
      else accept(socket);
    });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#host, port: this.#port }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#server.on('error', (error) => this.#logger.error({ err: error }, 'CoAP stream server error'));
    const address = this.#server.address() as AddressInfo;
    this.#local = { address: address.address, port: address.port };
  }

  /** Runs a TLS handshake on an accepted connection, then serves CoAP over it. */
  secure(raw: Socket, options: TlsCoapEndpointOptions): void {
    const peer = peerOf(raw);
    /** The identity the client offered, and whether we had a key for it. */
    let offered: { readonly identity: string; readonly known: boolean } | undefined;
    let secured = false;
    const refuse = (reason: string, certificate: TlsHandshakeFailure['certificate']): void => {
      raw.destroy();
      clearTimeout(deadline);
      this.#logger.debug({ peer, reason }, 'TLS handshake failed');
      options.onHandshakeFailed?.({ peer, reason, pskIdentity: offered?.identity ?? null, certificate });
    };
    const fail = (cause: string): void => {
      if (secured || raw.destroyed) return;
      // The reasons DTLS handshakes give (ServerHandshake.ts); OpenSSL's own text follows for operators.
      refuse(offered === undefined ? cause : offered.known ? `handshake failed after the PSK identity (wrong PSK?): ${cause}` : 'unknown PSK identity', null);
    };
    raw.on('error', (error) => fail(error.message));
    const deadline = setTimeout(() => (secured ? raw.destroy() : fail('handshake timed out')), this.#limits.handshakeTimeoutMs);
    deadline.unref();
    const start = (): void => {
      if (raw.destroyed || this.#closed) {
        clearTimeout(deadline);
        return;
      }
      // A TLSSocket takes a server's pskCallback as tls.Server passes it on; its options type omits it.
      const tlsOptions: TLSSocketOptions & Pick<TlsOptions, 'pskCallback'> = {
        isServer: true,
        secureContext: options.secureContext,
        ...(options.certificateLookup === undefined ? {} : { requestCert: true, rejectUnauthorized: false }),
        pskCallback: (_socket, identity) => {
          const key = options.pskLookup(identity);
          offered = { identity, known: key !== null };
          return key;
        },
      };
      const socket = new TLSSocket(raw, tlsOptions);
      socket.on('error', (error: Error) => fail(error.message.trim()));
      socket.once('secure', () => {
        secured = true;
        this.#logger.debug({ peer, protocol: socket.getProtocol(), cipher: socket.getCipher().name }, 'TLS handshake done');
        const certificate = socket.getPeerX509Certificate();
        if (offered !== undefined || certificate === undefined || options.certificateLookup === undefined) {
          clearTimeout(deadline);
          this.adopt(socket, offered === undefined ? null : { kind: 'psk', identity: offered.identity });
          return;
        }
        // The connection's bytes wait (no reader yet) until the certificate is judged, within the handshake's deadline.
        options.certificateLookup(peerChain(socket)).then(
          (verdict) => {
            if (raw.destroyed) return;
            if (!verdict.ok) refuse(verdict.reason, { leaf: certificate, namedEndpoint: verdict.namedEndpoint });
            else {
              clearTimeout(deadline);
              this.adopt(socket, { kind: 'certificate', endpoint: verdict.endpoint });
            }
          },
          (error: unknown) => {
            this.#logger.error({ err: error, peer }, 'client certificate could not be judged; connection refused');
            raw.destroy();
          },
        );
      });
      raw.resume();
    };
    if (options.prepare === undefined) start();
    else
      options.prepare().then(start, (error: unknown) => {
        clearTimeout(deadline);
        this.#logger.error({ err: error, peer }, 'TLS accounts could not be read; connection refused');
        raw.destroy();
      });
  }

  /** Serves CoAP over a connection: sends our CSM and reads the peer's messages. */
  adopt(socket: Socket, authentication: TlsAuthentication | null): void {
    const peer = peerOf(socket);
    const connection: Connection = {
      socket,
      peer,
      key: peerKey(peer),
      reader: new CoapStreamReader(this.#limits.maxMessageSize),
      authentication,
      peerMaxMessageSize: defaultMaxMessageSize,
      csmReceived: false,
      handling: 0,
      pending: new Map(),
      closed: false,
    };
    this.#connections.get(connection.key)?.socket.destroy();
    this.#connections.set(connection.key, connection);
    socket.setNoDelay(true);
    socket.setTimeout(this.#limits.idleTimeoutMs, () => this.#release(connection, 'idle'));
    socket.on('data', (chunk: Buffer) => this.#onData(connection, chunk));
    socket.on('error', (error) => this.#logger.debug({ peer, err: error }, 'CoAP stream connection error'));
    socket.on('close', () => this.#forget(connection));
    // RFC 8323 section 5.3: the CSM is each side's first message; the acceptor need not wait for the initiator's.
    this.#write(connection, {
      code: SignalCode.Csm,
      token: new Uint8Array(0),
      options: [uintOptionOf(SignalOption.MaxMessageSize, this.#limits.maxMessageSize), { number: SignalOption.BlockWiseTransfer, value: new Uint8Array(0) }],
      payload: new Uint8Array(0),
    });
    socket.resume();
    this.#logger.debug({ peer, authentication: authentication?.kind ?? null }, 'CoAP stream connection open');
  }

  handle(handler: CoapRequestHandler): void {
    this.#handler = handler;
  }

  handleUnsolicited(handler: UnsolicitedResponseHandler): void {
    this.#unsolicited = handler;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweeper.cancel();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const connection of [...this.#connections.values()]) {
      connection.socket.destroy();
      this.#forget(connection);
    }
    await closed;
  }

  // ---------------------------------------------------------------- outgoing requests

  async request(peer: CoapPeer, request: OutgoingCoapRequest): Promise<IncomingCoapResponse> {
    const connection = this.#connections.get(peerKey(peer));
    if (connection === undefined || connection.closed) throw new CoapTimeoutError(peer, 'open connection');
    const token = request.token ?? this.#randomness.bytes(8);
    const code = methodCode(request.method);
    const exchange: BlockExchange = (options, payload) => this.#exchange(connection, { code, token, options, payload }, request.signal);
    return sendRequest(peer, exchange, requestOptions(request), request.payload ?? new Uint8Array(0), request.block2, { ...sizesFor(connection), maxBodySize: this.#limits.maxBodySize });
  }

  /** Sends one request message over the connection and resolves with the response that carries its token. */
  #exchange(connection: Connection, message: CoapStreamMessage, signal: AbortSignal | undefined): Promise<BlockMessage> {
    const { peer } = connection;
    if (connection.closed) return Promise.reject(new CoapTimeoutError(peer, 'open connection'));
    if (signal?.aborted) return Promise.reject(abandonment(signal));
    if (connection.pending.size >= this.#limits.maxPendingRequests) {
      return Promise.reject(new CoapProtocolError(peer, `${this.#limits.maxPendingRequests} requests already wait for this peer's responses`));
    }
    const tokenKey = Buffer.from(message.token).toString('hex');
    if (connection.pending.has(tokenKey)) return Promise.reject(new CoapProtocolError(peer, 'a request with this token is already pending'));
    return new Promise<BlockMessage>((resolve, reject) => {
      const settle = (): void => {
        timer.cancel();
        signal?.removeEventListener('abort', abandon);
        if (connection.pending.get(tokenKey) === pending) connection.pending.delete(tokenKey);
      };
      const pending: PendingRequest = {
        resolve: (response) => {
          settle();
          resolve(response);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const abandon = (): void => pending.reject(abandonment(signal));
      const timer = this.#timers.after(this.#limits.responseTimeoutMs, () => pending.reject(new CoapTimeoutError(peer, 'response')));
      signal?.addEventListener('abort', abandon, { once: true });
      connection.pending.set(tokenKey, pending);
      this.#write(connection, message);
    });
  }

  // ---------------------------------------------------------------- incoming messages

  #onData(connection: Connection, chunk: Buffer): void {
    try {
      // A plain view, so that the messages' parts are Uint8Arrays as the datagram endpoint's are, not Buffers.
      for (const item of connection.reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        if (connection.closed) return;
        if (item.kind === 'format') {
          this.#abort(connection, `message format error at byte ${item.offset}: ${item.reason}`);
          return;
        }
        if (item.kind === 'oversize') {
          this.#onOversize(connection, item.code, item.token, item.length);
          continue;
        }
        this.#dispatch(connection, item.message);
      }
    } catch (error) {
      // A bug of ours must not let a peer take the process down: log it and drop the connection.
      this.#logger.error({ err: error, peer: connection.peer }, 'CoAP stream handling failed');
      connection.socket.destroy();
    }
  }

  #onOversize(connection: Connection, code: string, token: Uint8Array, length: number): void {
    const limit = this.#limits.maxMessageSize;
    this.#logger.debug({ peer: connection.peer, code, length, limit }, 'CoAP message over Max-Message-Size');
    if (!connection.csmReceived || !isRequestCode(code)) {
      this.#abort(connection, `a message of ${length} bytes exceeds the Max-Message-Size of ${limit}`);
      return;
    }
    // RFC 7959 section 2.9.3: 4.13, with Size1 telling the size we take; the peer may use Block1 instead.
    const refusal = tooLarge(limit);
    this.#write(connection, { code: refusal.code, token, options: refusal.options ?? [], payload: new Uint8Array(0) });
  }

  #dispatch(connection: Connection, message: CoapStreamMessage): void {
    if (!connection.csmReceived && message.code !== SignalCode.Csm) {
      this.#abort(connection, 'the first message must be a CSM (RFC 8323 section 5.3)');
      return;
    }
    if (isSignalCode(message.code)) {
      this.#onSignal(connection, message);
      return;
    }
    // RFC 8323 section 3.3 / RFC 7252 section 4.1: an empty message (0.00) carries nothing, and is ignored.
    if (message.code === '0.00') return;
    if (isRequestCode(message.code)) {
      this.#onRequest(connection, message);
      return;
    }
    if (isResponseCode(message.code)) this.#onResponse(connection, message);
  }

  #onSignal(connection: Connection, message: CoapStreamMessage): void {
    switch (message.code) {
      case SignalCode.Csm: {
        const critical = message.options.find((option) => isCriticalOption(option.number) && option.number !== SignalOption.MaxMessageSize);
        if (critical !== undefined) {
          // RFC 8323 section 5.3: an unknown critical CSM option aborts, naming it in Bad-CSM-Option.
          this.#abort(connection, `unknown critical CSM option ${critical.number}`, [uintOptionOf(SignalOption.BadCsmOption, critical.number)]);
          return;
        }
        const size = uintOption(message.options, SignalOption.MaxMessageSize);
        if (size !== undefined) connection.peerMaxMessageSize = size;
        connection.csmReceived = true;
        return;
      }
      case SignalCode.Ping:
        // Section 5.4: a Pong answers with the Ping's token; we hold no responses back, so Custody needs no wait.
        this.#write(connection, { code: SignalCode.Pong, token: message.token, options: [], payload: new Uint8Array(0) });
        return;
      case SignalCode.Release:
        this.#logger.debug({ peer: connection.peer }, 'peer released the CoAP connection');
        connection.socket.end();
        return;
      case SignalCode.Abort:
        this.#logger.debug({ peer: connection.peer, diagnostic: new TextDecoder().decode(message.payload) }, 'peer aborted the CoAP connection');
        connection.socket.destroy();
        return;
      default:
        // Pong (we send no Ping), and signalling codes this version does not define: nothing to do.
        return;
    }
  }

  #onRequest(connection: Connection, message: CoapStreamMessage): void {
    const reply = (response: CoapResponse): void => {
      this.#write(connection, { code: response.code, token: message.token, options: responseOptions(response), payload: response.payload ?? new Uint8Array(0) });
    };
    if (connection.handling >= this.#limits.maxPendingRequests) {
      reply({ code: '5.03', payload: new TextEncoder().encode('too many requests in progress on this connection') });
      return;
    }
    connection.handling += 1;
    const { blockSize, wholeBodyLimit } = sizesFor(connection);
    serveRequest(message, connection.peer, { handler: this.#handler, blockwise: this.#blockwise, blockSize, wholeBodyLimit, logger: this.#logger })
      .then(reply, (error: unknown) => this.#logger.error({ err: error, peer: connection.peer }, 'CoAP request handling failed'))
      .finally(() => {
        connection.handling -= 1;
      });
  }

  #onResponse(connection: Connection, message: CoapStreamMessage): void {
    const pending = connection.pending.get(Buffer.from(message.token).toString('hex'));
    if (pending !== undefined) {
      pending.resolve(message);
      return;
    }
    // RFC 8323 section 3: over TCP and TLS nothing is acknowledged (the transport is reliable), so nothing waits for the value to be stored.
    void offerUnsolicited(this.#unsolicited, message, connection.peer, this.#logger);
  }

  // ---------------------------------------------------------------- connection state

  #write(connection: Connection, message: CoapStreamMessage): void {
    if (connection.closed || connection.socket.destroyed) return;
    const { socket } = connection;
    // A peer that sends requests and never reads the responses would make us hold them without bound.
    if (socket.writableLength > this.#limits.maxWriteBufferBytes) {
      this.#logger.debug({ peer: connection.peer, buffered: socket.writableLength }, 'CoAP peer does not read what it is sent; connection dropped');
      this.#forget(connection);
      socket.destroy();
      return;
    }
    socket.write(encodeCoapStreamMessage(message));
  }

  /** RFC 8323 section 5.6: Abort, with the reason as its diagnostic payload, then close. */
  #abort(connection: Connection, reason: string, options: CoapOption[] = []): void {
    this.#logger.debug({ peer: connection.peer, reason }, 'aborting the CoAP connection');
    if (connection.closed || connection.socket.destroyed) return;
    const bytes = encodeCoapStreamMessage({ code: SignalCode.Abort, token: new Uint8Array(0), options, payload: new TextEncoder().encode(reason) });
    this.#forget(connection);
    connection.socket.end(bytes, () => connection.socket.destroy());
  }

  /** RFC 8323 section 5.5: Release tells the peer we close the connection (here: idle for too long). */
  #release(connection: Connection, reason: string): void {
    this.#logger.debug({ peer: connection.peer, reason }, 'releasing the CoAP connection');
    const bytes = encodeCoapStreamMessage({ code: SignalCode.Release, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    this.#forget(connection);
    connection.socket.end(bytes, () => connection.socket.destroy());
  }

  #forget(connection: Connection): void {
    if (connection.closed) return;
    connection.closed = true;
    if (this.#connections.get(connection.key) === connection) this.#connections.delete(connection.key);
    for (const pending of [...connection.pending.values()]) pending.reject(new CoapTimeoutError(connection.peer, 'response before the connection closed'));
    this.#logger.debug({ peer: connection.peer }, 'CoAP stream connection closed');
  }
}

/** Block size and largest whole body for messages to this peer, from its Max-Message-Size (RFC 8323 section 6). */
function sizesFor(connection: Connection): { readonly blockSize: number; readonly wholeBodyLimit: number } {
  const room = Math.max(16, connection.peerMaxMessageSize - headroom);
  return { blockSize: Math.min(maxBlockSize, 2 ** Math.floor(Math.log2(room))), wholeBodyLimit: room };
}

/** The certificates a TLS client sent, its own first, as far as the chain reaches (RFC 5246 section 7.4.2). */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let certificate: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (certificate?.raw !== undefined && !seen.has(certificate.fingerprint256)) {
    seen.add(certificate.fingerprint256);
    chain.push(new X509Certificate(certificate.raw));
    certificate = certificate.issuerCertificate;
  }
  return chain;
}

function peerOf(socket: Socket): CoapPeer {
  return { address: reportedAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
}
