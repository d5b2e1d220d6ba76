/**
 * A raw UDP peer for CoAP tests: sends crafted datagrams and waits, with a deadline, for the
 * datagrams it receives. It plays the hostile or foreign peer that no library would let us be.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import type { CoapMessage } from '../../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from '../../src/adapters/coap/CoapMessageCodec.ts';

export interface ReceivedDatagram {
  readonly bytes: Buffer;
  readonly message: CoapMessage | undefined;
  readonly port: number;
}

export class RawCoapPeer {
  readonly received: ReceivedDatagram[] = [];
  readonly #socket: Socket;
  readonly #target: { address: string; port: number };
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket, target: { address: string; port: number }) {
    this.#socket = socket;
    this.#target = target;
    socket.on('message', (bytes, remote) => {
      const decoded = decodeCoapMessage(bytes);
      this.received.push({ bytes, message: decoded.ok ? decoded.message : undefined, port: remote.port });
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    });
  }

  static async open(target: { address: string; port: number }): Promise<RawCoapPeer> {
    const socket = createSocket(target.address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, target.address, resolve));
    return new RawCoapPeer(socket, target);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  sendBytes(bytes: Uint8Array): void {
    this.#socket.send(bytes, this.#target.port, this.#target.address);
  }

  send(message: CoapMessage): void {
    this.sendBytes(encodeCoapMessage(message));
  }

  /** Resolves with the first received datagram (from index `from`) matching, or rejects after `ms`. */
  async waitFor(predicate: (d: ReceivedDatagram) => boolean, ms = 2_000, from = 0): Promise<ReceivedDatagram> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.slice(from).find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching datagram within ${ms} ms (received ${this.received.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
