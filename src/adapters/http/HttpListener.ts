/**
 * The service's HTTP port, bound before the services that must name it are built (a firmware update
 * offers its package at this port's URI) and served once the API built on them is ready. Until then
 * every request is answered 503 with Retry-After (RFC 9110 sections 15.6.4 and 10.2.3): the service
 * is starting, and a client asked to come back soon loses nothing.
 */
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpListenerOptions {
  readonly host: string;
  /** 0: an ephemeral port, told by `port` once bound. */
  readonly port: number;
}

export interface HttpListener {
  readonly server: Server;
  readonly port: number;
  /** `http://host:port`, the address bound (an IPv6 one in brackets). */
  readonly origin: string;
  /** Hands every request from now on to `handler`. */
  serve(handler: RequestListener): void;
  /** Stops listening and closes every connection; a second call waits for the first. */
  close(): Promise<void>;
}

const startingRetryAfterSeconds = 1;

/** Binds the port (rejecting with the listen error, EADDRINUSE for a taken port). */
export async function openHttpListener(options: HttpListenerOptions): Promise<HttpListener> {
  let handler: RequestListener = (_request, response) => {
    response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': String(startingRetryAfterSeconds) }).end('the service is starting\n');
  };
  const server = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    server,
    port: address.port,
    origin: `http://${host}:${address.port}`,
    serve(next) {
      handler = next;
    },
    close() {
      closed ??= new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
