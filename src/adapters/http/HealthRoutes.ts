/**
 * Health endpoints for orchestrators and load balancers, without a token (they tell states, never
 * data): `GET /health/live` answers 200 while the process serves HTTP; `GET /health/ready` answers
 * 200 when every readiness check passes and 503 with the reasons otherwise, both as JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const livenessPath = '/health/live';
export const readinessPath = '/health/ready';

/** Whether the service can work now and, when not, each reason. */
export type ReadinessEvaluation = () => Promise<{ readonly ready: boolean; readonly reasons: readonly string[] }>;

export function healthRoute(evaluateReadiness: ReadinessEvaluation): (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean> {
  return async (request, response, url) => {
    if (url.pathname !== livenessPath && url.pathname !== readinessPath) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('use GET\n');
      return true;
    }
    if (url.pathname === livenessPath) {
      answer(response, 200, { status: 'live' });
      return true;
    }
    const readiness = await evaluateReadiness();
    answer(response, readiness.ready ? 200 : 503, readiness.ready ? { status: 'ready' } : { status: 'not ready', reasons: readiness.reasons });
    return true;
  };
}

function answer(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  // Never cached: a probe must see the state of now.
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
}
