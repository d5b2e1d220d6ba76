/**
 * One source address of the simulated fleet (a UDP socket, or a DTLS session over its own socket) and
 * the CoAP state that belongs to an address rather than to a device: message ids and the exchanges
 * awaiting an acknowledgement (RFC 7252 section 4.4: message ids are per endpoint, i.e. per address),
 * the observations the server made on it (RFC 7641 section 3.2: token and address identify an
 * observation), and, in queue mode, whether it is awake.
 *
 * Several devices may share a port (the simulator's --sockets pool): the server then reaches all of
 * them at one address, and cannot tell them apart in its requests, so the port answers them from the
 * object tree every simulated device has.
 */
import type { CoapMessage, CoapOption } from '../../src/adapters/coap/CoapMessage.ts';
import { OptionNumber, encodeUint, isRequestCode, stringOptions, uintOption, uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from '../../src/adapters/coap/CoapMessageCodec.ts';
import { defaultTransmissionParameters, initialTimeoutMs } from '../../src/adapters/coap/TransmissionParameters.ts';
import { INITIAL_SENSOR_VALUE } from './SimulatedObjects.ts';
import type { SimulatedObjects } from './SimulatedObjects.ts';

/** What carries a port's datagrams: a plain UDP socket or a DTLS session. */
export interface DatagramChannel {
  send(bytes: Uint8Array): void;
  close(): Promise<void>;
}

export interface Observation {
  readonly port: DevicePort;
  readonly token: Uint8Array;
  readonly path: string;
  readonly accept: number | undefined;
  /** RFC 7641 section 4.4: increasing, 24 bits. */
  sequence: number;
  /** Its place in the fleet's list of active observations (swap-removed), -1 once cancelled. */
  slot: number;
}

export interface PortEvents {
  observed(observation: Observation): void;
  cancelled(observation: Observation): void;
  /** A confirmable notification was acknowledged (ACK) or rejected (RST, which also ends its observation). */
  notificationAnswered(sentAt: number, reset: boolean): void;
  notificationTimedOut(): void;
  /** A request arrived while the port slept (queue mode): dropped, as a sleeping radio would. */
  requestWhileAsleep(): void;
  requestServed(kind: 'read' | 'observe' | 'cancel' | 'other'): void;
}

export interface RequestOutcome {
  readonly code: string;
  readonly locationPath: readonly string[];
  readonly retransmissions: number;
}

interface PendingExchange {
  readonly bytes: Uint8Array;
  deadline: number;
  timeoutMs: number;
  attempts: number;
  /** A request (it waits for a response), not a notification (it waits for an ACK only). */
  readonly isRequest: boolean;
  /** Acknowledged by an empty ACK: no more retransmissions, the separate response is awaited until the deadline. */
  awaitingResponse: boolean;
  readonly settle: (message: CoapMessage | undefined) => void;
}

const tokenKey = (token: Uint8Array): string => Buffer.from(token).toString('hex');

export class DevicePort {
  readonly #channel: DatagramChannel;
  readonly #objects: SimulatedObjects;
  readonly #events: PortEvents;
  readonly #awakeMs: number | undefined;
  #messageId: number;
  #token = 0;
  /** Confirmable messages sent by this port awaiting their ACK, by message id. */
  readonly #pending = new Map<number, PendingExchange>();
  /** Requests awaiting their response (piggybacked or separate), by token. */
  readonly #requests = new Map<string, PendingExchange>();
  readonly observations = new Map<string, Observation>();
  #awakeUntil = 0;

  constructor(channel: DatagramChannel, objects: SimulatedObjects, events: PortEvents, awakeMs: number | undefined, firstMessageId: number) {
    this.#channel = channel;
    this.#objects = objects;
    this.#events = events;
    this.#awakeMs = awakeMs;
    this.#messageId = firstMessageId & 0xffff;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** A confirmable request (Register, Update, De-register); resolves with its response, or undefined after the last retransmission. */
  request(code: string, options: readonly CoapOption[], payload: Uint8Array): Promise<RequestOutcome | undefined> {
    const messageId = this.#nextMessageId();
    this.#token = (this.#token % 0xffffffff) + 1;
    const token = encodeUint(this.#token);
    const bytes = encodeCoapMessage({ type: 'CON', code, messageId, token, options, payload });
    return new Promise((resolve) => {
      const exchange = this.#track(messageId, bytes, true, (message) => {
        this.#requests.delete(tokenKey(token));
        resolve(message === undefined ? undefined : { code: message.code, locationPath: stringOptions(message.options, OptionNumber.LocationPath), retransmissions: exchange.attempts - 1 });
      });
      this.#requests.set(tokenKey(token), exchange);
    });
  }

  /** Sends a notification of `observation` carrying `payload`: NON, or CON tracked until its ACK. */
  notify(observation: Observation, payload: Uint8Array, contentFormat: number, confirmable: boolean, sentAt: number): void {
    observation.sequence = (observation.sequence + 1) & 0xffffff;
    const messageId = this.#nextMessageId();
    const bytes = encodeCoapMessage({
      type: confirmable ? 'CON' : 'NON',
      code: '2.05',
      messageId,
      token: observation.token,
      options: [uintOptionOf(OptionNumber.Observe, observation.sequence), uintOptionOf(OptionNumber.ContentFormat, contentFormat)],
      payload,
    });
    if (!confirmable) {
      this.#send(bytes);
      return;
    }
    this.#track(messageId, bytes, false, (message) => {
      if (message === undefined) this.#events.notificationTimedOut();
      else {
        const reset = message.type === 'RST';
        if (reset) this.#cancel(observation);
        this.#events.notificationAnswered(sentAt, reset);
      }
    });
  }

  /** RFC 7252 section 4.2: retransmits what is due, with the timeout doubled each time; gives up after MAX_RETRANSMIT. */
  retransmitDue(now: number): void {
    for (const [messageId, exchange] of this.#pending) {
      if (exchange.deadline > now) continue;
      if (exchange.awaitingResponse || exchange.attempts > defaultTransmissionParameters.maxRetransmit) {
        this.#pending.delete(messageId);
        exchange.settle(undefined);
        continue;
      }
      exchange.attempts++;
      exchange.timeoutMs *= 2;
      exchange.deadline = now + exchange.timeoutMs;
      this.#send(exchange.bytes);
    }
  }

  receive(bytes: Uint8Array): void {
    const decoded = decodeCoapMessage(bytes);
    if (!decoded.ok) return;
    const message = decoded.message;
    if (message.type === 'ACK' || message.type === 'RST') {
      const exchange = this.#pending.get(message.messageId);
      if (exchange === undefined || exchange.awaitingResponse) return;
      // An empty ACK (it has no token) to a request only stops retransmission: the response comes
      // separately (RFC 7252 section 5.2.2), within the response timeout. To a notification it is the answer.
      if (message.type === 'ACK' && message.code === '0.00' && exchange.isRequest) {
        exchange.awaitingResponse = true;
        exchange.deadline = performance.now() + defaultTransmissionParameters.responseTimeoutMs;
        return;
      }
      this.#pending.delete(message.messageId);
      exchange.settle(message);
      return;
    }
    if (isRequestCode(message.code)) {
      this.#serve(message);
      return;
    }
    // A separate response to one of our requests (CON or NON).
    const exchange = this.#requests.get(tokenKey(message.token));
    if (message.type === 'CON') this.#send(encodeCoapMessage({ type: 'ACK', code: '0.00', messageId: message.messageId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) }));
    if (exchange !== undefined) {
      for (const [messageId, pending] of this.#pending) if (pending === exchange) this.#pending.delete(messageId);
      exchange.settle(message);
    }
  }

  close(): Promise<void> {
    for (const observation of [...this.observations.values()]) this.#cancel(observation);
    for (const exchange of this.#pending.values()) exchange.settle(undefined);
    this.#pending.clear();
    return this.#channel.close();
  }

  #serve(request: CoapMessage): void {
    if (this.#awakeMs !== undefined && performance.now() > this.#awakeUntil) {
      this.#events.requestWhileAsleep();
      return;
    }
    const path = `/${stringOptions(request.options, OptionNumber.UriPath).join('/')}`;
    const accept = uintOption(request.options, OptionNumber.Accept);
    const observe = uintOption(request.options, OptionNumber.Observe);
    const responseType = request.type === 'CON' ? 'ACK' : 'NON';
    const messageId = request.type === 'CON' ? request.messageId : this.#nextMessageId();
    const options: CoapOption[] = [];
    let code = '2.05';
    let payload: Uint8Array = new Uint8Array(0);
    if (request.code !== '0.01') {
      // Only reads and observes are simulated; RFC 7252 section 5.9.2.6.
      code = '4.05';
      this.#events.requestServed('other');
    } else {
      const content = this.#objects.read(path, accept, INITIAL_SENSOR_VALUE);
      if (content.kind !== 'content') code = content.kind === 'not-found' ? '4.04' : '4.06';
      else {
        payload = content.payload;
        const key = tokenKey(request.token);
        if (observe === 0) {
          // RFC 7641 section 3.4: the Observe option in the response says the observation is established.
          const existing = this.observations.get(key);
          const observation: Observation = existing ?? { port: this, token: request.token, path, accept, sequence: 0, slot: -1 };
          observation.sequence = (observation.sequence + 1) & 0xffffff;
          options.push(uintOptionOf(OptionNumber.Observe, observation.sequence));
          if (existing === undefined) {
            this.observations.set(key, observation);
            this.#events.observed(observation);
          }
          this.#events.requestServed('observe');
        } else if (observe === 1) {
          const existing = this.observations.get(key);
          if (existing !== undefined) this.#cancel(existing);
          this.#events.requestServed('cancel');
        } else this.#events.requestServed('read');
        options.push(uintOptionOf(OptionNumber.ContentFormat, content.contentFormat));
      }
    }
    this.#send(encodeCoapMessage({ type: responseType, code, messageId, token: request.token, options, payload }));
  }

  #cancel(observation: Observation): void {
    if (this.observations.delete(tokenKey(observation.token))) this.#events.cancelled(observation);
  }

  #track(messageId: number, bytes: Uint8Array, isRequest: boolean, settle: (message: CoapMessage | undefined) => void): PendingExchange {
    const now = performance.now();
    const timeoutMs = initialTimeoutMs(defaultTransmissionParameters, Math.random());
    const exchange: PendingExchange = { bytes, isRequest, deadline: now + timeoutMs, timeoutMs, attempts: 1, awaitingResponse: false, settle };
    this.#pending.set(messageId, exchange);
    this.#send(bytes);
    return exchange;
  }

  #send(bytes: Uint8Array): void {
    // Queue mode (LwM2M Transport 1.1 section 6.5): the device stays reachable for a while after it sent.
    if (this.#awakeMs !== undefined) this.#awakeUntil = performance.now() + this.#awakeMs;
    this.#channel.send(bytes);
  }

  #nextMessageId(): number {
    this.#messageId = (this.#messageId + 1) & 0xffff;
    return this.#messageId;
  }
}
