/**
 * A UDP relay between one client and the server, so that tests can replay, truncate or garble records
 * of a real client's session. It forwards both ways and remembers what each side sent.
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';

export class UdpRelay {
  /** Datagrams from the client, in arrival order. */
  readonly fromClient: Buffer[] = [];
  /** Datagrams from the server, in arrival order. */
  readonly fromServer: Buffer[] = [];
  private readonly front: Socket;
  private readonly back: Socket;
  private readonly serverPort: number;
  private client: RemoteInfo | undefined;

  private constructor(front: Socket, back: Socket, serverPort: number) {
    this.front = front;
    this.back = back;
    this.serverPort = serverPort;
    front.on('message', (message, remote) => {
      this.client = remote;
      this.fromClient.push(message);
      back.send(message, serverPort, '127.0.0.1');
    });
    back.on('message', (message) => {
      this.fromServer.push(message);
      if (this.client !== undefined) front.send(message, this.client.port, this.client.address);
    });
  }

  static async start(serverPort: number): Promise<UdpRelay> {
    const front = createSocket('udp4');
    const back = createSocket('udp4');
    await Promise.all([
      new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve)),
      new Promise<void>((resolve) => back.bind(0, '127.0.0.1', resolve)),
    ]);
    return new UdpRelay(front, back, serverPort);
  }

  get port(): number {
    return this.front.address().port;
  }

  /** Sends bytes to the server as if they came from the client (same source address and port). */
  async inject(datagram: Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.back.send(datagram, this.serverPort, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  }

  async close(): Promise<void> {
    await Promise.all([
      new Promise<void>((resolve) => this.front.close(() => resolve())),
      new Promise<void>((resolve) => this.back.close(() => resolve())),
    ]);
  }
}
