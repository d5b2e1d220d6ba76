/** node-dtls-client (an independent DTLS implementation from npm) wrapped in promises with deadlines. */
import { dtls } from 'node-dtls-client';

/** Ours, plus one we do not offer. */
type SuiteName = 'TLS_PSK_WITH_AES_128_CCM_8' | 'TLS_PSK_WITH_AES_128_CBC_SHA256' | 'TLS_PSK_WITH_AES_128_CBC_SHA';

export class DtlsTestClient {
  readonly messages: Buffer[] = [];
  private readonly socket: dtls.Socket;
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(socket: dtls.Socket) {
    this.socket = socket;
    // node-dtls-client closes its socket itself on close_notify, and throws if closed twice.
    socket.on('close', () => (this.closed = true));
    socket.on('message', (message: Buffer) => {
      this.messages.push(message);
      const waiting = this.waiters;
      this.waiters = [];
      for (const wake of waiting) wake();
    });
  }

  /** Resolves once the handshake completes; rejects with the client's error (alert, timeout). */
  static async connect(port: number, identity: string, key: string, cipher: SuiteName, timeoutMs = 3000): Promise<DtlsTestClient> {
    const socket = dtls.createSocket({ type: 'udp4', address: '127.0.0.1', port, psk: { [identity]: key }, ciphers: [cipher], timeout: timeoutMs });
    const client = new DtlsTestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connected', () => resolve());
      socket.once('error', (error: Error) => reject(error));
    });
    return client;
  }

  send(data: Buffer): void {
    this.socket.send(data);
  }

  async waitForMessages(count: number, timeoutMs = 2000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} messages, got ${this.messages.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages.slice(0, count);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}
