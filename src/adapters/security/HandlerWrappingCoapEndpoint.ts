/**
 * A CoAP endpoint whose installed request handler is wrapped, so that a component that installs its
 * own handler (the bootstrap server's `attach`) gets an audit around it without knowing of it.
 */
import type { CoapEndpoint, CoapPeer, CoapRequestHandler, IncomingCoapResponse, OutgoingCoapRequest, UnsolicitedResponseHandler } from '../coap/CoapEndpoint.ts';

export class HandlerWrappingCoapEndpoint implements CoapEndpoint {
  readonly local: CoapPeer;
  readonly #inner: CoapEndpoint;
  readonly #wrap: (handler: CoapRequestHandler) => CoapRequestHandler;

  constructor(inner: CoapEndpoint, wrap: (handler: CoapRequestHandler) => CoapRequestHandler) {
    this.#inner = inner;
    this.#wrap = wrap;
    this.local = inner.local;
  }

  handle(handler: CoapRequestHandler): void {
    this.#inner.handle(this.#wrap(handler));
  }

  handleUnsolicited(handler: UnsolicitedResponseHandler): void {
    this.#inner.handleUnsolicited(handler);
  }

  request(peer: CoapPeer, request: OutgoingCoapRequest): Promise<IncomingCoapResponse> {
    return this.#inner.request(peer, request);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
