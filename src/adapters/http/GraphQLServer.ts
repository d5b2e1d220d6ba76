/**
 * The GraphQL endpoint: Apollo Server 5 on node:http for queries and mutations, and graphql-ws
 * (graphql-transport-ws protocol) for subscriptions, on the same port and path.
 *
 * Authentication happens before any operation runs: over HTTP in Apollo's context function (a missing
 * or unknown token answers 401 before parsing), over the WebSocket in `connection_init` (close code
 * 4401). Depth and cost limits are validation rules that Apollo applies to HTTP operations and that
 * `onSubscribe` applies to WebSocket operations, which Apollo never sees.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import type { HTTPGraphQLRequest } from '@apollo/server';
import { GraphQLError, parse, specifiedRules, validate } from 'graphql';
import type { ExecutionArgs, GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { Context as WsContext } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Principal } from '../../domain/auth/ApiTokens.ts';
import type { ApiServices, GraphQLContext } from '../../graphql/GraphQLContext.ts';
import { formatGraphQLError } from '../../graphql/ErrorFormatting.ts';
import type { OperationLimits } from '../../graphql/limits/OperationLimits.ts';
import { defaultOperationLimits, operationLimitRules } from '../../graphql/limits/OperationLimits.ts';
import type { ApiTokenRegistry } from '../auth/ApiTokenRegistry.ts';
import type { Logger } from '../logging/Logger.ts';
import { bearerToken, connectionParamsToken } from './BearerToken.ts';
import { consoleFilesRoute } from './ConsoleFiles.ts';
import { offlineLandingPagePlugin } from './LandingPage.ts';

/** The graphql-ws close code for a failed authentication: 4401, mirroring HTTP 401. */
const unauthorizedCloseCode = CloseCode.Unauthorized;

export interface GraphQLServerOptions {
  readonly host: string;
  readonly port: number;
  readonly path?: string;
  readonly schema: GraphQLSchema;
  readonly services: ApiServices;
  readonly tokens: ApiTokenRegistry;
  readonly logger: Logger;
  readonly limits?: OperationLimits;
  /** Largest request body accepted (a CSV upload travels in one). */
  readonly maxBodyBytes?: number;
  /** Further routes beside the GraphQL path (firmware packages); each answers and returns true, or returns false. */
  readonly routes?: ReadonlyArray<(request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>>;
  /** The built operator's console, served at / (default: dist/console beside the sources). */
  readonly consoleDirectory?: string;
}

export interface RunningGraphQLServer {
  readonly port: number;
  /** `http://host:port/path`. */
  readonly url: string;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

export async function startGraphQLServer(options: GraphQLServerOptions): Promise<RunningGraphQLServer> {
  const path = options.path ?? '/graphql';
  const logger = options.logger.child({ component: 'graphql' });
  const limits = options.limits ?? defaultOperationLimits;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const { schema, services, tokens } = options;
  const consoleFiles = consoleFilesRoute(options.consoleDirectory);

  const authenticate = async (token: string | undefined): Promise<Principal | undefined> =>
    token === undefined ? undefined : tokens.authenticate(token);

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    validationRules: operationLimitRules(limits),
    plugins: [offlineLandingPagePlugin()],
    includeStacktraceInErrorResponses: false,
    // The process owner (`lwm2m-hub serve`) stops the whole service in order on SIGINT/SIGTERM; Apollo's
    // own handlers (on unless NODE_ENV is test) would stop only the API and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, logger),
    logger,
  });
  await apollo.start();

  const http = createServer((request, response) => {
    handleHttp(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'HTTP request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end();
    });
  });

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
    let body: unknown;
    try {
      body = await readBody(request, headers.get('content-type'), maxBodyBytes);
    } catch (error) {
      const status = error instanceof BodyTooLarge ? 413 : 400;
      response.writeHead(status, { 'content-type': 'text/plain' }).end(error instanceof Error ? `${error.message}\n` : '\n');
      return;
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method: request.method ?? 'GET', headers, search: url.search, body };
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => {
        const principal = await authenticate(bearerToken(headers.get('authorization')));
        if (!principal) throw unauthenticated();
        return { principal, correlationId: randomUUID(), services };
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

  const webSockets = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes });
  http.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (client) => webSockets.emit('connection', client, request));
  });

  const principals = new WeakMap<WsContext, Principal>();
  const rules = [...specifiedRules, ...operationLimitRules(limits)];
  const wsServer = useServer<Record<string, unknown> | undefined, { socket: WebSocket }>(
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
      onSubscribe(context, _id, payload): ExecutionArgs | readonly GraphQLError[] {
        const principal = principals.get(context);
        if (!principal) return [new GraphQLError('not authenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('the query does not parse')];
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
        const contextValue: GraphQLContext = { principal, correlationId: randomUUID(), services };
        return { schema, document, operationName: payload.operationName ?? null, variableValues: payload.variables ?? null, contextValue };
      },
      onNext(_context, _id, _payload, _args, result) {
        if (!result.errors) return undefined;
        return { ...result, errors: result.errors.map((error) => formatGraphQLError(error.toJSON(), error, logger)) };
      },
      onError(_context, _id, _payload, errors) {
        return errors.map((error) => formatGraphQLError(error.toJSON(), error, logger));
      },
    },
    webSockets,
  );

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}${path}`;
  logger.info({ url }, 'GraphQL server listening (HTTP and WebSocket)');

  return {
    port: address.port,
    url,
    async close() {
      await wsServer.dispose();
      await closeHttp(http);
      await apollo.stop();
    },
  };
}

function unauthenticated(): GraphQLError {
  const headers = new HeaderMap([['www-authenticate', 'Bearer realm="lwm2m-hub"']]);
  return new GraphQLError('a valid API token is required: Authorization: Bearer <token>', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers } },
  });
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}

async function readBody(request: IncomingMessage, contentType: string | undefined, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLarge(`the request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (contentType?.toLowerCase().includes('application/json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error('the request body is not valid JSON');
    }
  }
  return text;
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
