/**
 * `GET /metrics`: the Prometheus text exposition, for an API token of any role (viewer or better),
 * given as `Authorization: Bearer <token>` as Prometheus sends it (`authorization.credentials_file` in
 * a scrape config). A missing or unknown token answers 401: metrics tell how many devices there are
 * and what they do, which is not for anyone who can reach the port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../domain/auth/ApiTokens.ts';
import { bearerToken } from '../http/BearerToken.ts';
import type { PrometheusMetrics } from './PrometheusMetrics.ts';

export const metricsPath = '/metrics';

export function metricsRoute(
  metrics: Pick<PrometheusMetrics, 'exposition'>,
  authenticate: (token: string) => Promise<Principal | undefined>,
): (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean> {
  return async (request, response, url) => {
    if (url.pathname !== metricsPath) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return true;
    }
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || (await authenticate(token)) === undefined) {
      response
        .writeHead(401, { 'www-authenticate': 'Bearer realm="lwm2m-hub"', 'content-type': 'text/plain' })
        .end('an API token is required (any role): Authorization: Bearer <token>\n');
      return true;
    }
    const { contentType, body } = await metrics.exposition();
    response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
    return true;
  };
}
