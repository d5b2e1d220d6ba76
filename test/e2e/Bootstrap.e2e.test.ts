/**
 * Client-initiated bootstrap end to end: the real service (startService, as `lwm2m-hub serve` runs it)
 * with its SQLite store in a temp dir and its CoAP endpoints on ephemeral ports, devices imported from
 * CSV text by the CSV import service, the node-coap bootstrap test client as the device; after
 * Bootstrap-Finish the device registers with the LwM2M server using exactly what it was written.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from 'cbor-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { CONTENT_FORMAT } from '../../src/domain/lwm2m/content/ContentFormat.ts';
import { TestBootstrapClient } from '../support/TestBootstrapClient.ts';
import type { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { FULL_PSK, csv, fullNoSecRow, fullPskRow, hexBytes, noSecRow, waitForSessionEnds } from '../support/BootstrapTestData.ts';
import { coapClient, libcoapAvailable } from '../support/LibcoapClient.ts';
import { importTestDevices, startTestService } from './TestService.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-bootstrap-e2e-'));
let started: RunningService | undefined;
const clients: Array<TestBootstrapClient | TestLwM2mClient> = [];

beforeAll(async () => {
  started = await startTestService(dir, ['--public-host', '127.0.0.1']);
  const service = started;
  const lwm2mUri = `coap://127.0.0.1:${service.coap.local.port}`;
  await importTestDevices(service, csv(noSecRow('e2e-nosec'), fullNoSecRow('e2e-nosec-full', lwm2mUri), fullPskRow('e2e-psk-full', 'coaps://127.0.0.1:5684'), fullNoSecRow('e2e-pack', lwm2mUri), noSecRow('e2e-pack-libcoap')));
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await started?.close();
  rmSync(dir, { recursive: true, force: true });
});

function running(): RunningService {
  if (started === undefined) throw new Error('the service did not start');
  return started;
}

async function bootstrap(endpoint: string, preferredContentFormat?: number): Promise<TestBootstrapClient> {
  const client = await TestBootstrapClient.start({
    serverHost: '127.0.0.1',
    serverPort: running().bootstrap.local.port,
    endpoint,
    ...(preferredContentFormat === undefined ? {} : { preferredContentFormat }),
  });
  clients.push(client);
  expect(await client.requestBootstrap()).toBe('2.04');
  await client.finished;
  return client;
}

describe('client-initiated bootstrap through the running service', () => {
  it('bootstraps a NO_SEC device with the service defaults, which then registers with what it was written', async () => {
    const service = running();
    const device = await bootstrap('e2e-nosec');
    const events = await waitForSessionEnds(service.store, 'e2e-nosec');
    expect(events.at(-1)?.type).toBe('BootstrapSessionFinished');
    const account = device.lwm2mServerAccount();
    expect(account).toMatchObject({ uri: `coap://127.0.0.1:${service.coap.local.port}`, securityMode: 3n, shortServerId: 1n, lifetime: 86400n });

    const lwm2m = await device.registrationClient();
    clients.push(lwm2m);
    expect((await lwm2m.register()).code).toBe('2.01');
    expect(service.registrations.registration('e2e-nosec')).toMatchObject({ lifetime: 86400, address: '127.0.0.1', port: lwm2m.port });
  });

  it('bootstraps a NO_SEC device with every optional column in SenML CBOR, which then registers with what it was written', async () => {
    const service = running();
    const device = await bootstrap('e2e-nosec-full', CONTENT_FORMAT.senmlCbor);
    expect(device.served.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /', 'DELETE /0', 'DELETE /1', 'PUT /0/2', 'PUT /1/2', 'PUT /0/0', 'GET /', 'POST /bs']);
    expect(device.lwm2mServerAccount()).toMatchObject({ uri: `coap://127.0.0.1:${service.coap.local.port}`, securityMode: 3n, shortServerId: 101n, lifetime: 120n, binding: 'U' });
    expect([2, 3, 5, 6].map((id) => device.value(1, 2, id)?.value)).toEqual([5n, 600n, 300n, true]);
    expect(device.value(0, 0, 0)).toEqual({ type: 'string', value: `coap://127.0.0.1:${service.bootstrap.local.port}` });
    expect(device.value(0, 0, 10)).toEqual({ type: 'integer', value: 100n });

    const lwm2m = await device.registrationClient();
    clients.push(lwm2m);
    expect((await lwm2m.register()).code).toBe('2.01');
    expect(service.registrations.registration('e2e-nosec-full')).toMatchObject({ lifetime: 120, binding: 'U' });
  });

  it('writes a PSK device with every optional column its identities and keys (its registration needs DTLS)', async () => {
    const service = running();
    const device = await bootstrap('e2e-psk-full', CONTENT_FORMAT.tlv);
    expect(device.served.filter((r) => r.method === 'PUT').map((r) => r.contentFormat)).toEqual([CONTENT_FORMAT.tlv, CONTENT_FORMAT.tlv, CONTENT_FORMAT.tlv]);
    const account = device.lwm2mServerAccount();
    expect(account).toMatchObject({ uri: 'coaps://127.0.0.1:5684', securityMode: 0n, shortServerId: 101n, lifetime: 3600n, binding: 'UQ' });
    expect(new TextDecoder().decode(account.pskIdentity)).toBe(FULL_PSK.lwm2mPskId);
    expect(account.pskKey).toEqual(hexBytes(FULL_PSK.lwm2mPskKey));
    expect(device.value(0, 0, 3)).toEqual({ type: 'opaque', value: new TextEncoder().encode(FULL_PSK.bootstrapPskId) });
    expect(device.value(0, 0, 5)).toEqual({ type: 'opaque', value: hexBytes(FULL_PSK.bootstrapPskKey) });
    await expect(device.registrationClient()).rejects.toThrow(/needs DTLS/);
    const events = await waitForSessionEnds(service.store, 'e2e-psk-full');
    expect(events.at(-1)?.type).toBe('BootstrapSessionFinished');
  });
});

describe('Bootstrap-Pack (LwM2M Core 1.2 section 6.1.7) through the running service', () => {
  it('gives a 1.2 device its whole configuration in one pack, after which it registers as 1.2 with what it got', async () => {
    const service = running();
    const device = await TestBootstrapClient.start({ serverHost: '127.0.0.1', serverPort: service.bootstrap.local.port, endpoint: 'e2e-pack' });
    clients.push(device);
    expect(await device.requestBootstrapPack()).toEqual({ code: '2.05', contentFormat: CONTENT_FORMAT.senmlCbor });
    await device.finished;
    expect(device.served).toEqual([]);
    expect(device.lwm2mServerAccount()).toMatchObject({ uri: `coap://127.0.0.1:${service.coap.local.port}`, securityMode: 3n, shortServerId: 101n, lifetime: 120n, binding: 'U' });
    const events = await waitForSessionEnds(service.store, 'e2e-pack');
    expect(events.map((event) => event.type)).toEqual(['BootstrapSessionStarted', 'BootstrapStepSent', 'BootstrapSessionFinished']);

    const lwm2m = await device.registrationClient('1.2');
    clients.push(lwm2m);
    expect((await lwm2m.register()).code).toBe('2.01');
    expect(service.registrations.registration('e2e-pack')).toMatchObject({ lwm2mVersion: '1.2', lifetime: 120, binding: 'U' });
  });

  it.skipIf(!libcoapAvailable())("answers libcoap's GET /bspack with 2.05 and a SenML CBOR pack naming the server account by full path", async () => {
    const service = running();
    const output = join(dir, 'pack.cbor');
    const reply = await coapClient(['-m', 'get', '-A', '112', '-o', output, `coap://127.0.0.1:${service.bootstrap.local.port}/bspack?ep=e2e-pack-libcoap`]);
    expect(reply).toMatchObject({ code: '2.05', contentFormat: 'application/senml+cbor' });
    const records = new Decoder({ mapsAsObjects: false, useRecords: false }).decode(readFileSync(output)) as Map<number, unknown>[];
    const uri = records.find((record) => record.get(0) === '/0/1/0' || record.get(-2) === '/0/1/0');
    expect(uri?.get(3)).toBe(`coap://127.0.0.1:${service.coap.local.port}`);
    const events = await waitForSessionEnds(service.store, 'e2e-pack-libcoap');
    expect(events.at(-1)?.type).toBe('BootstrapSessionFinished');
  });
});
