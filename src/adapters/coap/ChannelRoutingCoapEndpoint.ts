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
 */
import type { CoapEndpoint, CoapPeer, CoapRequestHandler, IncomingCoapRequest, IncomingCoapResponse, OutgoingCoapRequest, UnsolicitedResponseHandler } from './CoapEndpoint.ts';

export class ChannelRoutingCoapEndpoint implements CoapEndpoint {
  readonly local: CoapPeer;
  readonly #plain: CoapEndpoint;
  readonly #secure: CoapEndpoint;
  readonly #hasSecureSession: (peer: CoapPeer) => boolean;
  readonly #secureRequests = new WeakSet<IncomingCoapRequest>();

  constructor(plain: CoapEndpoint, secure: CoapEndpoint, hasSecureSession: (peer: CoapPeer) => boolean) {
    this.#plain = plain;
    this.#secure = secure;
    this.#hasSecureSession = hasSecureSession;
    this.local = plain.local;
  }

  handle(handler: CoapRequestHandler): void {
    this.#plain.handle((request) => (this.#hasSecureSession(request.peer) ? { code: '4.03' } : handler(request)));
    this.#secure.handle((request) => {
      this.#secureRequests.add(request);
      return handler(request);
    });
  }

  /** Whether the request arrived on the secure endpoint. */
  cameSecure(request: IncomingCoapRequest): boolean {
    return this.#secureRequests.has(request);
  }

  handleUnsolicited(handler: UnsolicitedResponseHandler): void {
    this.#plain.handleUnsolicited((response) => !this.#hasSecureSession(response.peer) && handler(response));
    this.#secure.handleUnsolicited(handler);
  }

  request(peer: CoapPeer, request: OutgoingCoapRequest): Promise<IncomingCoapResponse> {
    return (this.#hasSecureSession(peer) ? this.#secure : this.#plain).request(peer, request);
  }

  async close(): Promise<void> {
    await Promise.all([this.#plain.close(), this.#secure.close()]);
  }
}
