/**
 * The console's static files over real HTTP on loopback: content types, cache headers for hashed
 * assets, index.html for the console's routes, 404 for a missing asset, nothing outside the folder
 * whatever the path's encoding, and a clear answer when the console is not built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleFilesRoute } from '../../../src/adapters/http/ConsoleFiles.ts';

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

let root: string;
let built: string;
let servers: Server[] = [];

/** Serves `directory` like the service does (routes it does not take answer 418) and returns its base URL. */
async function serve(directory: string): Promise<{ host: string; port: number }> {
  const route = consoleFilesRoute(directory);
  const server = createServer((incoming, response) => {
    void route(incoming, response, new URL(incoming.url ?? '/', 'http://localhost')).then((handled) => {
      if (!handled) response.writeHead(418).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

/** A request with the path exactly as written (fetch would normalise dot segments away). */
function get(target: { host: string; port: number }, path: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: target.host, port: target.port, path, method }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hub-console-files-'));
  built = join(root, 'console');
  mkdirSync(join(built, 'assets'), { recursive: true });
  writeFileSync(join(built, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(built, 'assets', 'console-abc123.js'), 'console.log(1)');
  writeFileSync(join(built, 'assets', 'console-abc123.css'), 'body{}');
  // A file beside the built folder that no path may reach.
  writeFileSync(join(root, 'secret.txt'), 'not for the web');
});

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  servers = [];
  rmSync(root, { recursive: true, force: true });
});

describe('the console files', () => {
  it('serves index.html at / with a content security policy, revalidated on every load', async () => {
    const target = await serve(built);
    const response = await get(target, '/');
    expect(response.status).toBe(200);
    expect(response.body).toContain('<title>console</title>');
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('serves hashed assets with their content type, cached for a year', async () => {
    const target = await serve(built);
    const script = await get(target, '/assets/console-abc123.js');
    expect([script.status, script.body, script.headers['content-type']]).toEqual([200, 'console.log(1)', 'text/javascript; charset=utf-8']);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    const style = await get(target, '/assets/console-abc123.css', 'HEAD');
    expect([style.status, style.body, style.headers['content-type'], style.headers['content-length']]).toEqual([200, '', 'text/css; charset=utf-8', '6']);
  });

  it("answers the console's own routes with index.html, and a missing asset with 404", async () => {
    const target = await serve(built);
    for (const path of ['/devices', '/devices/my%20device/objects', '/protocols/3303', '/devices/sensor.v2', '/devices/urn%3Adev%3Aa.b/objects']) {
      const response = await get(target, path);
      expect([path, response.status, response.body]).toEqual([path, 200, '<!doctype html><title>console</title>']);
    }
    expect((await get(target, '/assets/console-old999.js')).status).toBe(404);
    expect((await get(target, '/assets/fonts/missing')).status).toBe(404);
    expect((await get(target, '/favicon.ico')).status).toBe(404);
  });

  it('never serves a file outside its folder, whatever the encoding of the path', async () => {
    const target = await serve(built);
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%5csecret.txt']) {
      const response = await get(target, path);
      expect([path, response.body]).not.toEqual([path, 'not for the web']);
      expect([path, response.status]).toEqual([path, 404]);
    }
    expect((await get(target, '/%E0%A4%A')).status).toBe(400);
    expect((await get(target, '/index%00.html')).status).toBe(404);
  });

  it('leaves other methods to the other routes', async () => {
    const target = await serve(built);
    expect((await get(target, '/', 'POST')).status).toBe(418);
  });

  it('says how to build the console when it is not built', async () => {
    const target = await serve(join(root, 'not-built'));
    const response = await get(target, '/devices');
    expect(response.status).toBe(503);
    expect(response.body).toContain('npm run build:console');
  });
});
