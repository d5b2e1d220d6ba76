/**
 * The CoAP endpoint port: what the LwM2M logic (registration, bootstrap, device management) knows
 * of a transport, in the manner of graphql-ws's small socket interface and Leshan's endpoint
 * providers. The UDP implementation is `DatagramCoapEndpoint`; DTLS provides the same interface, so the
 * same LwM2M logic runs on both.
 *
 * One endpoint is one socket: requests to a peer leave from the socket the peer's requests arrived
 * on, which NAT bindings and DTLS sessions require (LwM2M Transport 1.1 section 5: the server
 * addresses the client at the source of its last Register or Update).
 */
import type { CoapMethod, CoapOption } from './CoapMessage.ts';

export interface CoapPeer {
  readonly address: string;
  readonly port: number;
}

export interface IncomingCoapRequest {
  readonly peer: CoapPeer;
  readonly method: CoapMethod;
  /** Uri-Path segments, decoded. */
  readonly path: readonly string[];
  /** Uri-Query arguments as sent ("ep=dev1", "Q"). */
  readonly query: readonly string[];
  readonly contentFormat: number | undefined;
  readonly accept: number | undefined;
  readonly observe: number | undefined;
  /** The whole body, reassembled from Block1 transfers by the endpoint. */
  readonly payload: Uint8Array;
  readonly options: readonly CoapOption[];
}

export interface CoapResponse {
  /** "2.01", "4.04", ... */
  readonly code: string;
  readonly payload?: Uint8Array;
  readonly contentFormat?: number;
  readonly locationPath?: readonly string[];
  /** Further options (ETag, Max-Age, ...). */
  readonly options?: readonly CoapOption[];
}

export interface IncomingCoapResponse {
  readonly code: string;
  /** The whole body, reassembled from Block2 transfers by the endpoint. */
  readonly payload: Uint8Array;
  readonly contentFormat: number | undefined;
  readonly options: readonly CoapOption[];
}

export interface OutgoingCoapRequest {
  readonly method: CoapMethod;
  readonly path: readonly string[];
  readonly query?: readonly string[];
  readonly contentFormat?: number;
  readonly accept?: number;
  readonly payload?: Uint8Array;
  /** Non-confirmable when false; confirmable (retransmitted, RFC 7252 section 4.2) by default. */
  readonly confirmable?: boolean;
  /** The token to use (an observation's, to register or cancel it, RFC 7641 section 3.6); random when absent. */
  readonly token?: Uint8Array;
  /** The Observe option: 0 registers an observation, 1 cancels it (RFC 7641 section 2). */
  readonly observe?: number;
  /**
   * The first block to ask for with Block2 (RFC 7959 section 2.4), the following ones are fetched in
   * turn; the response carries the body from that block on. For the rest of a notification that came
   * block-wise (RFC 7959 section 2.6), which asks for NUM 1 onwards.
   */
  readonly block2?: { readonly num: number; readonly size: number };
  /**
   * Abandons the request once aborted (the peer has left the address it was sent to): retransmissions
   * stop, a late answer is no longer matched, and the promise rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/** A response that matches no pending request: a notification of an observation (RFC 7641 section 3.2). */
export interface UnsolicitedCoapResponse {
  readonly peer: CoapPeer;
  readonly token: Uint8Array;
  readonly code: string;
  readonly observe: number | undefined;
  readonly contentFormat: number | undefined;
  readonly payload: Uint8Array;
  readonly options: readonly CoapOption[];
}

/**
 * Says, synchronously, whether an unsolicited response belongs to a known observation: false, not
 * ours (answered with RST, RFC 7641 section 3.6); true, ours, acknowledged at once when confirmable;
 * a promise, ours, acknowledged when confirmable once the promise resolves (its value is stored). If
 * the promise rejects, the message is not acknowledged and its id is forgotten, so that the peer's
 * retransmission (RFC 7252 section 4.2) is handled again instead of being dropped as a duplicate.
 */
export type UnsolicitedResponseHandler = (response: UnsolicitedCoapResponse) => boolean | Promise<void>;

/** Answers a request; whatever it throws becomes 5.00 for the peer and a log line, never a crash. */
export type CoapRequestHandler = (request: IncomingCoapRequest) => Promise<CoapResponse> | CoapResponse;

/** Where a service registers the handler of the resources it serves under a first Uri-Path segment of a port (CoapRouter). */
export interface CoapRoutes {
  route(segment: string, handler: CoapRequestHandler): void;
}

export interface CoapEndpoint {
  /** The bound address and port (the real port when the endpoint was bound to port 0). */
  readonly local: CoapPeer;
  /** Installs the one handler of incoming requests (until then, requests get 5.03). */
  handle(handler: CoapRequestHandler): void;
  /** Installs the one handler of responses that match no pending request (until then, they get RST). */
  handleUnsolicited(handler: UnsolicitedResponseHandler): void;
  /**
   * Sends a request to a peer from this endpoint's socket. Rejects with CoapTimeoutError when no
   * acknowledgement or response arrives (over TCP and TLS also when no connection to the peer is
   * open, or it closes first), CoapResetError when the peer answers RST.
   */
  request(peer: CoapPeer, request: OutgoingCoapRequest): Promise<IncomingCoapResponse>;
  close(): Promise<void>;
}

export class CoapTimeoutError extends Error {
  constructor(peer: CoapPeer, what: string) {
    super(`no ${what} from ${peer.address}:${peer.port}`);
    this.name = 'CoapTimeoutError';
  }
}

export class CoapResetError extends Error {
  constructor(peer: CoapPeer) {
    super(`${peer.address}:${peer.port} answered with RST`);
    this.name = 'CoapResetError';
  }
}

/** The peer sent something we cannot use as a response (bad block option, body too large). */
export class CoapProtocolError extends Error {
  constructor(peer: CoapPeer, reason: string) {
    super(`${peer.address}:${peer.port}: ${reason}`);
    this.name = 'CoapProtocolError';
  }
}

/** The error an abandoned request rejects with: the abort's reason when it is one. */
export function abandonment(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('the request was abandoned');
}

export function peerKey(peer: CoapPeer): string {
  return `${peer.address}|${peer.port}`;
}
