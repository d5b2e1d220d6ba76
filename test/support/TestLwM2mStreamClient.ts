/**
 * A test LwM2M client over CoAP over TCP or TLS (RFC 8323; binding T), for what libcoap's coap-client
 * cannot play: a device that stays connected, answers the server's Reads and Observes over its
 * connection, and notifies. node-coap (TestLwM2mClient's library) speaks UDP only, so this one is built
 * on the raw stream peer; Register, Update and De-register are the same requests as TestLwM2mClient's.
 *
 * It answers Read of single resources in text/plain from `resources` (TestLwM2mClient's defaults), and
 * an Observe (Observe 0) by remembering the token; `notify(path)` then sends the value again with the
 * next Observe sequence number (RFC 7641 section 4.2). As a bootstrap client (`bootstrapRequest`) it
 * answers a Bootstrap-Discover of "/" with its factory bootstrap account at /0/0, and accepts every
 * Delete, Write and Finish (2.02, 2.04) without keeping what it is written.
 */
import { randomBytes } from 'node:crypto';
import type { CoapStreamMessage } from '../../src/adapters/coap/CoapStreamCodec.ts';
import { SignalCode } from '../../src/adapters/coap/CoapStreamCodec.ts';
import { OptionNumber, stringOption, stringOptions, uintOption, uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import { RawCoapStreamPeer } from './RawCoapStreamPeer.ts';
import type { StreamPeerOptions } from './RawCoapStreamPeer.ts';
import { defaultObjectLinks, defaultResources } from './TestLwM2mClient.ts';
import type { ClientResponse } from './TestLwM2mClient.ts';

export interface TestLwM2mStreamClientOptions extends StreamPeerOptions {
  readonly server: { readonly address: string; readonly port: number };
  readonly endpoint: string;
  readonly lifetime?: number;
  readonly lwm2mVersion?: string;
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const empty = new Uint8Array(0);

export class TestLwM2mStreamClient {
  readonly options: TestLwM2mStreamClientOptions;
  readonly resources = new Map(defaultResources);
  /** Requests the server sent to this client: method code and path. */
  readonly served: string[] = [];
  /** The path of the current registration ("rd/<id>"), once registered. */
  location: string | undefined;
  readonly #peer: RawCoapStreamPeer;
  readonly #observers = new Map<string, { readonly token: Uint8Array; sequence: number }>();

  private constructor(peer: RawCoapStreamPeer, options: TestLwM2mStreamClientOptions) {
    this.#peer = peer;
    this.options = options;
    peer.answer((message) => this.#serve(message));
  }

  /** Connects (with TLS-PSK when `psk` is given) and sends its CSM. */
  static async connect(options: TestLwM2mStreamClientOptions): Promise<TestLwM2mStreamClient> {
    return new TestLwM2mStreamClient(await RawCoapStreamPeer.connectWithCsm(options.server, 1152, options), options);
  }

  get port(): number {
    return this.#peer.port;
  }

  /** Resolves when the server has closed the connection (or it was closed here). */
  get closed(): Promise<void> {
    return this.#peer.closed;
  }

  async register(): Promise<ClientResponse> {
    const query = [`ep=${this.options.endpoint}`, `lt=${this.options.lifetime ?? 60}`, `lwm2m=${this.options.lwm2mVersion ?? '1.1'}`, 'b=T'];
    const response = await this.#request('0.02', ['rd'], query, text(defaultObjectLinks));
    if (response.code === '2.01') this.location = response.locationPath.join('/');
    return response;
  }

  /** A 1.1 client's Bootstrap-Request (`POST /bs?ep=...&pct=11542`, TLV preferred; LwM2M Transport 1.1 section 6.1), to a bootstrap server's port. */
  bootstrapRequest(): Promise<ClientResponse> {
    return this.#request('0.02', ['bs'], [`ep=${this.options.endpoint}`, 'pct=11542'], empty);
  }

  update(): Promise<ClientResponse> {
    if (this.location === undefined) throw new Error(`${this.options.endpoint} is not registered`);
    return this.#request('0.02', this.location.split('/'), [], empty);
  }

  /** Sends the current value of an observed resource to its observer. */
  notify(path: string): void {
    const observer = this.#observers.get(path);
    const value = this.resources.get(path);
    if (observer === undefined || value === undefined) throw new Error(`${path} is not observed`);
    observer.sequence += 1;
    this.#peer.send({ code: '2.05', token: observer.token, options: [uintOptionOf(OptionNumber.Observe, observer.sequence), uintOptionOf(OptionNumber.ContentFormat, 0)], payload: text(value) });
  }

  /** Resolves when the server has asked to observe `path`. */
  async observed(path: string): Promise<void> {
    await this.#peer.waitFor(() => this.#observers.has(path), 10_000);
  }

  /** A Ping (RFC 8323 section 5.4); resolves with the Pong. */
  async ping(): Promise<CoapStreamMessage> {
    const token = randomBytes(2);
    this.#peer.send({ code: SignalCode.Ping, token, options: [], payload: empty });
    return this.#peer.waitFor((message) => message.code === SignalCode.Pong && Buffer.from(message.token).equals(token));
  }

  close(): void {
    this.#peer.close();
  }

  async #request(code: string, path: readonly string[], query: readonly string[], payload: Uint8Array): Promise<ClientResponse> {
    const token = randomBytes(4);
    const options = [...path.map((segment) => stringOption(OptionNumber.UriPath, segment)), ...query.map((argument) => stringOption(OptionNumber.UriQuery, argument))];
    if (payload.length > 0) options.push(uintOptionOf(OptionNumber.ContentFormat, 40));
    this.#peer.send({ code, token, options, payload });
    const response = await this.#peer.waitFor((message) => Buffer.from(message.token).equals(token) && !message.code.startsWith('0.') && !message.code.startsWith('7.'), 10_000);
    return { code: response.code, payload: new TextDecoder().decode(response.payload), locationPath: stringOptions(response.options, OptionNumber.LocationPath) };
  }

  #serve(message: CoapStreamMessage): CoapStreamMessage | undefined {
    if (!message.code.startsWith('0.') || message.code === '0.00') return undefined;
    const path = `/${stringOptions(message.options, OptionNumber.UriPath).join('/')}`;
    this.served.push(`${message.code} ${path}`);
    if (message.code === '0.04') return { code: '2.02', token: message.token, options: [], payload: empty };
    if (message.code === '0.02' || message.code === '0.03') return { code: '2.04', token: message.token, options: [], payload: empty };
    if (message.code === '0.01' && path === '/') {
      return { code: '2.05', token: message.token, options: [uintOptionOf(OptionNumber.ContentFormat, 40)], payload: text('</>;lwm2m=1.1,</0/0>;uri="coap+tcp://factory"') };
    }
    const value = message.code === '0.01' ? this.resources.get(path) : undefined;
    if (value === undefined) return { code: '4.04', token: message.token, options: [], payload: empty };
    const options = [uintOptionOf(OptionNumber.ContentFormat, 0)];
    const observe = uintOption(message.options, OptionNumber.Observe);
    if (observe === 0) {
      this.#observers.set(path, { token: message.token, sequence: 1 });
      options.push(uintOptionOf(OptionNumber.Observe, 1));
    } else if (observe === 1) {
      this.#observers.delete(path);
    }
    return { code: '2.05', token: message.token, options, payload: text(value) };
  }
}
