/**
 * The firmware repository on a real SQLite store and data directory, and its packages served over
 * real UDP (CoAP with Block2) and HTTP on loopback, fetched by node-coap and fetch.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as coapRequest } from 'coap';
import type { IncomingMessage } from 'coap';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/domain/Clock.ts';
import { firmwareRepositoryStream } from '../../../src/domain/firmware/FirmwareRepositoryEvents.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { openUdpCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { FirmwareRepository, sha256Hex } from '../../../src/adapters/firmware/FirmwareRepository.ts';
import { firmwarePackageCoapHandler, firmwarePackageUri } from '../../../src/adapters/firmware/FirmwarePackageCoapResource.ts';
import { firmwarePackageHttpRoute, firmwarePackageHttpUri } from '../../../src/adapters/firmware/FirmwarePackageHttpRoute.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

async function setUp(): Promise<{ repository: FirmwareRepository; store: SqliteEventStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-fw-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  cleanups.push(() => store.close());
  return { repository: new FirmwareRepository({ store, dataDir: dir, clock: systemClock, newId: randomUUID }), store, dir };
}

function coapGet(uri: string): Promise<{ code: string; payload: Buffer; format: unknown }> {
  return new Promise((resolve, reject) => {
    const url = new URL(uri);
    const request = coapRequest({ hostname: url.hostname, port: Number(url.port), pathname: url.pathname, method: 'GET' });
    request.on('response', (response: IncomingMessage) => resolve({ code: response.code, payload: response.payload, format: response.headers['Content-Format'] }));
    request.on('error', reject);
    request.on('timeout', reject);
    request.end();
  });
}

describe('firmware repository', () => {
  it('stores an uploaded binary under the data directory with its SHA-256, and lists it', async () => {
    const { repository, store, dir } = await setUp();
    const binary = randomBytes(5000);
    const added = await repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    expect(added.source).toEqual({ kind: 'stored', fileName: `${added.firmwareId}.bin`, sha256: sha256Hex(binary), size: 5000 });
    expect(readFileSync(join(dir, 'firmware', `${added.firmwareId}.bin`)).equals(binary)).toBe(true);
    expect(await repository.list()).toEqual([added]);
    expect(Buffer.from((await repository.binary(added.firmwareId)) ?? []).equals(binary)).toBe(true);
    const events = await store.readStream(firmwareRepositoryStream);
    expect(events.status === 'found' ? events.events.map((event) => [event.type, event.metadata.actor]) : []).toEqual([['FirmwareAdded', 'user:t']]);
  });

  it('keeps an external URL without a file; refuses a duplicate and leaves no file behind', async () => {
    const { repository, dir } = await setUp();
    const external = await repository.add({ name: 'app', version: '1.0', url: 'https://fw.example.com/app-1.0.bin' }, 'user:t');
    expect(external.source).toEqual({ kind: 'external', url: 'https://fw.example.com/app-1.0.bin' });
    expect(await repository.binary(external.firmwareId)).toBeUndefined();
    await expect(repository.add({ name: 'app', version: '1.0', binary: Buffer.from('x') }, 'user:t')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(existsSync(join(dir, 'firmware')) ? readdirSync(join(dir, 'firmware')) : []).toEqual([]);
  });

  it('removes a firmware with its file', async () => {
    const { repository, dir } = await setUp();
    const added = await repository.add({ name: 'app', version: '2.0', binary: Buffer.from('firmware') }, 'user:t');
    await repository.remove(added.firmwareId, 'user:t');
    expect(await repository.list()).toEqual([]);
    expect(existsSync(join(dir, 'firmware', `${added.firmwareId}.bin`))).toBe(false);
    await expect(repository.remove(added.firmwareId, 'user:t')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses to hand out a binary changed on disk', async () => {
    const { repository, dir } = await setUp();
    const added = await repository.add({ name: 'app', version: '2.0', binary: Buffer.from('firmware') }, 'user:t');
    writeFileSync(join(dir, 'firmware', `${added.firmwareId}.bin`), 'tampered');
    await expect(repository.binary(added.firmwareId)).rejects.toThrow(/SHA-256/);
  });

  it('serves a package over CoAP in Block2 blocks and passes other requests on', async () => {
    const { repository } = await setUp();
    const binary = randomBytes(5000);
    const added = await repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    const endpoint = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    cleanups.push(() => endpoint.close());
    endpoint.handle(firmwarePackageCoapHandler(repository, () => ({ code: '2.04' })));
    const base = `coap://127.0.0.1:${endpoint.local.port}`;
    const fetched = await coapGet(firmwarePackageUri(base, added.firmwareId));
    expect(fetched.code).toBe('2.05');
    expect(fetched.format).toBe('application/octet-stream');
    expect(fetched.payload.equals(binary)).toBe(true);
    expect((await coapGet(firmwarePackageUri(base, randomUUID()))).code).toBe('4.04');
    expect((await coapGet(`${base}/rd`)).code).toBe('2.04');
  });

  it('serves a package over HTTP', async () => {
    const { repository } = await setUp();
    const binary = randomBytes(3000);
    const added = await repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    const route = firmwarePackageHttpRoute(repository);
    const server = createServer((request, response) => {
      void route(request, response, new URL(request.url ?? '/', 'http://localhost')).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const response = await fetch(firmwarePackageHttpUri(base, added.firmwareId));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer()).equals(binary)).toBe(true);
    expect((await fetch(firmwarePackageHttpUri(base, 'nope'))).status).toBe(404);
    expect((await fetch(firmwarePackageHttpUri(base, added.firmwareId), { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/graphql`)).status).toBe(404);
  });
});
