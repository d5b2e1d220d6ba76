/**
 * The DTLS server as the CoAP endpoint's datagram transport: application data in and out per
 * authenticated peer, so that `DatagramCoapEndpoint` (and the LwM2M logic above it) runs over DTLS
 * unchanged. A datagram for a peer without a session is dropped: a DTLS server cannot start a handshake,
 * and CoAP's retransmission then ends in its timeout, as with an unreachable device.
 */
import type { CoapPeer } from '../coap/CoapEndpoint.ts';
import type { Logger } from '../logging/Logger.ts';
import type { DatagramTransport } from '../coap/DatagramTransport.ts';
import { DtlsServer } from './DtlsServer.ts';
import type { DtlsServerOptions } from './DtlsServer.ts';
import type { DtlsSessionInfo } from './DtlsSession.ts';
import type { SavedDtlsSession } from './DtlsSessionState.ts';

export interface DtlsDatagramTransportOptions extends DtlsServerOptions {
  readonly host: string;
  readonly port: number;
  /** Sessions a previous run suspended, restored before the socket receives anything. */
  readonly restoredSessions?: readonly SavedDtlsSession[];
}

export class DtlsDatagramTransport implements DatagramTransport {
  readonly local: CoapPeer;
  /** For session events (established, closed, handshake failures) and identities. */
  readonly server: DtlsServer;
  private readonly logger: Logger;

  private constructor(server: DtlsServer, local: CoapPeer, logger: Logger) {
    this.server = server;
    this.local = local;
    this.logger = logger;
  }

  static async open(options: DtlsDatagramTransportOptions): Promise<DtlsDatagramTransport> {
    const server = new DtlsServer(options);
    if (options.restoredSessions !== undefined) server.restoreSessions(options.restoredSessions);
    const bound = await server.listen(options.port, options.host);
    return new DtlsDatagramTransport(server, { address: bound.address, port: bound.port }, options.logger);
  }

  send(bytes: Uint8Array, peer: CoapPeer): void {
    if (!this.server.send(peer, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) {
      this.logger.debug({ peer }, 'DTLS: no session for an outgoing datagram, dropped');
    }
  }

  onDatagram(receiver: (bytes: Uint8Array, peer: CoapPeer) => void): void {
    this.server.on('datagram', (data, session) => receiver(data, session.peer));
  }

  /** The session (and so the PSK identity) behind a peer's datagrams. */
  sessionOf(peer: CoapPeer): DtlsSessionInfo | undefined {
    return this.server.sessionOf(peer);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
