/**
 * A raw CoAP-over-TCP (or TLS) peer for tests, RFC 8323: sends crafted messages or bytes and waits,
 * with a deadline, for the messages it receives. It plays the hostile, broken or minimal peer that no
 * library would let us be; what it receives is read with the project's stream reader.
 */
import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import type { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { CoapStreamMessage } from '../../src/adapters/coap/CoapStreamCodec.ts';
import { CoapStreamReader, SignalCode, SignalOption, encodeCoapStreamMessage } from '../../src/adapters/coap/CoapStreamCodec.ts';
import { uintOptionOf } from '../../src/adapters/coap/CoapMessage.ts';
import { Arrivals } from './Arrivals.ts';

export interface StreamPeerOptions {
  /** TLS-PSK towards a coaps+tcp port, instead of plain TCP. */
  readonly psk?: { readonly identity: string; readonly key: Buffer };
  /** TLS with this client certificate and key (PEM files) towards a coaps+tcp port. */
  readonly certificate?: { readonly certificate: string; readonly privateKey: string };
}

export class RawCoapStreamPeer {
  readonly #arrivals = new Arrivals<CoapStreamMessage>((items) => `received ${items.map((m) => m.code).join(', ')}`);
  readonly received: CoapStreamMessage[] = this.#arrivals.items;
  readonly #socket: Socket;
  readonly #reader = new CoapStreamReader(1 << 20);
  readonly closed: Promise<void>;
  #answer: ((message: CoapStreamMessage) => CoapStreamMessage | undefined) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.#reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        if (item.kind !== 'message') continue;
        const answer = this.#answer?.(item.message);
        if (answer !== undefined) this.send(answer);
        this.#arrivals.push(item.message);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => this.#arrivals.wake());
  }

  static async connect(target: { readonly address: string; readonly port: number }, options: StreamPeerOptions = {}): Promise<RawCoapStreamPeer> {
    const { psk, certificate } = options;
    const host = { host: target.address, port: target.port };
    // The service's certificate is its own, self-signed: these tests check the device's side, not the server's.
    const socket =
      psk !== undefined
        ? connectTls({ ...host, ciphers: 'PSK-AES128-GCM-SHA256', maxVersion: 'TLSv1.2', checkServerIdentity: () => undefined, pskCallback: () => ({ psk: psk.key, identity: psk.identity }) })
        : certificate !== undefined
          ? connectTls({ ...host, cert: readFileSync(certificate.certificate), key: readFileSync(certificate.privateKey), rejectUnauthorized: false })
          : connectTcp(host);
    await new Promise<void>((resolve, reject) => {
      socket.once(psk === undefined && certificate === undefined ? 'connect' : 'secureConnect', () => resolve());
      socket.once('error', reject);
    });
    return new RawCoapStreamPeer(socket);
  }

  /** Connects and sends a CSM (RFC 8323 section 5.3), announcing `maxMessageSize`. */
  static async connectWithCsm(target: { readonly address: string; readonly port: number }, maxMessageSize = 1152, options: StreamPeerOptions = {}): Promise<RawCoapStreamPeer> {
    const peer = await RawCoapStreamPeer.connect(target, options);
    peer.send({ code: SignalCode.Csm, token: new Uint8Array(0), options: [uintOptionOf(SignalOption.MaxMessageSize, maxMessageSize)], payload: new Uint8Array(0) });
    return peer;
  }

  /** Answers each message as it arrives: what `answer` returns is sent back (the peer then plays a server too). */
  answer(answer: (message: CoapStreamMessage) => CoapStreamMessage | undefined): void {
    this.#answer = answer;
  }

  get port(): number {
    return this.#socket.localPort ?? 0;
  }

  sendBytes(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  send(message: CoapStreamMessage): void {
    this.sendBytes(encodeCoapStreamMessage(message));
  }

  /** Resolves with the first received message (from index `from`) matching, or rejects after `ms`. */
  waitFor(predicate: (message: CoapStreamMessage) => boolean, ms = 3_000, from = 0): Promise<CoapStreamMessage> {
    return this.#arrivals.waitFor(predicate, ms, from);
  }

  /** Stops reading what arrives (it waits in the sockets), as a peer that does not read its responses. */
  pauseReading(): void {
    this.#socket.pause();
  }

  close(): void {
    this.#socket.destroy();
  }
}
