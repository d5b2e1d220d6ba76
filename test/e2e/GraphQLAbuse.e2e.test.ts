/**
 * A hostile API client against the real service in its own process, with a small heap
 * (--max-old-space-size) so that memory growing with what a client sends kills it instead of going
 * unnoticed: aliased introspection, oversized documents, large bodies with and without a token,
 * oversized WebSocket messages before and after connection_init, and more operations on one WebSocket
 * than a connection may run. The service must stay up, refuse each with a clear answer, and answer a
 * normal query within 1 s after each (the bound the hardening requirement sets).
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runCli, startServe } from './CliProcess.ts';
import type { ServeProcess } from './CliProcess.ts';
import { postGraphQL, wsClient, wsUrl } from './GraphQLTestClient.ts';

const mebibyte = 1024 * 1024;
let dataDir: string;
let serve: ServeProcess;
let viewerToken: string;
let adminToken: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-abuse-'));
  const env = { LWM2M_HUB_MASTER_KEY: '' };
  const created = await runCli(['token', 'create', '--role', 'viewer', '--data-dir', dataDir], env);
  viewerToken = created.stdout.trim();
  serve = await startServe(dataDir, { ...env, NODE_ENV: 'production', NODE_OPTIONS: '--max-old-space-size=256' });
  adminToken = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
}, 60_000);

afterAll(async () => {
  serve.child.kill('SIGTERM');
  await serve.exited;
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

/**
 * A normal query must be answered, and the process must still run. After the abuse the answer must
 * come within 1 s; while it runs, on a machine that other test processes share, within 5 s.
 */
async function expectServiceAnswers(deadlineMs = 1000): Promise<void> {
  const response = await postGraphQL(serve.graphqlUrl, viewerToken, '{ devices(first: 5) { totalCount } }', {}, AbortSignal.timeout(deadlineMs));
  expect(response.data).toEqual({ devices: { totalCount: 0 } });
  expect(serve.child.exitCode).toBeNull();
}

function schemaWalks(count: number): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: __schema { types { fields { type { ofType { name } } } } }`).join(' ')} }`;
}

/**
 * POSTs `totalBytes` of a JSON body in 1 MiB chunks, stopping as soon as the server answers; resolves
 * with the status, or with the error when the server closed the connection before answering.
 */
function postLargeBody(token: string | undefined, totalBytes: number): Promise<number | string> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': totalBytes };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    const chunk = Buffer.alloc(mebibyte, 0x20);
    const request = httpRequest(serve.graphqlUrl, { method: 'POST', headers });
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    let sent = 0;
    const writeMore = (): void => {
      while (!answered && sent < totalBytes) {
        const size = Math.min(chunk.length, totalBytes - sent);
        sent += size;
        if (!request.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
          request.once('drain', writeMore);
          return;
        }
      }
      if (sent >= totalBytes) request.end();
    };
    writeMore();
  });
}

/** Opens a graphql-transport-ws socket; `init` sends connection_init with the token first and waits for its ack. */
async function openSocket(init: string | undefined): Promise<WebSocket> {
  const socket = new WebSocket(wsUrl(serve.graphqlUrl), 'graphql-transport-ws');
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  if (init === undefined) return socket;
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${init}` } }));
  await new Promise<void>((resolve, reject) => {
    socket.once('message', (data: Buffer) => ((JSON.parse(data.toString('utf8')) as { type: string }).type === 'connection_ack' ? resolve() : reject(new Error(data.toString('utf8')))));
  });
  return socket;
}

function closeCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

describe('a hostile API client', () => {
  it('cannot exhaust the service with aliased introspection, and others are answered meanwhile', async () => {
    // 20,000 aliases are a body over a viewer's cap; 1,000 are under it but over the token limit, refused
    // while parsing; 250 pass parsing and are refused by their cost, before anything runs.
    const [huge, large, many] = await Promise.all([
      postGraphQL(serve.graphqlUrl, viewerToken, schemaWalks(20_000)),
      postGraphQL(serve.graphqlUrl, viewerToken, schemaWalks(1000)),
      postGraphQL(serve.graphqlUrl, viewerToken, schemaWalks(250)),
      expectServiceAnswers(5000),
    ]);
    expect(huge.status).toBe(413);
    expect(huge.errors?.[0]?.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', maxBytes: mebibyte });
    expect(large.status).toBe(400);
    expect(large.errors?.[0]?.message).toContain('tokens');
    expect(many.status).toBe(400);
    expect(many.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' });
    await expectServiceAnswers();
  });

  it('refuses large bodies: without a token before reading them, with a token beyond its role cap', async () => {
    const results = await Promise.all([
      ...Array.from({ length: 8 }, () => postLargeBody(undefined, 60 * mebibyte)),
      ...Array.from({ length: 4 }, () => postLargeBody(viewerToken, 60 * mebibyte)),
      postLargeBody(viewerToken, 2 * mebibyte),
      postLargeBody(adminToken, 40 * mebibyte),
    ]);
    // A server that stops reading may reset the connection before the client reads the answer.
    const refused = (status: number | string, code: number) => status === code || status === 'ECONNRESET' || status === 'EPIPE';
    for (const status of results.slice(0, 8)) expect(refused(status, 401), `got ${status}`).toBe(true);
    for (const status of results.slice(8)) expect(refused(status, 413), `got ${status}`).toBe(true);
    expect(results).toContain(401);
    expect(results).toContain(413);
    await expectServiceAnswers();
  });

  it('closes a WebSocket that sends a large message before connection_init, or one beyond the message cap after it', async () => {
    const unauthenticated = await openSocket(undefined);
    const closedEarly = closeCode(unauthenticated);
    unauthenticated.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(64 * 1024) } }));
    expect(await closedEarly).toBe(1009);

    const authenticated = await openSocket(viewerToken);
    const closedLate = closeCode(authenticated);
    authenticated.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ __typename }${' '.repeat(2 * mebibyte)}` } }));
    expect(await closedLate).toBe(1009);
    await expectServiceAnswers();
  });

  it('runs at most 100 operations on one WebSocket and refuses more with a reason', async () => {
    const client = wsClient(serve.graphqlUrl, viewerToken);
    const refusals: unknown[] = [];
    const disposers: Array<() => void> = [];
    try {
      for (let i = 0; i < 120; i++) {
        disposers.push(client.subscribe({ query: 'subscription { deviceChanged { endpoint } }' }, { next: () => undefined, error: (error) => refusals.push(error), complete: () => undefined }));
      }
      await expect.poll(() => refusals.length, { timeout: 10_000 }).toBe(20);
      expect(refusals[0]).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'TOO_MANY_OPERATIONS', maxOperations: 100 }) as unknown })]);
      await expectServiceAnswers();
    } finally {
      for (const dispose of disposers) dispose();
      await client.dispose();
    }
  });
});
