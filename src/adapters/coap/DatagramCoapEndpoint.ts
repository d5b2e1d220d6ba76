/**
 * The CoAP endpoint (RFC 7252) over one datagram transport (one UDP socket, or DTLS over one UDP
 * socket), serving incoming requests and sending requests to peers from the same socket.
 *
 * Why not node-coap's server and Agent on a shared socket: node-coap allows it (`server.listen(socket)`,
 * `new Agent({ socket })`), but its Agent matches ACK and RST by message id alone, whatever the
 * sender: with one socket for a whole fleet, device B's ACK that happens to carry the id of a request
 * pending at device A stops A's retransmissions (RFC 7252 section 4.4 matches on message id AND source
 * endpoint). We checked it: a request to a silent peer was transmitted once instead of retrying after
 * a foreign peer sent an empty ACK with its id. Its server also sends its error replies to the
 * peer's port without the peer's address (`_sendError`), keeps Block1 fragments without a bound, and
 * reads its timing from a process-wide mutable object. node-coap stays the test client's library
 * (an independent implementation to test against); this endpoint is the smallest correct
 * alternative, on a datagram transport (`node:dgram` for UDP) with our own strict codec
 * (`CoapMessageCodec.ts`), implementing:
 * - confirmable retransmission with exponential back-off, RFC 7252 section 4.2, with the transmission
 *   parameters of section 4.8 as one object (`TransmissionParameters.ts`);
 * - duplicate detection per peer and message id for EXCHANGE_LIFETIME / NON_LIFETIME, section 4.5,
 *   replaying the stored reply;
 * - piggybacked responses, or an empty ACK and a separate confirmable response when the handler takes
 *   longer than the piggyback window, section 5.2;
 * - RST: to an empty CON ("ping"), to unexpected responses and to malformed confirmable messages
 *   (section 4.2); an RST to our request rejects it (and, later, cancels an observation);
 * - block-wise transfers both ways, RFC 7959: Block1 reassembly of large request bodies and Block1
 *   sending of ours; Block2 slicing of large responses and Block2 fetching of the peer's.
 * IPv4 and IPv6: see `UdpDatagramTransport` (one dual-stack socket per port).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logging/Logger.ts';
import type { CoapMessage, CoapType } from './CoapMessage.ts';
import { OptionNumber, isRequestCode, isResponseCode, methodCode, uintOption } from './CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from './CoapMessageCodec.ts';
import { BlockwiseResponder, evictIfFull, sendRequest } from './BlockwiseTransfers.ts';
import type { BlockExchange } from './BlockwiseTransfers.ts';
import { requestOptions, responseOptions, serveRequest } from './CoapRequestServing.ts';
import type { TransmissionParameters } from './TransmissionParameters.ts';
import { defaultTransmissionParameters, exchangeLifetimeMs, initialTimeoutMs, nonLifetimeMs } from './TransmissionParameters.ts';
import type {
  CoapEndpoint,
  CoapPeer,
  CoapRequestHandler,
  CoapResponse,
  IncomingCoapResponse,
  OutgoingCoapRequest,
  UnsolicitedResponseHandler,
} from './CoapEndpoint.ts';
import { CoapResetError, CoapTimeoutError, abandonment, peerKey } from './CoapEndpoint.ts';
import type { DatagramTransport } from './DatagramTransport.ts';
import { UdpDatagramTransport } from './UdpDatagramTransport.ts';

export interface DatagramCoapEndpointOptions {
  readonly logger: Logger;
  readonly parameters?: Partial<TransmissionParameters>;
  /** Bound on remembered message ids (duplicate detection) and on concurrent block transfers. */
  readonly maxRememberedExchanges?: number;
  readonly maxBlockTransfers?: number;
}

export interface UdpCoapEndpointOptions extends DatagramCoapEndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly receiveBufferBytes?: number;
}

interface Remembered {
  readonly expiresAt: number;
  /** The reply sent for this message, replayed to duplicates; undefined while it is being handled. */
  reply: Uint8Array | undefined;
}

/** One outgoing message awaiting an ACK/RST (if confirmable) and, for requests, a response. */
interface Exchange {
  readonly peer: CoapPeer;
  readonly messageId: number;
  readonly tokenKey: string | undefined;
  readonly resolve: (message: CoapMessage) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** A CoAP endpoint on its own UDP socket bound to `host`:`port`. */
export async function openUdpCoapEndpoint(options: UdpCoapEndpointOptions): Promise<DatagramCoapEndpoint> {
  const transport = await UdpDatagramTransport.open(options);
  return new DatagramCoapEndpoint(transport, options);
}

export class DatagramCoapEndpoint implements CoapEndpoint {
  readonly local: CoapPeer;
  readonly #transport: DatagramTransport;
  readonly #logger: Logger;
  readonly #params: TransmissionParameters;
  readonly #maxRemembered: number;
  #handler: CoapRequestHandler | undefined;
  #unsolicited: UnsolicitedResponseHandler | undefined;
  #nextMessageId = randomBytes(2).readUInt16BE(0);
  readonly #remembered = new Map<string, Remembered>();
  readonly #blockwise: BlockwiseResponder;
  readonly #byMessageId = new Map<string, Exchange>();
  readonly #byToken = new Map<string, Exchange>();
  readonly #separateResponses = new Set<Exchange>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;
  #retransmissions = 0;
  #droppedDatagrams = 0;

  constructor(transport: DatagramTransport, options: DatagramCoapEndpointOptions) {
    this.#transport = transport;
    this.#logger = options.logger;
    this.#params = { ...defaultTransmissionParameters, ...options.parameters };
    this.#maxRemembered = options.maxRememberedExchanges ?? 200_000;
    this.#blockwise = new BlockwiseResponder({ maxBodySize: this.#params.maxBodySize, maxTransfers: options.maxBlockTransfers ?? 1_000, lifetimeMs: exchangeLifetimeMs(this.#params) });
    this.local = transport.local;
    transport.onDatagram((bytes, peer) => this.#onDatagram(bytes, peer));
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(50, this.#params.ackTimeoutMs));
    this.#sweeper.unref();
  }

  /** Whether its socket is open: from open until close (readiness reports it). */
  get listening(): boolean {
    return !this.#closed;
  }

  /** Totals since it opened, for metrics: messages sent again for want of an ACK, datagrams dropped (malformed, unmatched, failed). */
  traffic(): { readonly retransmissions: number; readonly droppedDatagrams: number } {
    return { retransmissions: this.#retransmissions, droppedDatagrams: this.#droppedDatagrams };
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
    clearInterval(this.#sweeper);
    for (const exchange of [...this.#byMessageId.values(), ...this.#byToken.values(), ...this.#separateResponses]) {
      clearTimeout(exchange.timer);
      exchange.reject(new Error('CoAP endpoint closed'));
    }
    this.#byMessageId.clear();
    this.#byToken.clear();
    this.#separateResponses.clear();
    await this.#transport.close();
  }

  // ---------------------------------------------------------------- outgoing requests

  async request(peer: CoapPeer, request: OutgoingCoapRequest): Promise<IncomingCoapResponse> {
    // maxBodySize bounds what peers make us hold; a body of ours (a firmware package pushed with Block1)
    // is already in memory and as large as the operator made it.
    const body = request.payload ?? new Uint8Array(0);
    const token = request.token ?? randomBytes(8);
    const type = (request.confirmable ?? true) ? 'CON' : 'NON';
    const code = methodCode(request.method);
    const exchange: BlockExchange = (options, payload) => this.#exchange(peer, { type, code, token, options, payload }, request.signal);
    const { blockSize, maxBodySize } = this.#params;
    return sendRequest(peer, exchange, requestOptions(request), body, request.block2, { blockSize, wholeBodyLimit: blockSize, maxBodySize });
  }

  /** Sends one request message and resolves with the response message (piggybacked or separate). */
  #exchange(peer: CoapPeer, message: Omit<CoapMessage, 'messageId'>, signal: AbortSignal | undefined): Promise<CoapMessage> {
    if (this.#closed) return Promise.reject(new Error('CoAP endpoint closed'));
    if (signal?.aborted) return Promise.reject(abandonment(signal));
    const messageId = this.#allocateMessageId();
    const bytes = encodeCoapMessage({ ...message, messageId });
    const key = peerKey(peer);
    return new Promise<CoapMessage>((resolve, reject) => {
      const tokenKey = `${key}|${Buffer.from(message.token).toString('hex')}`;
      const abandon = (): void => exchange.reject(abandonment(signal));
      const exchange: Exchange = {
        peer,
        messageId,
        tokenKey,
        resolve: (response) => {
          signal?.removeEventListener('abort', abandon);
          this.#forget(exchange);
          resolve(response);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', abandon);
          this.#forget(exchange);
          reject(error);
        },
        timer: undefined,
      };
      signal?.addEventListener('abort', abandon, { once: true });
      this.#byToken.set(tokenKey, exchange);
      if (message.type === 'CON') {
        this.#byMessageId.set(`${key}|${messageId}`, exchange);
        this.#retransmit(exchange, bytes, 0, initialTimeoutMs(this.#params, Math.random()), () => {
          exchange.reject(new CoapTimeoutError(peer, 'acknowledgement'));
        });
      } else {
        this.#send(bytes, peer);
        this.#awaitResponse(exchange);
      }
    });
  }

  #retransmit(exchange: Exchange, bytes: Uint8Array, attempt: number, timeoutMs: number, giveUp: () => void): void {
    if (attempt > 0) this.#retransmissions += 1;
    this.#send(bytes, exchange.peer);
    exchange.timer = setTimeout(() => {
      if (attempt >= this.#params.maxRetransmit) giveUp();
      else this.#retransmit(exchange, bytes, attempt + 1, timeoutMs * 2, giveUp);
    }, timeoutMs);
  }

  #awaitResponse(exchange: Exchange): void {
    clearTimeout(exchange.timer);
    exchange.timer = setTimeout(() => exchange.reject(new CoapTimeoutError(exchange.peer, 'response')), this.#params.responseTimeoutMs);
  }

  #forget(exchange: Exchange): void {
    clearTimeout(exchange.timer);
    const key = peerKey(exchange.peer);
    if (this.#byMessageId.get(`${key}|${exchange.messageId}`) === exchange) this.#byMessageId.delete(`${key}|${exchange.messageId}`);
    if (exchange.tokenKey !== undefined && this.#byToken.get(exchange.tokenKey) === exchange) this.#byToken.delete(exchange.tokenKey);
    this.#separateResponses.delete(exchange);
  }

  #allocateMessageId(): number {
    this.#nextMessageId = (this.#nextMessageId + 1) & 0xffff;
    return this.#nextMessageId;
  }

  // ---------------------------------------------------------------- incoming datagrams

  #onDatagram(bytes: Uint8Array, peer: CoapPeer): void {
    try {
      this.#dispatch(bytes, peer);
    } catch (error) {
      // A bug of ours must not let a peer take the process down: log it and drop the datagram.
      this.#droppedDatagrams += 1;
      this.#logger.error({ err: error, peer }, 'CoAP datagram handling failed');
    }
  }

  #dispatch(bytes: Uint8Array, peer: CoapPeer): void {
    const decoded = decodeCoapMessage(bytes);
    if (!decoded.ok) {
      const { error } = decoded;
      this.#droppedDatagrams += 1;
      this.#logger.debug({ peer, reason: error.reason, offset: error.offset }, 'malformed CoAP message dropped');
      // RFC 7252 section 4.2: a confirmable message with a format error is rejected with RST.
      if (error.header?.type === 'CON') this.#sendEmpty('RST', error.header.messageId, peer);
      return;
    }
    const message = decoded.message;
    if (message.type === 'ACK' || message.type === 'RST') {
      this.#onAckOrReset(message, peer);
      return;
    }
    const rememberKey = `${peerKey(peer)}|${message.messageId}`;
    const remembered = this.#remembered.get(rememberKey);
    if (remembered) {
      // RFC 7252 section 4.5: a duplicate gets the same reply again, and is not processed twice.
      if (remembered.reply) this.#send(remembered.reply, peer);
      return;
    }
    if (message.code === '0.00') {
      // RFC 7252 section 4.3: an empty CON is a "ping", answered with RST.
      if (message.type === 'CON') this.#sendEmpty('RST', message.messageId, peer);
      return;
    }
    const entry = this.#remember(rememberKey, message.type === 'CON' ? exchangeLifetimeMs(this.#params) : nonLifetimeMs(this.#params));
    if (isRequestCode(message.code)) {
      this.#onRequest(message, peer, entry).catch((error: unknown) => {
        this.#logger.error({ err: error, peer }, 'CoAP request handling failed');
      });
    } else if (isResponseCode(message.code)) {
      this.#onSeparateResponse(message, peer, entry);
    } else if (message.type === 'CON') {
      entry.reply = this.#sendEmpty('RST', message.messageId, peer);
    }
  }

  #onAckOrReset(message: CoapMessage, peer: CoapPeer): void {
    const key = `${peerKey(peer)}|${message.messageId}`;
    const exchange = this.#byMessageId.get(key);
    if (!exchange) {
      this.#droppedDatagrams += 1; // RFC 7252 section 4.2: unmatched ACK/RST are silently ignored
      return;
    }
    // A piggybacked response must also carry the request's token (section 5.3.2); one that does not
    // is not ours, and the request keeps waiting (and retransmitting).
    const piggybacked = message.type === 'ACK' && message.code !== '0.00' && !this.#separateResponses.has(exchange);
    if (piggybacked && !tokensMatch(exchange, peer, message.token)) return;
    this.#byMessageId.delete(key);
    if (message.type === 'RST') {
      exchange.reject(new CoapResetError(peer));
    } else if (this.#separateResponses.has(exchange)) {
      exchange.resolve(message);
    } else if (message.code === '0.00') {
      this.#awaitResponse(exchange); // section 5.2.2: the response will come separately
    } else {
      exchange.resolve(message);
    }
  }

  #onSeparateResponse(message: CoapMessage, peer: CoapPeer, entry: Remembered): void {
    const tokenKey = `${peerKey(peer)}|${Buffer.from(message.token).toString('hex')}`;
    const exchange = this.#byToken.get(tokenKey);
    if (!exchange) {
      if (this.#acceptsUnsolicited(message, peer)) {
        if (message.type === 'CON') entry.reply = this.#sendEmpty('ACK', message.messageId, peer);
        return;
      }
      // RFC 7252 section 5.3.2 and RFC 7641 section 3.6: an unexpected response is rejected with RST.
      entry.reply = this.#sendEmpty('RST', message.messageId, peer);
      return;
    }
    if (message.type === 'CON') entry.reply = this.#sendEmpty('ACK', message.messageId, peer);
    exchange.resolve(message);
  }

  #acceptsUnsolicited(message: CoapMessage, peer: CoapPeer): boolean {
    const handler = this.#unsolicited;
    if (!handler) return false;
    try {
      return handler({
        peer,
        token: message.token,
        code: message.code,
        observe: uintOption(message.options, OptionNumber.Observe),
        contentFormat: uintOption(message.options, OptionNumber.ContentFormat),
        payload: message.payload,
        options: message.options,
      });
    } catch (error) {
      this.#logger.error({ err: error, peer }, 'unsolicited response handler failed');
      return false;
    }
  }

  async #onRequest(message: CoapMessage, peer: CoapPeer, entry: Remembered): Promise<void> {
    const reply = (response: CoapResponse, separate: boolean): void => {
      if (this.#closed) return;
      const type: CoapType = message.type === 'NON' ? 'NON' : separate ? 'CON' : 'ACK';
      const messageId = type === 'ACK' ? message.messageId : this.#allocateMessageId();
      const bytes = encodeCoapMessage({ type, code: response.code, messageId, token: message.token, options: responseOptions(response), payload: response.payload ?? new Uint8Array(0) });
      if (type === 'ACK') entry.reply = bytes;
      if (type === 'CON') this.#sendSeparate(peer, messageId, bytes);
      else this.#send(bytes, peer);
    };

    let separate = false;
    const piggyback = message.type === 'CON'
      ? setTimeout(() => {
          separate = true;
          entry.reply = this.#sendEmpty('ACK', message.messageId, peer);
        }, this.#params.piggybackWindowMs)
      : undefined;
    const response = await this.#respond(message, peer);
    clearTimeout(piggyback);
    reply(response, separate);
  }

  /** Turns a request message into the response to send, handling blocks; undefined: nothing to send. */
  #respond(message: CoapMessage, peer: CoapPeer): Promise<CoapResponse> {
    const { blockSize } = this.#params;
    return serveRequest(message, peer, { handler: this.#handler, blockwise: this.#blockwise, blockSize, wholeBodyLimit: blockSize, logger: this.#logger });
  }

  // ---------------------------------------------------------------- sending and bookkeeping

  /** A separate CON response is retransmitted until the peer ACKs it (RFC 7252 section 5.2.2). */
  #sendSeparate(peer: CoapPeer, messageId: number, bytes: Uint8Array): void {
    const exchange: Exchange = {
      peer,
      messageId,
      tokenKey: undefined,
      resolve: () => this.#forget(exchange),
      reject: () => this.#forget(exchange),
      timer: undefined,
    };
    this.#separateResponses.add(exchange);
    this.#byMessageId.set(`${peerKey(peer)}|${messageId}`, exchange);
    this.#retransmit(exchange, bytes, 0, initialTimeoutMs(this.#params, Math.random()), () => {
      this.#logger.debug({ peer }, 'separate response never acknowledged');
      this.#forget(exchange);
    });
  }

  #sendEmpty(type: 'ACK' | 'RST', messageId: number, peer: CoapPeer): Uint8Array {
    const bytes = encodeCoapMessage({ type, code: '0.00', messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
    this.#send(bytes, peer);
    return bytes;
  }

  #send(bytes: Uint8Array, peer: CoapPeer): void {
    if (!this.#closed) this.#transport.send(bytes, peer);
  }

  #remember(key: string, lifetimeMs: number): Remembered {
    evictIfFull(this.#remembered, this.#maxRemembered);
    const entry: Remembered = { expiresAt: performance.now() + lifetimeMs, reply: undefined };
    this.#remembered.set(key, entry);
    return entry;
  }

  #sweep(): void {
    const now = performance.now();
    for (const [key, entry] of this.#remembered) {
      if (entry.expiresAt > now) break; // insertion order is expiry order
      this.#remembered.delete(key);
    }
    this.#blockwise.sweep(now);
  }
}

function tokensMatch(exchange: Exchange, peer: CoapPeer, token: Uint8Array): boolean {
  return exchange.tokenKey === `${peerKey(peer)}|${Buffer.from(token).toString('hex')}`;
}


