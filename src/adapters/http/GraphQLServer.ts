/**
 * The GraphQL endpoint: Apollo Server 5 on node:http for queries and mutations, and graphql-ws
 * (graphql-transport-ws protocol) for subscriptions, on the same port and path.
 *
 * Authentication happens before any operation runs: over HTTP from the Authorization header before
 * the request body is read (a missing or unknown token answers 401 and the body is never read), over
 * the WebSocket in `connection_init` (close code 4401). The body's size is capped by the caller's role
 * (413 beyond), the document's by its token count (graphql-js `maxTokens`, refused while parsing).
 * Depth and cost limits are validation rules that Apollo applies to HTTP operations and that
 * `onSubscribe` applies to WebSocket operations, which Apollo never sees.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import type { BaseContext, HTTPGraphQLRequest } from '@apollo/server';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate } from 'graphql';
import type { ExecutionArgs, GraphQLFormattedError, GraphQLSchema, ValidationRule } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { Context as WsContext } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import type { Principal } from '../../domain/auth/ApiTokens.ts';
import { roleAllows } from '../../domain/auth/ApiTokens.ts';
import type { Logger } from '../logging/Logger.ts';
import { bearerToken, connectionParamsToken } from './BearerToken.ts';
import type { HttpListener } from './HttpListener.ts';
import { consoleFilesRoute } from './ConsoleFiles.ts';
import { explorerLandingPagePlugin } from './LandingPage.ts';
import { serveGraphQLWebSocket } from './GraphQLWebSocket.ts';
import type { WebSocketExtra, WebSocketLimits } from './GraphQLWebSocket.ts';
import { graphqlOperationMetrics } from '../metrics/GraphQLMetrics.ts';
import type { Metrics } from '../metrics/Metrics.ts';
import { noMetrics } from '../metrics/Metrics.ts';

/** The graphql-ws close code for a failed authentication: 4401, mirroring HTTP 401. */
const unauthorizedCloseCode = CloseCode.Unauthorized;

/**
 * What makes the transport serve one API: the schema and how its operations are authenticated,
 * given their context, limited and have their errors told. The server itself knows no resolver.
 */
export interface GraphQLApi<TContext extends BaseContext> {
  readonly schema: GraphQLSchema;
  /** The caller a bearer token stands for, or undefined for an unknown token. */
  authenticate(token: string): Promise<Principal | undefined>;
  /** The context of one operation of an authenticated caller. */
  contextFor(principal: Principal): TContext;
  /** What the client is told of an error (and what is logged). */
  formatError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError;
  /** Rules beside graphql-js's own that every operation is validated against (depth, cost). */
  readonly validationRules: readonly ValidationRule[];
}

export interface GraphQLServerOptions<TContext extends BaseContext> extends GraphQLApi<TContext> {
  /** The bound HTTP port the API is served on (and closed with it). */
  readonly listener: HttpListener;
  readonly path?: string;
  readonly logger: Logger;
  readonly requestLimits?: RequestLimits;
  /** Further routes beside the GraphQL path (firmware packages); each answers and returns true, or returns false. */
  readonly routes?: ReadonlyArray<(request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>>;
  /** The built operator's console, served at / (default: dist/console beside the sources). */
  readonly consoleDirectory?: string;
  /** Where operations and active WebSocket operations are counted (nowhere by default). */
  readonly metrics?: Metrics;
}

export interface RunningGraphQLServer {
  readonly port: number;
  /** `http://host:port/path`. */
  readonly url: string;
  close(): Promise<void>;
}

/** A WebSocket operation under way: its name (for metrics) and whether it has sent an error. */
interface RunningWebSocketOperation {
  readonly name: string | undefined;
  failed: boolean;
}

/** What one request or connection may send, checked before it costs memory or parsing time. */
export interface RequestLimits extends WebSocketLimits {
  /** Largest HTTP body of a viewer's request: viewers only query. */
  readonly viewerBodyBytes: number;
  /** Largest HTTP body of an operator's or admin's request: a CSV import, a DDF or a firmware upload travels in one. */
  readonly writerBodyBytes: number;
  /** Largest WebSocket message once authenticated (subscriptions and queries; uploads go over HTTP). */
  readonly webSocketMessageBytes: number;
  /** Most lexical tokens in one GraphQL document (graphql-js `maxTokens`): bounds parsing and validation. */
  readonly maxTokens: number;
}

const mebibyte = 1024 * 1024;

/**
 * A 100,000-row registration CSV with every column of the guide's PSK table is about 23 MB as a JSON
 * string, so writers get 32 MiB; a viewer's query needs far less than 1 MiB. The standard introspection
 * query is about 200 tokens.
 */
export const defaultRequestLimits: RequestLimits = {
  viewerBodyBytes: mebibyte,
  writerBodyBytes: 32 * mebibyte,
  webSocketMessageBytes: mebibyte,
  initMessageBytes: 4096,
  operationsPerConnection: 100,
  maxTokens: 5000,
};

class BodyTooLarge extends Error {}

export async function startGraphQLServer<TContext extends BaseContext>(options: GraphQLServerOptions<TContext>): Promise<RunningGraphQLServer> {
  const path = options.path ?? '/graphql';
  const logger = options.logger.child({ component: 'graphql' });
  const requestLimits = options.requestLimits ?? defaultRequestLimits;
  const { schema } = options;
  const consoleFiles = consoleFilesRoute(options.consoleDirectory);
  const metrics = options.metrics ?? noMetrics;
  const operationMetrics = graphqlOperationMetrics(metrics);

  const authenticate = async (token: string | undefined): Promise<Principal | undefined> =>
    token === undefined ? undefined : options.authenticate(token);
  const formatError = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => options.formatError(formatted, error, logger);

  const apollo = new ApolloServer<TContext>({
    schema,
    validationRules: [...options.validationRules],
    parseOptions: { maxTokens: requestLimits.maxTokens },
    plugins: [explorerLandingPagePlugin(options.consoleDirectory), operationMetrics.apolloPlugin()],
    includeStacktraceInErrorResponses: false,
    // The process owner (`lwm2m-hub serve`) stops the whole service in order on SIGINT/SIGTERM; Apollo's
    // own handlers (on unless NODE_ENV is test) would stop only the API and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError,
    logger,
  });
  await apollo.start();

  const { listener } = options;

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      for (const route of options.routes ?? []) if (await route(request, response, url)) return;
      if (await consoleFiles(request, response, url)) return;
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the GraphQL endpoint is ${path}\n`);
      return;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const principal = await authenticate(bearerToken(headers.get('authorization')));
    let body: unknown;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      // The token first: a request without a valid one never has its body read, let alone parsed.
      if (!principal) {
        const error = { message: unauthenticatedMessage, extensions: { code: 'UNAUTHENTICATED' } };
        refuseUnread(request, response, 401, { 'www-authenticate': unauthenticatedChallenge, 'content-type': 'application/json' }, JSON.stringify({ errors: [error] }));
        return;
      }
      const maxBytes = roleAllows(principal.role, 'operator') ? requestLimits.writerBodyBytes : requestLimits.viewerBodyBytes;
      try {
        body = await readBody(request, headers.get('content-type'), maxBytes);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          const tooLarge = { message: error.message, extensions: { code: 'PAYLOAD_TOO_LARGE', maxBytes } };
          refuseUnread(request, response, 413, { 'content-type': 'application/json' }, JSON.stringify({ errors: [tooLarge] }));
          return;
        }
        response.writeHead(400, { 'content-type': 'text/plain' }).end(error instanceof Error ? `${error.message}\n` : '\n');
        return;
      }
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method: request.method ?? 'GET', headers, search: url.search, body };
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: () => {
        if (!principal) throw unauthenticated();
        return Promise.resolve(options.contextFor(principal));
      },
    });
    const responseHeaders: Record<string, string> = {};
    for (const [name, value] of result.headers) responseHeaders[name] = value;
    response.writeHead(result.status ?? 200, responseHeaders);
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }

  const webSockets = new WebSocketServer({ noServer: true, maxPayload: requestLimits.webSocketMessageBytes });
  listener.server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (client) => webSockets.emit('connection', client, request));
  });

  const principals = new WeakMap<WsContext<Record<string, unknown> | undefined, WebSocketExtra>, Principal>();
  // Each connection's operations that passed validation, by id, until they complete: named for metrics.
  const runningOperations = new WeakMap<WsContext<Record<string, unknown> | undefined, WebSocketExtra>, Map<string, RunningWebSocketOperation>>();
  const rules = [...specifiedRules, ...options.validationRules];
  const wsServer = serveGraphQLWebSocket<Record<string, unknown> | undefined>(
    webSockets,
    {
      async onConnect(context) {
        const principal = await authenticate(connectionParamsToken(context.connectionParams));
        if (!principal) {
          // graphql-ws would close with 4403 on `false`; our code comes first, the second close is ignored.
          context.extra.socket.close(unauthorizedCloseCode, 'Unauthorized');
          return false;
        }
        principals.set(context, principal);
        return true;
      },
      onSubscribe(context, id, payload): ExecutionArgs | readonly GraphQLError[] {
        const principal = principals.get(context);
        if (!principal) return [new GraphQLError('not authenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
        let document;
        try {
          document = parse(payload.query, { maxTokens: requestLimits.maxTokens });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('the query does not parse')];
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        const running = runningOperations.get(context) ?? new Map<string, RunningWebSocketOperation>();
        runningOperations.set(context, running.set(id, { name: getOperationAST(document, payload.operationName)?.name?.value, failed: false }));
        return { schema, document, operationName: payload.operationName ?? null, variableValues: payload.variables ?? null, contextValue: options.contextFor(principal) };
      },
      onNext(context, id, _payload, _args, result) {
        if (!result.errors) return undefined;
        const running = runningOperations.get(context)?.get(id);
        if (running) running.failed = true;
        return { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) };
      },
      onError(context, id, payload, errors) {
        // A running operation that fails still completes (counted then); one refused before it ran does not.
        const running = runningOperations.get(context)?.get(id);
        if (running) running.failed = true;
        else operationMetrics.ended('websocket', payload.operationName, 'error');
        return errors.map((error) => formatError(error.toJSON(), error));
      },
      onComplete(context, id, payload) {
        const running = runningOperations.get(context)?.get(id);
        runningOperations.get(context)?.delete(id);
        operationMetrics.ended('websocket', running?.name ?? payload.operationName, running?.failed === true ? 'error' : 'ok');
      },
    },
    requestLimits,
    logger,
  );
  metrics.gauge({ name: 'lwm2m_hub_graphql_active_subscriptions', help: 'Operations running over WebSocket connections: subscriptions, and queries in flight' }, () => [
    { value: wsServer.activeOperations() },
  ]);

  listener.serve((request, response) => {
    handleHttp(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'HTTP request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end();
    });
  });
  const url = `${listener.origin}${path}`;
  logger.info({ url }, 'GraphQL server listening (HTTP and WebSocket)');

  return {
    port: listener.port,
    url,
    async close() {
      await wsServer.dispose();
      await listener.close();
      await apollo.stop();
    },
  };
}

const unauthenticatedChallenge = 'Bearer realm="lwm2m-hub"';
const unauthenticatedMessage = 'a valid API token is required: Authorization: Bearer <token>';

function unauthenticated(): GraphQLError {
  const headers = new HeaderMap([['www-authenticate', unauthenticatedChallenge]]);
  return new GraphQLError(unauthenticatedMessage, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers } },
  });
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}

/** How long a refused request's connection keeps discarding what the client still sends before it is closed. */
const REFUSAL_LINGER_MS = 1000;

/**
 * Answers without keeping the rest of the body, then closes the connection. Closing a socket that still
 * has unread data makes TCP reset it, and a client that is still sending loses the answer with the
 * reset; so, as RFC 9112 section 9.6 advises, the connection lingers: Node discards what still arrives
 * (nothing is kept), the client reads the answer and stops, and the socket is closed after a short,
 * fixed time whatever the client does.
 */
function refuseUnread(request: IncomingMessage, response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  response.writeHead(status, headers).end(body);
  setTimeout(() => request.socket.destroy(), REFUSAL_LINGER_MS).unref();
}

async function readBody(request: IncomingMessage, contentType: string | undefined, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) throw new BodyTooLarge(`the request body (${declared} bytes) exceeds the ${maxBytes} bytes allowed for this token's role`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLarge(`the request body exceeds the ${maxBytes} bytes allowed for this token's role`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  // JSON between systems is UTF-8 (RFC 8259 section 8.1): bytes that are not would otherwise reach a
  // CSV import or a name as U+FFFD.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Error('the request body is not UTF-8');
  }
  if (contentType?.toLowerCase().includes('application/json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error('the request body is not valid JSON');
    }
  }
  return text;
}
