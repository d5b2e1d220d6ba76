/**
 * A raw UDP peer for CoAP tests: sends crafted datagrams and waits, with a deadline, for the
 * datagrams it receives. It plays the hostile or foreign peer that no library would let us be.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import type { CoapMessage, CoapOption } from '../../src/adapters/coap/CoapMessage.ts';
import { decodeCoapMessage, encodeCoapMessage } from '../../src/adapters/coap/CoapMessageCodec.ts';
import { Arrivals } from './Arrivals.ts';

export interface ReceivedDatagram {
  readonly bytes: Buffer;
  readonly message: CoapMessage | undefined;
  readonly port: number;
}

export class RawCoapPeer {
  readonly #arrivals = new Arrivals<ReceivedDatagram>((items) => `received ${items.length} datagrams`);
  readonly received: ReceivedDatagram[] = this.#arrivals.items;
  readonly #socket: Socket;
  #target: { address: string; port: number };

  private constructor(socket: Socket, target: { address: string; port: number }) {
    this.#socket = socket;
    this.#target = target;
    socket.on('message', (bytes, remote) => {
      const decoded = decodeCoapMessage(bytes);
      this.#arrivals.push({ bytes, message: decoded.ok ? decoded.message : undefined, port: remote.port });
    });
  }

  /** A peer on `localAddress` (by default the target's: loopback for loopback; any of 127.0.0.0/8 is another host). */
  static async open(target: { address: string; port: number }, localAddress = target.address): Promise<RawCoapPeer> {
    const socket = createSocket(target.address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, localAddress, resolve));
    return new RawCoapPeer(socket, target);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Sends to another port of the target's host from now on, from the same socket: a balancer that re-hashed the device to another node. */
  moveTo(port: number): void {
    this.#target = { address: this.#target.address, port };
  }

  sendBytes(bytes: Uint8Array): void {
    this.#socket.send(bytes, this.#target.port, this.#target.address);
  }

  send(message: CoapMessage): void {
    this.sendBytes(encodeCoapMessage(message));
  }

  /** Resolves with the first received datagram (from index `from`) matching, or rejects after `ms`. */
  waitFor(predicate: (d: ReceivedDatagram) => boolean, ms = 2_000, from = 0): Promise<ReceivedDatagram> {
    return this.#arrivals.waitFor(predicate, ms, from);
  }

  /** The first request with `code` ("0.01" GET) received from index `from`, and the index just after it. */
  async request(code: string, from = 0): Promise<{ readonly message: CoapMessage; readonly index: number }> {
    const found = await this.waitFor((datagram) => datagram.message?.code === code, 2_000, from);
    if (!found.message) throw new Error(`no ${code} request`);
    return { message: found.message, index: this.received.indexOf(found) + 1 };
  }

  /** Answers `request` in a piggybacked ACK (RFC 7252 section 5.2.1). */
  reply(request: CoapMessage, code: string, options: readonly CoapOption[] = [], payload: Uint8Array = new Uint8Array(0)): void {
    this.send({ type: 'ACK', code, messageId: request.messageId, token: request.token, options: [...options], payload });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/**
 * A raw LwM2M 1.1 device on its own UDP socket that registers `endpoint` at `server` with the given
 * CoRE links (`POST /rd`, link format, and `query` beside `ep` and `lwm2m`) and has been answered 2.01;
 * the caller closes it. For tests that must play the device byte by byte (answers node-coap would never
 * give, or none at all).
 */
export async function registerRawDevice(server: { address: string; port: number }, endpoint: string, links: string, query: readonly string[] = []): Promise<RawCoapPeer> {
  const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
  const raw = await RawCoapPeer.open(server);
  raw.send({
    type: 'CON',
    code: '0.02',
    messageId: 1,
    token: Uint8Array.of(9),
    options: [
      { number: 11, value: utf8('rd') },
      { number: 12, value: Uint8Array.of(40) },
      // LwM2M 1.1 unless the query names the version.
      ...[`ep=${endpoint}`, ...(query.some((argument) => argument.startsWith('lwm2m=')) ? [] : ['lwm2m=1.1']), ...query].map((argument) => ({ number: 15, value: utf8(argument) })),
    ],
    payload: utf8(links),
  });
  const answer = (await raw.waitFor((datagram) => datagram.message?.messageId === 1)).message?.code;
  if (answer !== '2.01') {
    await raw.close();
    throw new Error(`the raw device ${endpoint} was answered ${String(answer)} to its Register, not 2.01`);
  }
  return raw;
}

/**
 * The ids of the messages the peer has had an empty ACK for so far. A ping (empty CON, answered with
 * RST at once) is sent first and its RST awaited: an ACK the server sent for what it received before
 * the ping is then in already.
 */
export async function acknowledgedMessageIds(raw: RawCoapPeer, pingId: number): Promise<number[]> {
  raw.send({ type: 'CON', code: '0.00', messageId: pingId, token: new Uint8Array(0), options: [], payload: new Uint8Array(0) });
  await raw.waitFor((datagram) => datagram.message?.messageId === pingId && datagram.message.type === 'RST');
  return raw.received.flatMap((datagram) => (datagram.message?.type === 'ACK' && datagram.message.code === '0.00' ? [datagram.message.messageId] : []));
}
