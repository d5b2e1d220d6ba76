/**
 * The service's HTTP port over real HTTP on loopback: bound before the API is built, it answers 503
 * with Retry-After while the service starts, then hands every request to the API once served; a port
 * another process holds fails the bind with EADDRINUSE, and a second close is harmless.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openHttpListener } from '../../../src/adapters/http/HttpListener.ts';
import type { HttpListener } from '../../../src/adapters/http/HttpListener.ts';

const opened: HttpListener[] = [];

async function open(port = 0): Promise<HttpListener> {
  const listener = await openHttpListener({ host: '127.0.0.1', port });
  opened.push(listener);
  return listener;
}

afterEach(async () => {
  for (const listener of opened.splice(0)) await listener.close();
});

describe('HttpListener', () => {
  it('answers 503 with Retry-After until served, then hands requests to the handler', async () => {
    const listener = await open();
    expect(listener.origin).toBe(`http://127.0.0.1:${listener.port}`);
    const starting = await fetch(`${listener.origin}/health/ready`);
    expect(starting.status).toBe(503);
    expect(starting.headers.get('retry-after')).toBe('1');
    expect(await starting.text()).toBe('the service is starting\n');

    listener.serve((request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end(`served ${request.url ?? ''}`));
    const served = await fetch(`${listener.origin}/graphql`);
    expect(served.status).toBe(200);
    expect(await served.text()).toBe('served /graphql');
  });

  it('fails to bind a port another listener holds, and closes twice without error', async () => {
    const first = await open();
    await expect(openHttpListener({ host: '127.0.0.1', port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.close();
    await expect(first.close()).resolves.toBeUndefined();
  });
});
