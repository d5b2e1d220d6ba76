/**
 * One UDP socket as a datagram transport. A socket bound to "::" is dual-stack (IPv4 and IPv6 on one
 * port); IPv4 peers then arrive as "::ffff:a.b.c.d" and are reported, and addressed, in dotted form,
 * so that an IPv4 device has one address whichever socket it reached.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../logging/Logger.ts';
import { defaultUdpReceiveBufferBytes, enlargeReceiveBuffer } from '../runtime/UdpReceiveBuffer.ts';
import type { CoapPeer } from './CoapEndpoint.ts';
import type { DatagramTransport } from './DatagramTransport.ts';

export interface UdpDatagramTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** The socket's receive buffer (UdpReceiveBuffer.ts); 4 MiB by default. */
  readonly receiveBufferBytes?: number;
}

export class UdpDatagramTransport implements DatagramTransport {
  readonly local: CoapPeer;
  readonly #socket: Socket;
  readonly #ipv6: boolean;
  readonly #logger: Logger;
  #closed = false;

  private constructor(socket: Socket, logger: Logger) {
    this.#socket = socket;
    this.#logger = logger;
    const address = socket.address();
    this.#ipv6 = address.family === 'IPv6';
    this.local = { address: address.address, port: address.port };
    socket.on('error', (error) => logger.warn({ err: error }, 'UDP socket error'));
  }

  static async open(options: UdpDatagramTransportOptions): Promise<UdpDatagramTransport> {
    const socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4', ipv6Only: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    enlargeReceiveBuffer(socket, options.receiveBufferBytes ?? defaultUdpReceiveBufferBytes, options.logger, `udp ${options.host} ${socket.address().port}`);
    return new UdpDatagramTransport(socket, options.logger);
  }

  onDatagram(receiver: (bytes: Uint8Array, peer: CoapPeer) => void): void {
    this.#socket.on('message', (bytes, remote) => receiver(bytes, { address: normalizeAddress(remote.address), port: remote.port }));
  }

  send(bytes: Uint8Array, peer: CoapPeer): void {
    if (this.#closed) return;
    const address = this.#ipv6 && !isIPv6(peer.address) ? `::ffff:${peer.address}` : peer.address;
    try {
      this.#socket.send(bytes, peer.port, address, (error) => {
        if (error) this.#logger.debug({ err: error, peer }, 'UDP send failed');
      });
    } catch (error) {
      this.#logger.debug({ err: error, peer }, 'UDP send refused');
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/** "::ffff:192.0.2.1" (an IPv4 peer on a dual-stack socket) is reported as "192.0.2.1". */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
