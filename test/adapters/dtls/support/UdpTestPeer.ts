/** A raw UDP socket on loopback that plays a hostile or half-finished DTLS peer and collects what it receives. */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';

export class UdpTestPeer {
  readonly received: Buffer[] = [];
  private readonly socket: Socket;
  private waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (message) => {
      this.received.push(message);
      const waiting = this.waiters;
      this.waiters = [];
      for (const wake of waiting) wake();
    });
  }

  static async open(address = '127.0.0.1'): Promise<UdpTestPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    return new UdpTestPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /**
   * Sends and then yields to the event loop: small UDP sends complete without one, so a tight loop of
   * sends in this process would starve the server under test and overflow its receive buffer.
   */
  async send(datagram: Buffer, port: number, address = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.send(datagram, port, address, (error) => (error ? reject(error) : resolve())));
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Waits until `count` datagrams have arrived in total, or fails after `timeoutMs`. */
  async waitForCount(count: number, timeoutMs = 2000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} datagrams, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
