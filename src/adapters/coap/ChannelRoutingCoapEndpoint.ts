/**
 * The LwM2M server's two endpoints, plain CoAP and CoAP over DTLS, as one CoapEndpoint for device
 * management, so that operations, observations and Send work alike for NO_SEC and PSK devices.
 *
 * - Incoming requests of both go to the one handler; `cameSecure(request)` tells which endpoint a
 *   request arrived on. It is the arrival socket that counts, never the source address: a datagram on
 *   the plain port that spoofs a PSK device's address must not pass for that device's DTLS traffic.
 * - Outgoing requests leave from the endpoint the device talks to: the secure one when a DTLS session
 *   with that peer exists, the plain one otherwise (LwM2M Transport 1.1 section 5: the server
 *   addresses the client at the source of its last Register or Update, over the same channel).
 * - On the plain endpoint, a request (4.03) or a notification (RST) from an address and port that holds
 *   a DTLS session is refused: UDP source addresses can be forged, and a forged plain datagram must not
 *   pass for a PSK device's Send, notification or any request that finds the device by its address.
 * - With the TCP and TLS endpoints (RFC 8323) as well, a request to a device registered over one of
 *   them goes over its connection there, and nowhere else: with the connection closed, the device is
 *   unreachable (that endpoint says so at once) rather than sent datagrams it does not listen for.
 *   TCP and UDP ports are separate spaces, so it is the registration's channel, not the address and
 *   port, that picks the endpoint.
 */
import type { RegistrationChannel } from '../../domain/registration/RegistrationEvents.ts';
import type { CoapEndpoint, CoapPeer, CoapRequestHandler, IncomingCoapRequest, IncomingCoapResponse, OutgoingCoapRequest, UnsolicitedResponseHandler } from './CoapEndpoint.ts';

/** The LwM2M server's endpoints over TCP and TLS, and the channel each registered peer is on. */
export interface StreamChannels {
  readonly tcp: CoapEndpoint;
  readonly tls: CoapEndpoint;
  readonly channelOf: (peer: CoapPeer) => RegistrationChannel | undefined;
}

/** The stream endpoint of each registration channel over TCP (RFC 8323). */
const streamPorts: Readonly<Partial<Record<RegistrationChannel, 'tcp' | 'tls'>>> = { tcp: 'tcp', tls: 'tls', 'tls-certificate': 'tls' };

/** The endpoint a request arrived on. */
export type ArrivalPort = 'plain' | 'dtls' | 'tcp' | 'tls';


export class ChannelRoutingCoapEndpoint implements CoapEndpoint {
  readonly local: CoapPeer;
  readonly #plain: CoapEndpoint;
  readonly #secure: CoapEndpoint;
  readonly #hasSecureSession: (peer: CoapPeer) => boolean;
  readonly #streams: StreamChannels | undefined;
  readonly #arrivals = new WeakMap<IncomingCoapRequest, ArrivalPort>();

  constructor(plain: CoapEndpoint, secure: CoapEndpoint, hasSecureSession: (peer: CoapPeer) => boolean, streams?: StreamChannels) {
    this.#plain = plain;
    this.#secure = secure;
    this.#hasSecureSession = hasSecureSession;
    this.#streams = streams;
    this.local = plain.local;
  }

  handle(handler: CoapRequestHandler): void {
    const arriving = (port: ArrivalPort): CoapRequestHandler => (request) => {
      this.#arrivals.set(request, port);
      return handler(request);
    };
    this.#plain.handle((request) => (this.#hasSecureSession(request.peer) ? { code: '4.03' } : arriving('plain')(request)));
    this.#secure.handle(arriving('dtls'));
    this.#streams?.tcp.handle(arriving('tcp'));
    this.#streams?.tls.handle(arriving('tls'));
  }

  /** The endpoint the request arrived on. */
  arrivedOn(request: IncomingCoapRequest): ArrivalPort {
    return this.#arrivals.get(request) ?? 'plain';
  }

  /** Whether the request arrived on the DTLS endpoint. */
  cameSecure(request: IncomingCoapRequest): boolean {
    return this.arrivedOn(request) === 'dtls';
  }

  handleUnsolicited(handler: UnsolicitedResponseHandler): void {
    this.#plain.handleUnsolicited((response) => !this.#hasSecureSession(response.peer) && handler(response));
    this.#secure.handleUnsolicited(handler);
    this.#streams?.tcp.handleUnsolicited(handler);
    this.#streams?.tls.handleUnsolicited(handler);
  }

  request(peer: CoapPeer, request: OutgoingCoapRequest): Promise<IncomingCoapResponse> {
    const channel = this.#streams?.channelOf(peer);
    const stream = channel === undefined ? undefined : streamPorts[channel];
    if (this.#streams !== undefined && stream !== undefined) return this.#streams[stream].request(peer, request);
    return (this.#hasSecureSession(peer) ? this.#secure : this.#plain).request(peer, request);
  }

  async close(): Promise<void> {
    await Promise.all([this.#plain.close(), this.#secure.close(), this.#streams?.tcp.close(), this.#streams?.tls.close()]);
  }
}
