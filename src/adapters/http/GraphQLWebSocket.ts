/**
 * graphql-ws (the graphql-transport-ws protocol) on a `ws` server, with the limits a client meets before
 * it can cost the service memory. graphql-ws's own binding (`graphql-ws/use/ws`) hands every message on
 * whatever its size and whether the connection is authenticated yet; this is that binding with checks
 * in front of the protocol:
 * - before `connection_init` was accepted, a message larger than `initMessageBytes` closes the
 *   connection with 1009 "Message Too Big" (RFC 6455 section 7.4.1): an init carries only a token;
 * - a connection runs at most `operationsPerConnection` operations at once (subscriptions and queries
 *   in flight); one more is refused with an error message naming the limit, the others keep running;
 * - a connection that stops answering pings is dropped, so its subscriptions do not outlive it.
 * The largest message at any time is the `ws` server's `maxPayload`.
 */
import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import type { Context, ServerOptions } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logging/Logger.ts';

export interface WebSocketLimits {
  /** Largest message a connection may send before its `connection_init` was accepted. */
  readonly initMessageBytes: number;
  /** Most operations one connection runs at once. */
  readonly operationsPerConnection: number;
}

export interface WebSocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

/** RFC 6455 section 7.4.1: the endpoint received a message too big for it to process. */
const messageTooBigCloseCode = 1009;

/** How often a connection is pinged; one that has not answered the previous ping by then is dropped. */
const keepAliveMs = 12_000;

export interface GraphQLWebSocketServer {
  /** Operations running now over every connection (subscriptions and queries in flight). */
  activeOperations(): number;
  dispose(): Promise<void>;
}

export function serveGraphQLWebSocket<P extends Record<string, unknown> | undefined>(
  webSockets: WebSocketServer,
  options: ServerOptions<P, WebSocketExtra>,
  limits: WebSocketLimits,
  logger: Logger,
): GraphQLWebSocketServer {
  const accepted = new WeakSet<WebSocket>();
  const contexts = new Set<Context<P, WebSocketExtra>>();
  const server = makeServer<P, WebSocketExtra>({
    ...options,
    async onConnect(context) {
      const verdict = await options.onConnect?.(context);
      if (verdict !== false) {
        accepted.add(context.extra.socket);
        contexts.add(context);
      }
      return verdict;
    },
    onSubscribe(context, id, payload) {
      // graphql-ws has already reserved this operation's id: it is one of the subscriptions counted.
      const running = Object.keys(context.subscriptions).length;
      if (running > limits.operationsPerConnection) {
        const message = `a WebSocket connection runs at most ${limits.operationsPerConnection} operations at once; complete one first or open another connection`;
        return [new GraphQLError(message, { extensions: { code: 'TOO_MANY_OPERATIONS', maxOperations: limits.operationsPerConnection } })];
      }
      return options.onSubscribe?.(context, id, payload);
    },
    onClose(context, code, reason) {
      contexts.delete(context);
      return options.onClose?.(context, code, reason);
    },
  });
  webSockets.options.handleProtocols = handleProtocols;

  webSockets.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.once('error', (error) => {
      logger.warn({ err: error }, 'WebSocket connection failed');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let answeredPing = true;
    socket.on('pong', () => (answeredPing = true));
    const keepAlive = setInterval(() => {
      if (!answeredPing) {
        socket.terminate();
        return;
      }
      answeredPing = false;
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data: RawData) => {
            const size = rawDataBytes(data);
            if (!accepted.has(socket) && size > limits.initMessageBytes) {
              socket.close(messageTooBigCloseCode, `at most ${limits.initMessageBytes} bytes before connection_init is accepted`);
              return;
            }
            handle(rawDataText(data)).catch((error: unknown) => {
              logger.error({ err: error }, 'WebSocket message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(keepAlive);
      void closed(code, reason.toString('utf8'));
    });
  });

  return {
    activeOperations: () => [...contexts].reduce((sum, context) => sum + Object.keys(context.subscriptions).length, 0),
    async dispose() {
      for (const client of webSockets.clients) client.close(1001, 'Going away');
      webSockets.removeAllListeners();
      await new Promise<void>((resolve, reject) => webSockets.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function rawDataBytes(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, chunk) => sum + chunk.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function rawDataText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}
