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
 * (`CoapMessageCodec.ts`). It wires the transport to:
 * - the message layer, RFC 7252 section 4 (`MessageExchanges.ts`): confirmable retransmission with
 *   exponential back-off (section 4.2), with the transmission parameters of section 4.8 as one object
 *   (`TransmissionParameters.ts`), and duplicate detection per peer and message id for
 *   EXCHANGE_LIFETIME / NON_LIFETIME (section 4.5), replaying the stored reply;
 * - piggybacked responses, or an empty ACK and a separate confirmable response when the handler takes
 *   longer than the piggyback window, section 5.2;
 * - RST: to an empty CON ("ping"), to unexpected responses and to malformed confirmable messages
 *   (section 4.2); an RST to our request rejects it (and, later, cancels an observation);
 * - block-wise transfers both ways, RFC 7959 (`BlockwiseTransfers.ts`): Block1 reassembly of large
 *   request bodies and Block1 sending of ours; Block2 slicing of large responses and Block2 fetching
 *   of the peer's;
 * - request serving shared with the TCP endpoint (`CoapRequestServing.ts`).
 * Its timers and randomness are injected, so that tests of retransmission and lifetimes move time.
 * IPv4 and IPv6: see `UdpDatagramTransport` (one dual-stack socket per port).
 */
import type { Logger } from '../logging/Logger.ts';
import type { Randomness } from '../runtime/Randomness.ts';
import { systemRandomness } from '../runtime/Randomness.ts';
import type { Timer, Timers } from '../runtime/Timers.ts';
import { systemTimers } from '../runtime/Timers.ts';
import type { CoapMessage, CoapType } from './CoapMessage.ts';
import { isRequestCode, isResponseCode, methodCode, noBytes } from './CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from './CoapMessageCodec.ts';
import { BlockwiseResponder, sendRequest } from './BlockwiseTransfers.ts';
import type { BlockExchange } from './BlockwiseTransfers.ts';
import { offerUnsolicited, requestOptions, responseOptions, serveRequest } from './CoapRequestServing.ts';
import { MessageExchanges } from './MessageExchanges.ts';
import type { RememberedMessage } from './MessageExchanges.ts';
import type { TransmissionParameters } from './TransmissionParameters.ts';
import { defaultTransmissionParameters, exchangeLifetimeMs } from './TransmissionParameters.ts';
import type {
  CoapEndpoint,
  CoapPeer,
  CoapRequestHandler,
  CoapResponse,
  IncomingCoapResponse,
  OutgoingCoapRequest,
  UnsolicitedResponseHandler,
} from './CoapEndpoint.ts';
import type { DatagramTransport } from './DatagramTransport.ts';
import { UdpDatagramTransport } from './UdpDatagramTransport.ts';

export interface DatagramCoapEndpointOptions {
  readonly logger: Logger;
  readonly parameters?: Partial<TransmissionParameters>;
  /** Bound on remembered message ids (duplicate detection) and on concurrent block transfers. */
  readonly maxRememberedExchanges?: number;
  readonly maxBlockTransfers?: number;
  /** The system's unless a test moves time or fixes randomness itself. */
  readonly timers?: Timers;
  readonly randomness?: Randomness;
}

export interface UdpCoapEndpointOptions extends DatagramCoapEndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly receiveBufferBytes?: number;
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
  readonly #timers: Timers;
  #handler: CoapRequestHandler | undefined;
  #unsolicited: UnsolicitedResponseHandler | undefined;
  readonly #exchanges: MessageExchanges;
  readonly #blockwise: BlockwiseResponder;
  readonly #sweeper: Timer;
  #closed = false;
  #droppedDatagrams = 0;

  constructor(transport: DatagramTransport, options: DatagramCoapEndpointOptions) {
    this.#transport = transport;
    this.#logger = options.logger;
    this.#params = { ...defaultTransmissionParameters, ...options.parameters };
    this.#timers = options.timers ?? systemTimers;
    this.#exchanges = new MessageExchanges({
      parameters: this.#params,
      send: (bytes, peer) => this.#send(bytes, peer),
      timers: this.#timers,
      randomness: options.randomness ?? systemRandomness,
      logger: this.#logger,
      maxRemembered: options.maxRememberedExchanges ?? 200_000,
    });
    this.#blockwise = new BlockwiseResponder({ maxBodySize: this.#params.maxBodySize, maxTransfers: options.maxBlockTransfers ?? 1_000, lifetimeMs: exchangeLifetimeMs(this.#params), now: () => this.#timers.now() });
    this.local = transport.local;
    transport.onDatagram((bytes, peer) => this.#onDatagram(bytes, peer));
    this.#sweeper = this.#timers.every(Math.max(50, this.#params.ackTimeoutMs), () => this.#sweep());
  }

  /** Whether its socket is open: from open until close (readiness reports it). */
  get listening(): boolean {
    return !this.#closed;
  }

  /** Totals since it opened, for metrics: messages sent again for want of an ACK, datagrams dropped (malformed, unmatched, failed). */
  traffic(): { readonly retransmissions: number; readonly droppedDatagrams: number } {
    return { retransmissions: this.#exchanges.retransmissions, droppedDatagrams: this.#droppedDatagrams };
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
    this.#exchanges.close();
    await this.#transport.close();
  }

  // ---------------------------------------------------------------- outgoing requests

  async request(peer: CoapPeer, request: OutgoingCoapRequest): Promise<IncomingCoapResponse> {
    // maxBodySize bounds what peers make us hold; a body of ours (a firmware package pushed with Block1)
    // is already in memory and as large as the operator made it.
    const body = request.payload ?? noBytes;
    const token = request.token ?? this.#exchanges.newToken();
    const type = (request.confirmable ?? true) ? 'CON' : 'NON';
    const code = methodCode(request.method);
    const exchange: BlockExchange = (options, payload) => {
      if (this.#closed) return Promise.reject(new Error('CoAP endpoint closed'));
      return this.#exchanges.request(peer, { type, code, token, options, payload }, request.signal);
    };
    const { blockSize, maxBodySize } = this.#params;
    return sendRequest(peer, exchange, requestOptions(request), body, request.block2, { blockSize, wholeBodyLimit: blockSize, maxBodySize });
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
      // RFC 7252 section 4.2: unmatched ACK/RST are silently ignored
      if (!this.#exchanges.onAckOrReset(message, peer)) this.#droppedDatagrams += 1;
      return;
    }
    const remembered = this.#exchanges.recall(peer, message.messageId);
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
    const entry = this.#exchanges.remember(peer, message);
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

  #onSeparateResponse(message: CoapMessage, peer: CoapPeer, entry: RememberedMessage): void {
    const exchange = this.#exchanges.awaitingResponse(peer, message.token);
    if (!exchange) {
      const taken = this.#acceptsUnsolicited(message, peer);
      if (taken === true) {
        if (message.type === 'CON') entry.reply = this.#sendEmpty('ACK', message.messageId, peer);
        return;
      }
      if (taken !== false) {
        if (message.type === 'CON') void taken.then((stored) => this.#acknowledgeOnceStored(stored, message.messageId, peer, entry));
        return;
      }
      // RFC 7252 section 5.3.2 and RFC 7641 section 3.6: an unexpected response is rejected with RST.
      entry.reply = this.#sendEmpty('RST', message.messageId, peer);
      return;
    }
    if (message.type === 'CON') entry.reply = this.#sendEmpty('ACK', message.messageId, peer);
    exchange.resolve(message);
  }

  #acceptsUnsolicited(message: CoapMessage, peer: CoapPeer): boolean | Promise<boolean> {
    return offerUnsolicited(this.#unsolicited, message, peer, this.#logger);
  }

  /**
   * A confirmable notification is acknowledged once its value is durable (RFC 7641 section 4.5: the
   * ACK tells the device the notification arrived; sent after the store, it also means the value is
   * kept). Until then a retransmission of it is a duplicate with no reply to repeat, and is dropped
   * (RFC 7252 section 4.5). Not stored: no ACK, and its id is forgotten, so that the device's
   * retransmission, ACK_TIMEOUT later, is stored anew.
   */
  #acknowledgeOnceStored(stored: boolean, messageId: number, peer: CoapPeer, entry: RememberedMessage): void {
    if (this.#closed) return;
    if (stored) entry.reply = this.#sendEmpty('ACK', messageId, peer);
    else this.#exchanges.forget(peer, messageId, entry);
  }

  async #onRequest(message: CoapMessage, peer: CoapPeer, entry: RememberedMessage): Promise<void> {
    const reply = (response: CoapResponse, separate: boolean): void => {
      if (this.#closed) return;
      const type: CoapType = message.type === 'NON' ? 'NON' : separate ? 'CON' : 'ACK';
      const messageId = type === 'ACK' ? message.messageId : this.#exchanges.allocateMessageId();
      const bytes = encodeCoapMessage({ type, code: response.code, messageId, token: message.token, options: responseOptions(response), payload: response.payload ?? noBytes });
      if (type === 'ACK') entry.reply = bytes;
      if (type === 'CON') this.#exchanges.sendSeparate(peer, messageId, bytes);
      else this.#send(bytes, peer);
    };

    let separate = false;
    const piggyback = message.type === 'CON'
      ? this.#timers.after(this.#params.piggybackWindowMs, () => {
          separate = true;
          entry.reply = this.#sendEmpty('ACK', message.messageId, peer);
        })
      : undefined;
    const response = await this.#respond(message, peer);
    piggyback?.cancel();
    reply(response, separate);
  }

  /** Turns a request message into the response to send, handling blocks; undefined: nothing to send. */
  #respond(message: CoapMessage, peer: CoapPeer): Promise<CoapResponse> {
    const { blockSize } = this.#params;
    return serveRequest(message, peer, { handler: this.#handler, blockwise: this.#blockwise, blockSize, wholeBodyLimit: blockSize, logger: this.#logger });
  }

  // ---------------------------------------------------------------- sending and bookkeeping

  #sendEmpty(type: 'ACK' | 'RST', messageId: number, peer: CoapPeer): Uint8Array {
    const bytes = encodeCoapMessage({ type, code: '0.00', messageId, token: noBytes, options: [], payload: noBytes });
    this.#send(bytes, peer);
    return bytes;
  }

  #send(bytes: Uint8Array, peer: CoapPeer): void {
    if (!this.#closed) this.#transport.send(bytes, peer);
  }

  #sweep(): void {
    const now = this.#timers.now();
    this.#exchanges.sweep(now);
    this.#blockwise.sweep(now);
  }
}
