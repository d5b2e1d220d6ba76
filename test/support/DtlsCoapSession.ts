/**
 * CoAP over one DTLS-PSK session of node-dtls-client (a DTLS implementation independent of ours), with
 * coap-packet as the CoAP codec: the device's side of an LwM2M conversation, which both sends requests
 * (Bootstrap-Request, Register) and serves the server's requests on the same session (LwM2M Transport
 * 1.1 section 6.4: the server reaches the device through the session the device opened).
 *
 * The PSK key is bytes, as a Security object's /0/x/5 holds it, not text.
 */
import { dtls } from 'node-dtls-client';
import { generate, parse } from 'coap-packet';
import type { NamedOption, ParsedPacket } from 'coap-packet';

export type PskCipherSuite = 'TLS_PSK_WITH_AES_128_CCM_8' | 'TLS_PSK_WITH_AES_128_CBC_SHA256';

export interface DtlsCoapSessionOptions {
  readonly host: string;
  readonly port: number;
  readonly identity: string;
  readonly key: Uint8Array;
  readonly cipher: PskCipherSuite;
  /** The UDP port the device sends from; an ephemeral one unless given (a device that keeps its port across handshakes gives it). */
  readonly localPort?: number;
}

/** A request from the server, as the device sees it. */
export interface ServerRequest {
  readonly method: string;
  readonly path: readonly string[];
  readonly contentFormat: number | undefined;
  readonly payload: Buffer;
  readonly token: Buffer;
  /** The Observe option (RFC 7641): 0 registers an observation, 1 cancels it. */
  readonly observe: number | undefined;
}

export interface ServerResponse {
  readonly code: string;
  readonly contentFormat?: number;
  readonly payload?: Buffer;
  /** The Observe sequence number of a response that starts an observation (RFC 7641 section 4.2). */
  readonly observe?: number;
}

export type ServerRequestHandler = (request: ServerRequest) => ServerResponse;

/** CoAP method codes, RFC 7252 section 12.1.1 (and RFC 8132 for FETCH, PATCH, iPATCH). */
const METHODS: Readonly<Record<string, string>> = { '0.01': 'GET', '0.02': 'POST', '0.03': 'PUT', '0.04': 'DELETE', '0.05': 'FETCH', '0.06': 'PATCH', '0.07': 'iPATCH' };

export class DtlsCoapSession {
  readonly served: ServerRequest[] = [];
  readonly #socket: dtls.Socket;
  readonly #handler: ServerRequestHandler;
  readonly #pending = new Map<string, (response: ParsedPacket) => void>();
  #nextMessageId = 1;
  #nextToken = 1;
  readonly #ended: Promise<void>;
  #closed = false;

  private constructor(socket: dtls.Socket, handler: ServerRequestHandler) {
    this.#socket = socket;
    this.#handler = handler;
    // node-dtls-client closes its socket itself on close_notify, and throws if closed twice.
    this.#ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => (this.#closed = true));
    socket.on('message', (bytes: Buffer) => this.#receive(bytes));
  }

  /** Resolves once the DTLS handshake completes; rejects with the client's error (alert, timeout). */
  static async connect(options: DtlsCoapSessionOptions, handler: ServerRequestHandler, timeoutMs = 3000): Promise<DtlsCoapSession> {
    const socket = dtls.createSocket({
      type: options.host.includes(':') ? 'udp6' : 'udp4',
      address: options.host,
      port: options.port,
      psk: { [options.identity]: Buffer.from(options.key) },
      ciphers: [options.cipher],
      timeout: timeoutMs,
      ...(options.localPort === undefined ? {} : { listenPort: options.localPort }),
    });
    const session = new DtlsCoapSession(socket, handler);
    await new Promise<void>((resolve, reject) => {
      socket.once('connected', () => resolve());
      socket.once('error', (error: Error) => reject(error));
    });
    return session;
  }

  /** Sends a confirmable request; resolves with the server's (piggybacked) response. */
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: readonly string[], query: readonly string[], content?: { format: number; payload: Buffer }, timeoutMs = 3000): Promise<ParsedPacket> {
    const token = Buffer.alloc(4);
    token.writeUInt32BE(this.#nextToken++);
    const options: NamedOption[] = [
      ...path.map((segment): NamedOption => ({ name: 'Uri-Path', value: Buffer.from(segment) })),
      ...(content === undefined ? [] : [{ name: 'Content-Format' as const, value: uint(content.format) }]),
      ...query.map((parameter): NamedOption => ({ name: 'Uri-Query', value: Buffer.from(parameter) })),
    ];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token.toString('hex'));
        reject(new Error(`no response to ${method} /${path.join('/')} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(token.toString('hex'), (response) => {
        clearTimeout(timer);
        resolve(response);
      });
      this.#socket.send(generate({ messageId: this.#nextMessageId++, token, code: method, confirmable: true, options, payload: content?.payload ?? Buffer.alloc(0) }));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }

  /** Closes the session and resolves once its UDP socket is closed, so that its port may be bound again. */
  async end(): Promise<void> {
    this.close();
    await this.#ended;
  }

  #receive(bytes: Buffer): void {
    const packet = parse(bytes);
    const method = METHODS[packet.code];
    if (method === undefined) {
      this.#pending.get(packet.token.toString('hex'))?.(packet);
      this.#pending.delete(packet.token.toString('hex'));
      return;
    }
    const request: ServerRequest = {
      method,
      path: packet.options.filter((option) => option.name === 'Uri-Path').map((option) => option.value.toString()),
      contentFormat: optionUint(packet, 'Content-Format'),
      payload: packet.payload,
      token: packet.token,
      observe: optionUint(packet, 'Observe'),
    };
    this.served.push(request);
    const response = this.#handler(request);
    // A piggybacked response in the ACK of a confirmable request, RFC 7252 section 5.2.1.
    this.#socket.send(
      generate({
        messageId: packet.messageId,
        token: packet.token,
        code: response.code,
        ack: packet.confirmable,
        confirmable: false,
        options: responseOptions(response),
        payload: response.payload ?? Buffer.alloc(0),
      }),
    );
  }

  /** A non-confirmable notification of the observation with `token` (RFC 7641 section 4.2). */
  notify(token: Buffer, response: ServerResponse): void {
    this.#socket.send(generate({ messageId: this.#nextMessageId++, token, code: response.code, confirmable: false, options: responseOptions(response), payload: response.payload ?? Buffer.alloc(0) }));
  }
}

function responseOptions(response: ServerResponse): NamedOption[] {
  return [
    ...(response.observe === undefined ? [] : [{ name: 'Observe' as const, value: uint(response.observe) }]),
    ...(response.contentFormat === undefined ? [] : [{ name: 'Content-Format' as const, value: uint(response.contentFormat) }]),
  ];
}

/** A CoAP uint option value: the shortest big-endian form, empty for 0 (RFC 7252 section 3.2). */
function uint(value: number): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from(bytes);
}

export function optionUint(packet: ParsedPacket, name: string): number | undefined {
  const option = packet.options.find((candidate) => candidate.name === name);
  return option === undefined ? undefined : option.value.reduce((value, byte) => value * 256 + byte, 0);
}
