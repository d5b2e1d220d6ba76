/** The health endpoints of the running service over HTTP, without a token. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { startTestService } from './TestService.ts';

let dir: string;
let service: RunningService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'health-'));
  service = await startTestService(dir);
});

afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(new URL(path, service.graphql.url));
  expect(response.headers.get('content-type')).toBe('application/json');
  return { status: response.status, body: await response.json() };
}

describe('health endpoints', () => {
  it('answer live and ready without a token', async () => {
    expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'live' } });
    expect(await get('/health/ready')).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('answer 503 with the reason once a CoAP port is closed, and stay live', async () => {
    await service.coap.close();
    expect(await get('/health/ready')).toEqual({ status: 503, body: { status: 'not ready', reasons: ['sockets: not open: lwm2m server (CoAP)'] } });
    expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'live' } });
  });
});
