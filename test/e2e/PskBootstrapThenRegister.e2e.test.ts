/**
 * A PSK device's whole life on DTLS, end to end: it bootstraps over DTLS on the bootstrap server's DTLS
 * port with its bootstrap psk_id, keeps what it is written, then opens a DTLS session to the written
 * server URI with the written PSK identity (/0/x/3) and key (/0/x/5) and registers. The device's side
 * is node-dtls-client carrying coap-packet messages (no DTLS or CoAP code of ours); the service is the
 * real one, its devices imported from CSV text, so the keys reach it only as sealed values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_FORMAT } from '../../src/domain/lwm2m/content/ContentFormat.ts';
import { registrationStream } from '../../src/domain/registration/RegistrationEvents.ts';
import type { RunningService } from '../../src/main.ts';
import { FULL_PSK, csv, fullPskRow, hexBytes, minimalPskRow as packPskRow, waitForSessionEnds } from '../support/BootstrapTestData.ts';
import { DtlsBootstrapDevice } from '../support/DtlsBootstrapDevice.ts';
import type { PskCipherSuite } from '../support/DtlsCoapSession.ts';
import { importTestDevices, startTestService } from './TestService.ts';

/** A PSK device with only the mandatory columns: the service writes its own coaps:// URI. Keys are bytes, not text. */
const MINIMAL = {
  endpoint: 'psk-bs-minimal',
  lwm2mPskId: 'psk-bs-minimal-id',
  lwm2mPskKey: '00ff10ef20df30cf40bf50af609f708f',
  bootstrapPskId: 'psk-bs-minimal-bs-id',
  bootstrapPskKey: 'a5b6c7d8e9fa0b1c2d3e4f5061728394',
} as const;

function minimalPskRow(): string {
  const m = MINIMAL;
  return `${m.endpoint};c8y_Serial;;${m.endpoint};c8y_lwm2m;0;1;${m.endpoint};;PSK;${m.lwm2mPskId};${m.lwm2mPskKey};${m.bootstrapPskId};${m.bootstrapPskKey};;;;;;;;;;;;`;
}

const FULL_ENDPOINT = 'psk-bs-full';

/** A 1.2 device that asks for a Bootstrap-Pack. */
const PACK = {
  endpoint: 'psk-bs-pack',
  lwm2mPskId: 'psk-bs-pack-id',
  lwm2mPskKey: '0123456789abcdef0123456789abcdef',
  bootstrapPskId: 'psk-bs-pack-bs-id',
  bootstrapPskKey: 'fedcba9876543210fedcba9876543210',
} as const;

const dir = mkdtempSync(join(tmpdir(), 'hub-psk-bootstrap-e2e-'));
let started: RunningService | undefined;
const devices: DtlsBootstrapDevice[] = [];

beforeAll(async () => {
  started = await startTestService(dir, ['--public-host', '127.0.0.1']);
  const service = started;
  await importTestDevices(service, csv(minimalPskRow(), fullPskRow(FULL_ENDPOINT, `coaps://127.0.0.1:${service.secure.lwm2m.local.port}`), packPskRow(PACK)));
});

afterAll(async () => {
  for (const device of devices) device.close();
  await started?.close();
  rmSync(dir, { recursive: true, force: true });
});

function running(): RunningService {
  if (started === undefined) throw new Error('the service did not start');
  return started;
}

async function bootstrapOverDtls(endpoint: string, bootstrapPskId: string, bootstrapPskKey: string, cipher: PskCipherSuite, preferredContentFormat?: number): Promise<DtlsBootstrapDevice> {
  const device = await DtlsBootstrapDevice.connect({
    host: '127.0.0.1',
    bootstrapPort: running().secure.bootstrap.local.port,
    endpoint,
    bootstrapIdentity: bootstrapPskId,
    bootstrapKey: hexBytes(bootstrapPskKey),
    cipher,
    ...(preferredContentFormat === undefined ? {} : { preferredContentFormat }),
  });
  devices.push(device);
  expect(await device.requestBootstrap()).toBe('2.04');
  await device.finished;
  const events = await waitForSessionEnds(running().store, endpoint);
  expect(events.at(-1)?.type).toBe('BootstrapSessionFinished');
  // The session was found by the DTLS identity, and the writes used the format a 1.0 or 1.1 client takes.
  expect(events.find((event) => event.type === 'BootstrapSessionStarted')?.data).toMatchObject({
    endpoint,
    peer: { address: '127.0.0.1', channel: 'psk' },
    identity: { kind: 'pskIdentity', value: bootstrapPskId },
    contentFormat: preferredContentFormat ?? CONTENT_FORMAT.tlv,
  });
  return device;
}

async function expectRegisteredOverDtls(endpoint: string, pskIdentity: string, lifetime: number): Promise<void> {
  const service = running();
  expect(service.registrations.registration(endpoint)).toMatchObject({ endpoint, channel: 'psk', pskIdentity, lifetime });
  const stored = await service.store.readStream(registrationStream(endpoint));
  const registered = stored.status === 'found' ? stored.events.find((event) => event.type === 'DeviceRegistered') : undefined;
  expect(registered?.data).toMatchObject({ registration: { channel: 'psk', pskIdentity } });
}

describe('a PSK device bootstraps over DTLS, then registers over DTLS with what it was written', () => {
  it('with only the mandatory columns, in TLV over TLS_PSK_WITH_AES_128_CCM_8: the service default coaps:// URI and the lwm2m PSK', async () => {
    const service = running();
    const device = await bootstrapOverDtls(MINIMAL.endpoint, MINIMAL.bootstrapPskId, MINIMAL.bootstrapPskKey, 'TLS_PSK_WITH_AES_128_CCM_8');
    // A 1.0 client gets no Discover; the default securityInstanceOffset 0 writes from /0/1, past the
    // factory bootstrap account assumed at /0/0 (see BootstrapPlan), which survives.
    expect(device.served).toEqual(['DELETE /0', 'DELETE /1', 'PUT /0/1', 'PUT /1/1', 'POST /bs']);
    expect(device.value(0, 0, 1)).toEqual({ type: 'boolean', value: true });
    const account = device.lwm2mServerAccount();
    expect(account).toMatchObject({ uri: `coaps://127.0.0.1:${service.secure.lwm2m.local.port}`, securityMode: 0n, shortServerId: 1n });
    expect(new TextDecoder().decode(account.pskIdentity)).toBe(MINIMAL.lwm2mPskId);
    expect(account.pskKey).toEqual(hexBytes(MINIMAL.lwm2mPskKey));

    const registration = await device.register('TLS_PSK_WITH_AES_128_CCM_8');
    expect(registration.code).toBe('2.01');
    await expectRegisteredOverDtls(MINIMAL.endpoint, MINIMAL.lwm2mPskId, Number(account.lifetime));
  });

  it('with every optional column, in SenML CBOR over TLS_PSK_WITH_AES_128_CBC_SHA256: the CSV server URI and short server id', async () => {
    const service = running();
    const device = await bootstrapOverDtls(FULL_ENDPOINT, FULL_PSK.bootstrapPskId, FULL_PSK.bootstrapPskKey, 'TLS_PSK_WITH_AES_128_CBC_SHA256', CONTENT_FORMAT.senmlCbor);
    expect(device.served).toEqual(['GET /', 'DELETE /0', 'DELETE /1', 'PUT /0/3', 'PUT /1/3', 'PUT /0/0', 'GET /', 'POST /bs']);
    const account = device.lwm2mServerAccount();
    expect(account).toMatchObject({ uri: `coaps://127.0.0.1:${service.secure.lwm2m.local.port}`, securityMode: 0n, shortServerId: 101n, lifetime: 3600n, binding: 'UQ' });
    expect(new TextDecoder().decode(account.pskIdentity)).toBe(FULL_PSK.lwm2mPskId);
    expect(account.pskKey).toEqual(hexBytes(FULL_PSK.lwm2mPskKey));

    const registration = await device.register('TLS_PSK_WITH_AES_128_CBC_SHA256');
    expect(registration.code).toBe('2.01');
    await expectRegisteredOverDtls(FULL_ENDPOINT, FULL_PSK.lwm2mPskId, 3600);
  });

  it('as a 1.2 client, with a Bootstrap-Pack over DTLS: the pack in SenML CBOR, the session found by the DTLS identity, then a 1.2 registration', async () => {
    const service = running();
    const device = await DtlsBootstrapDevice.connect({
      host: '127.0.0.1',
      bootstrapPort: service.secure.bootstrap.local.port,
      endpoint: PACK.endpoint,
      bootstrapIdentity: PACK.bootstrapPskId,
      bootstrapKey: hexBytes(PACK.bootstrapPskKey),
      cipher: 'TLS_PSK_WITH_AES_128_CCM_8',
      lwm2mVersion: '1.2',
    });
    devices.push(device);
    expect(await device.requestBootstrapPack()).toEqual({ code: '2.05', contentFormat: CONTENT_FORMAT.senmlCbor });
    await device.finished;
    expect(device.served).toEqual([]);
    const events = await waitForSessionEnds(service.store, PACK.endpoint);
    expect(events.map((event) => event.type)).toEqual(['BootstrapSessionStarted', 'BootstrapStepSent', 'BootstrapSessionFinished']);
    expect(events[0]?.data).toMatchObject({ peer: { channel: 'psk' }, identity: { kind: 'pskIdentity', value: PACK.bootstrapPskId } });
    const account = device.lwm2mServerAccount();
    expect(account).toMatchObject({ uri: `coaps://127.0.0.1:${service.secure.lwm2m.local.port}`, securityMode: 0n, shortServerId: 1n });
    expect(account.pskKey).toEqual(hexBytes(PACK.lwm2mPskKey));

    expect((await device.register('TLS_PSK_WITH_AES_128_CCM_8')).code).toBe('2.01');
    await expectRegisteredOverDtls(PACK.endpoint, PACK.lwm2mPskId, Number(account.lifetime));
    expect(service.registrations.registration(PACK.endpoint)?.lwm2mVersion).toBe('1.2');
  });

  it('the bootstrap identity and key are not an LwM2M server account: registering with them fails', async () => {
    const device = devices[0];
    if (device === undefined) throw new Error('the first test did not bootstrap a device');
    const account = device.lwm2mServerAccount();
    const written = { ...account, pskIdentity: new TextEncoder().encode(MINIMAL.bootstrapPskId), pskKey: hexBytes(MINIMAL.bootstrapPskKey) };
    expect(written.uri).toBe(account.uri);
    await expect(device.registerWith(written, 'TLS_PSK_WITH_AES_128_CCM_8')).rejects.toThrow(/fatal alert/);
  });
});
