/**
 * libcoap's coap-client (Debian package libcoap3-bin, installed by .ci/run) as an independent peer of
 * the registration interface: it registers, updates, de-registers, sends a large registration in
 * Block1 blocks, and sends malformed requests; the service answers as the specification says and
 * keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { openUdpCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import type { DatagramCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { RegistrationService } from '../../../src/app/registration/RegistrationService.ts';
import { EventStoreDeviceDirectory } from '../../../src/app/devices/DeviceDirectory.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { registrationStream } from '../../../src/domain/registration/RegistrationEvents.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import { ManualClock } from '../../support/ManualClock.ts';
import { coapClient, libcoapAvailable } from '../../support/LibcoapClient.ts';

describe.skipIf(!libcoapAvailable())('RegistrationService with libcoap coap-client-notls as the peer', () => {
  const store = new MemoryEventStore();
  let endpoint: DatagramCoapEndpoint;
  let service: RegistrationService;
  let base4: string;
  let base6: string;

  beforeAll(async () => {
    endpoint = await openUdpCoapEndpoint({ host: '::', port: 0, logger: silentLogger() });
    service = await RegistrationService.start({ store, directory: new EventStoreDeviceDirectory(store), clock: new ManualClock(), logger: silentLogger(), expirySweepMs: 0 });
    endpoint.handle(service.handler('plain'));
    base4 = `coap://127.0.0.1:${endpoint.local.port}`;
    base6 = `coap://[::1]:${endpoint.local.port}`;
    await importTestDevice(store, 'libcoap-1');
    await importTestDevice(store, 'libcoap-big');
  });

  afterAll(async () => {
    await service.close();
    await endpoint.close();
  });

  it('registers over IPv6, updates over IPv4 (a new source address), and de-registers', async () => {
    const registered = await coapClient(['-m', 'post', '-t', '40', '-e', '</>;rt="oma.lwm2m",</1/0>,</3/0>,</3303/0>', `${base6}/rd?ep=libcoap-1&lt=60&lwm2m=1.1&b=U`]);
    expect(registered.code).toBe('2.01');
    expect(registered.locationPath).toHaveLength(2);
    const [rd, id] = registered.locationPath;
    expect(rd).toBe('rd');
    expect(service.registration('libcoap-1')?.address).toBe('::1');

    expect((await coapClient(['-m', 'post', `${base4}/rd/${id}`])).code).toBe('2.04');
    expect((await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>', `${base4}/rd/${id}?lt=300`])).code).toBe('2.04');
    const read = await store.readStream(registrationStream('libcoap-1'));
    const events = read.status === 'found' ? read.events : [];
    expect(events.map((event) => event.type)).toEqual(['DeviceRegistered', 'RegistrationUpdated', 'RegistrationUpdated']);
    expect(events[1]?.data).toMatchObject({ address: '127.0.0.1', previousAddress: { address: '::1' } });
    expect(events[2]?.data).toMatchObject({ lifetime: 300 });

    expect((await coapClient(['-m', 'delete', `${base4}/rd/${id}`])).code).toBe('2.02');
    expect((await coapClient(['-m', 'delete', `${base4}/rd/${id}`])).code).toBe('4.04');
  });

  it('reassembles a registration sent in 64-byte Block1 blocks', async () => {
    const links = ['</>;rt="oma.lwm2m";ct="60 110 112 11542 11543"', ...Array.from({ length: 120 }, (_, i) => `</${3300 + (i % 50)}/${Math.floor(i / 50)}>`)].join(',');
    expect(links.length).toBeGreaterThan(1200);
    const registered = await coapClient(['-m', 'post', '-b', '64', '-t', '40', '-e', links, `${base4}/rd?ep=libcoap-big&lt=60&lwm2m=1.1`]);
    expect(registered.code).toBe('2.01');
    expect(service.registration('libcoap-big')?.objectLinks.objects).toHaveLength(120);
  });

  it('answers malformed requests as the specification says and keeps serving', async () => {
    expect((await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>', `${base4}/rd?lt=60`])).code).toBe('4.00'); // no ep
    expect((await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0', `${base4}/rd?ep=libcoap-1`])).code).toBe('4.00'); // broken link format
    expect((await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>', `${base4}/rd?ep=libcoap-1&lt=never`])).code).toBe('4.00');
    expect((await coapClient(['-m', 'put', `${base4}/rd`])).code).toBe('4.05');
    expect((await coapClient(['-m', 'get', `${base4}/bs`])).code).toBe('4.04');
    expect((await coapClient(['-m', 'post', '-O', '2051,x', `${base4}/rd?ep=libcoap-1`])).code).toBe('4.02'); // unknown critical option
    expect((await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>', `${base4}/rd?ep=nobody`])).code).toBe('4.03');
    expect((await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>', `${base4}/rd?ep=libcoap-1&lwm2m=1.3`])).code).toBe('4.12');
    expect((await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>', `${base6}/rd?ep=libcoap-1&lwm2m=1.0&b=UQ`])).code).toBe('2.01');
    expect(service.registration('libcoap-1')).toMatchObject({ lwm2mVersion: '1.0', queueMode: true });
  });
});
