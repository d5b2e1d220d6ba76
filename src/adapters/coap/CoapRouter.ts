/**
 * The uplink router of one CoAP port: a request goes to the handler registered for the first segment
 * of its Uri-Path (RFC 7252 section 6.4: the path names the resource), as the LwM2M interfaces are
 * rooted: `/rd` registration (LwM2M Transport 1.1 section 6.4), `/dp` Send (LwM2M Core 1.1 section
 * 6.4.6), `/fw` the firmware packages served for a pull, `/bs` bootstrap. The composition root builds
 * one per port and installs it; the application services register their handlers on it. A request
 * under no registered segment goes to the fallback (4.04 Not Found unless one is given).
 */
import type { CoapRequestHandler, CoapRoutes } from './CoapEndpoint.ts';

export class CoapRouter implements CoapRoutes {
  readonly #routes = new Map<string, CoapRequestHandler>();
  readonly #fallback: CoapRequestHandler;

  constructor(fallback: CoapRequestHandler = () => ({ code: '4.04' })) {
    this.#fallback = fallback;
  }

  /** Serves every request whose Uri-Path starts with `segment` with `handler`. */
  route(segment: string, handler: CoapRequestHandler): this {
    if (this.#routes.has(segment)) throw new Error(`the CoAP path /${segment} is already routed`);
    this.#routes.set(segment, handler);
    return this;
  }

  /** The handler to install on the port's endpoint. */
  readonly handle: CoapRequestHandler = (request) => {
    const [first] = request.path;
    const handler = first === undefined ? undefined : this.#routes.get(first);
    return (handler ?? this.#fallback)(request);
  };
}
