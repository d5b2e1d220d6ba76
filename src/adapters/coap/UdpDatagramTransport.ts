/**
 * One UDP socket as a datagram transport. A socket bound to "::" is dual-stack (IPv4 and IPv6 on one
 * port); IPv4 peers are reported in dotted form (UdpAddresses.ts).
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../logging/Logger.ts';
import { destinationAddress, reportedAddress } from '../runtime/UdpAddresses.ts';
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
    // node:dgram's own lookup, not lookupIpLiteral (UdpAddresses.ts): node's defers each send to the next
    // tick, and a send made at once from a request's handler cost 3-4 µs more per request in the
    // registration benchmark.
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
    this.#socket.on('message', (bytes, remote) => receiver(bytes, { address: reportedAddress(remote.address), port: remote.port }));
  }

  send(bytes: Uint8Array, peer: CoapPeer): void {
    if (this.#closed) return;
    try {
      this.#socket.send(bytes, peer.port, destinationAddress(peer.address, this.#ipv6), (error) => {
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
