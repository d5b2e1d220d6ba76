/**
 * CoAP's message layer over a datagram transport, RFC 7252 section 4: the exchanges an endpoint has
 * open with its peers, on injected timers and randomness.
 * - message ids (section 4.4, starting at a random one) and tokens (section 5.3.1, random);
 * - confirmable retransmission with exponential back-off from a random initial timeout between
 *   ACK_TIMEOUT and ACK_TIMEOUT * ACK_RANDOM_FACTOR, at most MAX_RETRANSMIT times (section 4.2);
 * - matching of ACK and RST by message id AND peer (section 4.4), and of responses by token and peer
 *   (section 5.3.2); an RST to our message rejects it;
 * - duplicate detection per peer and message id for EXCHANGE_LIFETIME (confirmable) or NON_LIFETIME
 *   (non-confirmable), remembering the reply to replay (section 4.5).
 * What a message means (requests, responses, blocks) is the endpoint's business, not this layer's.
 */
import type { Logger } from '../logging/Logger.ts';
import type { Randomness } from '../runtime/Randomness.ts';
import type { Timer, Timers } from '../runtime/Timers.ts';
import type { CoapMessage } from './CoapMessage.ts';
import { encodeCoapMessage } from './CoapMessageCodec.ts';
import type { TransmissionParameters } from './TransmissionParameters.ts';
import { exchangeLifetimeMs, initialTimeoutMs, nonLifetimeMs } from './TransmissionParameters.ts';
import type { CoapPeer } from './CoapEndpoint.ts';
import { CoapResetError, CoapTimeoutError, abandonment, peerKey } from './CoapEndpoint.ts';

export interface MessageExchangesOptions {
  readonly parameters: TransmissionParameters;
  readonly send: (bytes: Uint8Array, peer: CoapPeer) => void;
  readonly timers: Timers;
  readonly randomness: Randomness;
  readonly logger: Logger;
  /** Bound on remembered message ids (duplicate detection). */
  readonly maxRemembered: number;
}

/** A message received from a peer, remembered for duplicate detection. */
export interface RememberedMessage {
  readonly expiresAt: number;
  /** The reply sent for this message, replayed to duplicates; undefined while it is being handled. */
  reply: Uint8Array | undefined;
}

/** One outgoing message awaiting an ACK/RST (if confirmable) and, for requests, a response. */
export interface PendingExchange {
  readonly peer: CoapPeer;
  readonly messageId: number;
  readonly tokenKey: string | undefined;
  readonly resolve: (message: CoapMessage) => void;
  readonly reject: (error: Error) => void;
  timer: Timer | undefined;
}

export class MessageExchanges {
  readonly #params: TransmissionParameters;
  readonly #send: (bytes: Uint8Array, peer: CoapPeer) => void;
  readonly #timers: Timers;
  readonly #randomness: Randomness;
  readonly #logger: Logger;
  readonly #maxRemembered: number;
  #nextMessageId: number;
  // One map per lifetime: within each, insertion order is expiry order, so a sweep stops at the first
  // live entry; one map for both would hold a NON id behind an older CON id (section 4.5).
  readonly #rememberedConfirmable = new Map<string, RememberedMessage>();
  readonly #rememberedNonConfirmable = new Map<string, RememberedMessage>();
  readonly #byMessageId = new Map<string, PendingExchange>();
  readonly #byToken = new Map<string, PendingExchange>();
  readonly #separateResponses = new Set<PendingExchange>();
  #retransmissions = 0;

  constructor(options: MessageExchangesOptions) {
    this.#params = options.parameters;
    this.#send = options.send;
    this.#timers = options.timers;
    this.#randomness = options.randomness;
    this.#logger = options.logger;
    this.#maxRemembered = options.maxRemembered;
    const start = options.randomness.bytes(2);
    this.#nextMessageId = ((start[0] ?? 0) << 8) | (start[1] ?? 0);
  }

  /** Messages sent again for want of an ACK, since it started. */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  allocateMessageId(): number {
    this.#nextMessageId = (this.#nextMessageId + 1) & 0xffff;
    return this.#nextMessageId;
  }

  newToken(): Uint8Array {
    return this.#randomness.bytes(8);
  }

  /** Sends one request message and resolves with the response message (piggybacked or separate). */
  request(peer: CoapPeer, message: Omit<CoapMessage, 'messageId'>, signal: AbortSignal | undefined): Promise<CoapMessage> {
    if (signal?.aborted) return Promise.reject(abandonment(signal));
    const messageId = this.allocateMessageId();
    const bytes = encodeCoapMessage({ ...message, messageId });
    const key = peerKey(peer);
    return new Promise<CoapMessage>((resolve, reject) => {
      const tokenKey = `${key}|${Buffer.from(message.token).toString('hex')}`;
      const abandon = (): void => exchange.reject(abandonment(signal));
      const exchange: PendingExchange = {
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
        this.#retransmit(exchange, bytes, 0, this.#initialTimeoutMs(), () => {
          exchange.reject(new CoapTimeoutError(peer, 'acknowledgement'));
        });
      } else {
        this.#send(bytes, peer);
        this.#awaitResponse(exchange);
      }
    });
  }

  /** A separate CON response is retransmitted until the peer ACKs it (RFC 7252 section 5.2.2). */
  sendSeparate(peer: CoapPeer, messageId: number, bytes: Uint8Array): void {
    const exchange: PendingExchange = {
      peer,
      messageId,
      tokenKey: undefined,
      resolve: () => this.#forget(exchange),
      reject: () => this.#forget(exchange),
      timer: undefined,
    };
    this.#separateResponses.add(exchange);
    this.#byMessageId.set(`${peerKey(peer)}|${messageId}`, exchange);
    this.#retransmit(exchange, bytes, 0, this.#initialTimeoutMs(), () => {
      this.#logger.debug({ peer }, 'separate response never acknowledged');
      this.#forget(exchange);
    });
  }

  /** Settles the exchange an ACK or RST answers; false when it answers none of ours. */
  onAckOrReset(message: CoapMessage, peer: CoapPeer): boolean {
    const key = `${peerKey(peer)}|${message.messageId}`;
    const exchange = this.#byMessageId.get(key);
    if (!exchange) return false;
    // A piggybacked response must also carry the request's token (section 5.3.2); one that does not
    // is not ours, and the request keeps waiting (and retransmitting).
    const piggybacked = message.type === 'ACK' && message.code !== '0.00' && !this.#separateResponses.has(exchange);
    if (piggybacked && exchange.tokenKey !== `${peerKey(peer)}|${Buffer.from(message.token).toString('hex')}`) return true;
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
    return true;
  }

  /** The request of ours waiting for a separate response with this token from this peer, if any. */
  awaitingResponse(peer: CoapPeer, token: Uint8Array): PendingExchange | undefined {
    return this.#byToken.get(`${peerKey(peer)}|${Buffer.from(token).toString('hex')}`);
  }

  /** RFC 7252 section 4.5: the message with this id from this peer seen within its lifetime, if any. */
  recall(peer: CoapPeer, messageId: number): RememberedMessage | undefined {
    const key = `${peerKey(peer)}|${messageId}`;
    return this.#rememberedConfirmable.get(key) ?? this.#rememberedNonConfirmable.get(key);
  }

  /** Remembers a message from a peer for EXCHANGE_LIFETIME (confirmable) or NON_LIFETIME. */
  remember(peer: CoapPeer, message: Pick<CoapMessage, 'type' | 'messageId'>): RememberedMessage {
    const confirmable = message.type === 'CON';
    const lifetimeMs = confirmable ? exchangeLifetimeMs(this.#params) : nonLifetimeMs(this.#params);
    const key = `${peerKey(peer)}|${message.messageId}`;
    // Deleted first so that the entry goes to the end of its map, keeping insertion order expiry order.
    this.#rememberedConfirmable.delete(key);
    this.#rememberedNonConfirmable.delete(key);
    this.#makeRoomToRemember();
    const entry: RememberedMessage = { expiresAt: this.#timers.now() + lifetimeMs, reply: undefined };
    (confirmable ? this.#rememberedConfirmable : this.#rememberedNonConfirmable).set(key, entry);
    return entry;
  }

  /** Forgets the message remembered as `entry` before its lifetime ends: its next copy is handled as new. */
  forget(peer: CoapPeer, messageId: number, entry: RememberedMessage): void {
    const key = `${peerKey(peer)}|${messageId}`;
    for (const remembered of [this.#rememberedConfirmable, this.#rememberedNonConfirmable]) if (remembered.get(key) === entry) remembered.delete(key);
  }

  /** Forgets the messages past their lifetime. */
  sweep(now: number): void {
    for (const remembered of [this.#rememberedConfirmable, this.#rememberedNonConfirmable]) {
      for (const [key, entry] of remembered) {
        if (entry.expiresAt > now) break; // insertion order is expiry order within each map
        remembered.delete(key);
      }
    }
  }

  /** Rejects every exchange still open. */
  close(): void {
    const open = [...this.#byMessageId.values(), ...this.#byToken.values(), ...this.#separateResponses];
    this.#byMessageId.clear();
    this.#byToken.clear();
    this.#separateResponses.clear();
    for (const exchange of open) {
      exchange.timer?.cancel();
      exchange.reject(new Error('CoAP endpoint closed'));
    }
  }

  /** At the bound, the entries that would be forgotten soonest go: the first of whichever map expires first. */
  #makeRoomToRemember(): void {
    while (this.#rememberedConfirmable.size + this.#rememberedNonConfirmable.size >= this.#maxRemembered) {
      const confirmable = this.#rememberedConfirmable.entries().next();
      const nonConfirmable = this.#rememberedNonConfirmable.entries().next();
      if (confirmable.done === true) {
        if (nonConfirmable.done === true) return;
        this.#rememberedNonConfirmable.delete(nonConfirmable.value[0]);
      } else if (nonConfirmable.done !== true && nonConfirmable.value[1].expiresAt < confirmable.value[1].expiresAt) {
        this.#rememberedNonConfirmable.delete(nonConfirmable.value[0]);
      } else {
        this.#rememberedConfirmable.delete(confirmable.value[0]);
      }
    }
  }

  #initialTimeoutMs(): number {
    return initialTimeoutMs(this.#params, this.#randomness.fraction());
  }

  #retransmit(exchange: PendingExchange, bytes: Uint8Array, attempt: number, timeoutMs: number, giveUp: () => void): void {
    if (attempt > 0) this.#retransmissions += 1;
    this.#send(bytes, exchange.peer);
    exchange.timer = this.#timers.after(timeoutMs, () => {
      if (attempt >= this.#params.maxRetransmit) giveUp();
      else this.#retransmit(exchange, bytes, attempt + 1, timeoutMs * 2, giveUp);
    });
  }

  #awaitResponse(exchange: PendingExchange): void {
    exchange.timer?.cancel();
    exchange.timer = this.#timers.after(this.#params.responseTimeoutMs, () => exchange.reject(new CoapTimeoutError(exchange.peer, 'response')));
  }

  #forget(exchange: PendingExchange): void {
    exchange.timer?.cancel();
    const key = peerKey(exchange.peer);
    if (this.#byMessageId.get(`${key}|${exchange.messageId}`) === exchange) this.#byMessageId.delete(`${key}|${exchange.messageId}`);
    if (exchange.tokenKey !== undefined && this.#byToken.get(exchange.tokenKey) === exchange) this.#byToken.delete(exchange.tokenKey);
    this.#separateResponses.delete(exchange);
  }
}
