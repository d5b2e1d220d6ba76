/**
 * A datagram transport under the CoAP endpoint: plain UDP (`UdpDatagramTransport`) or DTLS records
 * over UDP (the DTLS adapter), so that the CoAP logic of `DatagramCoapEndpoint` runs unchanged on
 * both. Sending never throws; a failed send is the transport's to log (UDP gives no delivery
 * guarantee anyway: CoAP's retransmission covers it).
 */
import type { CoapPeer } from './CoapEndpoint.ts';

export interface DatagramTransport {
  readonly local: CoapPeer;
  send(bytes: Uint8Array, peer: CoapPeer): void;
  /** Installs the one receiver of incoming datagrams. */
  onDatagram(receiver: (bytes: Uint8Array, peer: CoapPeer) => void): void;
  close(): Promise<void>;
}
