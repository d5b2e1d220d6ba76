/**
 * The firmware repository on a real SQLite store and data directory, and its packages served over
 * real UDP (CoAP with Block2) and HTTP on loopback, fetched by node-coap and fetch, to the device whose
 * update is granted access only.
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
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { FirmwareRepository, sha256Hex } from '../../../src/app/firmware/FirmwareRepository.ts';
import { FirmwarePackageAccess } from '../../../src/app/firmware/FirmwarePackageAccess.ts';
import type { RegistrationRecord } from '../../../src/domain/registration/RegistrationEvents.ts';
import { firmwarePackageCoapHandler, firmwarePackagePathSegment, firmwarePackageUri } from '../../../src/adapters/firmware/FirmwarePackageCoapResource.ts';
import { CoapRouter } from '../../../src/adapters/coap/CoapRouter.ts';
import { firmwarePackageHttpRoute, firmwarePackageHttpUri } from '../../../src/adapters/firmware/FirmwarePackageHttpRoute.ts';
import { packageUriWithToken } from '../../../src/domain/firmware/FirmwareDeliveryMethod.ts';

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

const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 3));

/** Where each device is registered: the registration service's answer, as the package access asks it. */
function registeredAt(registrations: Map<string, RegistrationRecord>, endpoint: string, address: string, pskIdentity: string | null = null): void {
  const at = '2026-11-25T08:00:00.000Z';
  registrations.set(endpoint, {
    endpoint,
    registrationId: `reg-${endpoint}`,
    address,
    port: 56830,
    channel: pskIdentity === null ? 'plain' : 'psk',
    pskIdentity,
    lifetime: 600,
    lwm2mVersion: '1.1',
    binding: 'U',
    queueMode: false,
    smsNumber: null,
    objectLinks: { rootPath: '/', contentFormats: [], objects: [], ignoredLinks: 0 },
    registeredAt: at,
    lastUpdateAt: at,
  });
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
    const { firmware: added } = await repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    expect(added.source).toEqual({ kind: 'stored', fileName: `${added.firmwareId}.bin`, sha256: sha256Hex(binary), size: 5000 });
    expect(readFileSync(join(dir, 'firmware', `${added.firmwareId}.bin`)).equals(binary)).toBe(true);
    expect(await repository.list()).toEqual([added]);
    expect(Buffer.from((await repository.binary(added.firmwareId)) ?? []).equals(binary)).toBe(true);
    const events = await store.readStream(firmwareRepositoryStream);
    expect(events.status === 'found' ? events.events.map((event) => [event.type, event.metadata.actor]) : []).toEqual([['FirmwareAdded', 'user:t']]);
  });

  it('keeps an external URL without a file; refuses a duplicate and leaves no file behind', async () => {
    const { repository, dir } = await setUp();
    const { firmware: external } = await repository.add({ name: 'app', version: '1.0', url: 'https://fw.example.com/app-1.0.bin' }, 'user:t');
    expect(external.source).toEqual({ kind: 'external', url: 'https://fw.example.com/app-1.0.bin' });
    expect(await repository.binary(external.firmwareId)).toBeUndefined();
    await expect(repository.add({ name: 'app', version: '1.0', binary: Buffer.from('x') }, 'user:t')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(existsSync(join(dir, 'firmware')) ? readdirSync(join(dir, 'firmware')) : []).toEqual([]);
  });

  it('removes a firmware with its file', async () => {
    const { repository, dir } = await setUp();
    const { firmware: added } = await repository.add({ name: 'app', version: '2.0', binary: Buffer.from('firmware') }, 'user:t');
    await repository.remove(added.firmwareId, 'user:t');
    expect(await repository.list()).toEqual([]);
    expect(existsSync(join(dir, 'firmware', `${added.firmwareId}.bin`))).toBe(false);
    await expect(repository.remove(added.firmwareId, 'user:t')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses to hand out a binary changed on disk', async () => {
    const { repository, dir } = await setUp();
    const { firmware: added } = await repository.add({ name: 'app', version: '2.0', binary: Buffer.from('firmware') }, 'user:t');
    writeFileSync(join(dir, 'firmware', `${added.firmwareId}.bin`), 'tampered');
    await expect(repository.binary(added.firmwareId)).rejects.toThrow(/SHA-256/);
  });

  it('serves a package over CoAP in Block2 blocks to the device of a running update only, and passes other requests on', async () => {
    const { repository } = await setUp();
    const binary = randomBytes(5000);
    const { firmware: added } = await repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    const registrations = new Map<string, RegistrationRecord>();
    const access = new FirmwarePackageAccess({ registration: (endpoint) => registrations.get(endpoint) }, sealer);
    const endpoint = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    cleanups.push(() => endpoint.close());
    endpoint.handle(new CoapRouter(() => ({ code: '2.04' })).route(firmwarePackagePathSegment, firmwarePackageCoapHandler({ repository, access, pskIdentityOf: () => null })).handle);
    const base = `coap://127.0.0.1:${endpoint.local.port}`;
    registeredAt(registrations, 'dev', '127.0.0.1');
    expect((await coapGet(firmwarePackageUri(base, added.firmwareId))).code).toBe('4.03');
    access.grant({ updateId: 'u1', endpoint: 'dev', firmwareId: added.firmwareId, tokenFingerprint: null });
    const fetched = await coapGet(firmwarePackageUri(base, added.firmwareId));
    expect(fetched.code).toBe('2.05');
    expect(fetched.format).toBe('application/octet-stream');
    expect(fetched.payload.equals(binary)).toBe(true);
    // The device now registers from elsewhere: this address is another host's.
    registeredAt(registrations, 'dev', '192.0.2.7');
    expect((await coapGet(firmwarePackageUri(base, added.firmwareId))).code).toBe('4.03');
    registeredAt(registrations, 'dev', '127.0.0.1');
    access.revoke({ updateId: 'u1', firmwareId: added.firmwareId });
    expect((await coapGet(firmwarePackageUri(base, added.firmwareId))).code).toBe('4.03');
    expect((await coapGet(`${base}/rd`)).code).toBe('2.04');
  });

  it('takes the DTLS identity into account: a secure request must come from the identity the device registered with', () => {
    const registrations = new Map<string, RegistrationRecord>();
    registeredAt(registrations, 'psk-dev', '192.0.2.1', 'psk-dev-identity');
    const access = new FirmwarePackageAccess({ registration: (endpoint) => registrations.get(endpoint) }, sealer);
    access.grant({ updateId: 'u2', endpoint: 'psk-dev', firmwareId: 'f1', tokenFingerprint: null });
    const peer = { address: '192.0.2.1', port: 40000 };
    expect(access.allowsPeer('f1', peer, 'psk-dev-identity')).toBe(true);
    expect(access.allowsPeer('f1', peer, 'another-identity')).toBe(false);
    expect(access.allowsPeer('f2', peer, 'psk-dev-identity')).toBe(false);
  });

  it('serves a package over HTTP only with the token of a running update, and answers 400 to a malformed path', async () => {
    const { repository } = await setUp();
    const binary = randomBytes(3000);
    const { firmware: added } = await repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    const access = new FirmwarePackageAccess({ registration: () => undefined }, sealer);
    const token = randomBytes(32).toString('base64url');
    access.grant({ updateId: 'u1', endpoint: 'dev', firmwareId: added.firmwareId, tokenFingerprint: sealer.fingerprint(new TextEncoder().encode(token)) });
    const route = firmwarePackageHttpRoute(repository, access);
    const server = createServer((request, response) => {
      void route(request, response, new URL(request.url ?? '/', 'http://localhost')).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const uri = firmwarePackageHttpUri(base, added.firmwareId);
    const response = await fetch(packageUriWithToken(uri, token));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer()).equals(binary)).toBe(true);
    expect((await fetch(uri)).status).toBe(403);
    expect((await fetch(packageUriWithToken(uri, randomBytes(32).toString('base64url')))).status).toBe(403);
    expect((await fetch(packageUriWithToken(firmwarePackageHttpUri(base, randomUUID()), token))).status).toBe(403);
    expect((await fetch(`${base}/fw/%`)).status).toBe(400);
    expect((await fetch(packageUriWithToken(uri, token), { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/graphql`)).status).toBe(404);
    access.revoke({ updateId: 'u1', firmwareId: added.firmwareId });
    expect((await fetch(packageUriWithToken(uri, token))).status).toBe(403);
  });
});
