import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import type { EventStore } from '../../../src/adapters/eventstore/EventStore.ts';
import { openUdpCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import type { DatagramCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { RegistrationService } from '../../../src/app/registration/RegistrationService.ts';
import { EventStoreDeviceDirectory } from '../../../src/app/devices/DeviceDirectory.ts';
import { OptionNumber, stringOption, uintOptionOf } from '../../../src/adapters/coap/CoapMessage.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { registrationStream } from '../../../src/domain/registration/RegistrationEvents.ts';
import { defaultRegistrationPolicy } from '../../../src/domain/registration/RegistrationDecider.ts';
import { TestLwM2mClient } from '../../support/TestLwM2mClient.ts';
import type { TestLwM2mClientOptions } from '../../support/TestLwM2mClient.ts';
import { decommissionTestDevice, importTestDevice } from '../../support/TestDevices.ts';
import { ManualClock } from '../../support/ManualClock.ts';
import { ManualTimers } from '../../support/ManualTimers.ts';
import { RawCoapPeer } from '../../support/RawCoapPeer.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  readonly store: EventStore;
  readonly clock: ManualClock;
  readonly endpoint: DatagramCoapEndpoint;
  readonly service: RegistrationService;
  client(endpointName: string, options?: Partial<TestLwM2mClientOptions>): Promise<TestLwM2mClient>;
}

async function harness(host = '::1', store: EventStore = new MemoryEventStore(), clock = new ManualClock()): Promise<Harness> {
  const endpoint = await openUdpCoapEndpoint({ host, port: 0, logger: silentLogger() });
  cleanups.push(() => endpoint.close());
  const service = await RegistrationService.start({ store, directory: new EventStoreDeviceDirectory(store), clock, logger: silentLogger(), expirySweepMs: 0 });
  cleanups.push(() => service.close());
  endpoint.handle(service.handler('plain'));
  return {
    store,
    clock,
    endpoint,
    service,
    async client(endpointName: string, options: Partial<TestLwM2mClientOptions> = {}) {
      const client = await TestLwM2mClient.start({ serverHost: host, serverPort: endpoint.local.port, endpoint: endpointName, ...options });
      cleanups.push(() => client.close());
      return client;
    },
  };
}

async function eventTypes(store: EventStore, endpoint: string): Promise<string[]> {
  const read = await store.readStream(registrationStream(endpoint));
  return read.status === 'found' ? read.events.map((event) => event.type) : [];
}

async function lastEventData(store: EventStore, endpoint: string): Promise<unknown> {
  const read = await store.readStream(registrationStream(endpoint));
  return read.status === 'found' ? read.events.at(-1)?.data : undefined;
}

describe('RegistrationService over UDP', () => {
  it('registers a known device over IPv6 with an unguessable location and records what came on the wire', async () => {
    const h = await harness();
    await importTestDevice(h.store, 'dev-1');
    const client = await h.client('dev-1');
    const response = await client.register();
    expect(response.code).toBe('2.01');
    expect(response.locationPath[0]).toBe('rd');
    expect(response.locationPath[1]).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await lastEventData(h.store, 'dev-1')).toMatchObject({
      registration: {
        endpoint: 'dev-1',
        registrationId: response.locationPath[1],
        address: '::1',
        port: client.port,
        channel: 'plain',
        lifetime: 60,
        lwm2mVersion: '1.1',
        binding: 'U',
        queueMode: false,
        objectLinks: {
          rootPath: '/',
          contentFormats: [11543],
          objects: [
            { objectId: 1, instanceId: 0, version: null },
            { objectId: 3, instanceId: 0, version: null },
            { objectId: 3303, instanceId: 0, version: null },
          ],
        },
      },
      replacedRegistrationId: null,
    });
    expect(h.service.registration('dev-1')?.port).toBe(client.port);
  });

  it('reaches the device from the socket it registered to', async () => {
    const h = await harness('127.0.0.1');
    await importTestDevice(h.store, 'dev-read');
    const client = await h.client('dev-read');
    await client.register();
    const where = h.service.registration('dev-read');
    if (!where) throw new Error('not registered');
    const read = await h.endpoint.request({ address: where.address, port: where.port }, { method: 'GET', path: ['3', '0', '0'], accept: 0 });
    expect(read.code).toBe('2.05');
    expect(new TextDecoder().decode(read.payload)).toBe('lwm2m-hub tests');
    expect(client.served).toEqual(['GET /3/0/0']);
  });

  it('updates (keep-alive, lifetime, object links), de-registers, and then refuses the old id with 4.04', async () => {
    const h = await harness();
    await importTestDevice(h.store, 'dev-2');
    const client = await h.client('dev-2');
    await client.register();
    expect((await client.update()).code).toBe('2.04');
    expect((await client.update({ query: ['lt=120'], objectLinks: '</1/0>,</3/0>' })).code).toBe('2.04');
    expect(await lastEventData(h.store, 'dev-2')).toMatchObject({ lifetime: 120, objectLinks: { objects: [{ objectId: 1 }, { objectId: 3 }] } });
    const location = client.location;
    expect((await client.deregister()).code).toBe('2.02');
    client.location = location;
    expect((await client.update()).code).toBe('4.04');
    expect(await eventTypes(h.store, 'dev-2')).toEqual(['DeviceRegistered', 'RegistrationUpdated', 'RegistrationUpdated', 'DeviceDeregistered']);
    expect(h.service.registration('dev-2')).toBeUndefined();
  });

  it('finds a registration by its source address, following address changes and de-registration', async () => {
    const h = await harness('127.0.0.1');
    await importTestDevice(h.store, 'dev-at');
    const first = await h.client('dev-at');
    await first.register();
    expect(h.service.registrationAt({ address: '127.0.0.1', port: first.port })?.endpoint).toBe('dev-at');
    const moved = await h.client('dev-at');
    moved.location = first.location;
    expect((await moved.update()).code).toBe('2.04');
    expect(h.service.registrationAt({ address: '127.0.0.1', port: first.port })).toBeUndefined();
    expect(h.service.registrationAt({ address: '127.0.0.1', port: moved.port })?.endpoint).toBe('dev-at');
    expect((await moved.deregister()).code).toBe('2.02');
    expect(h.service.registrationAt({ address: '127.0.0.1', port: moved.port })).toBeUndefined();
  });

  it('accepts an Update and a De-register of a NoSec registration from another address, recording where each came from', async () => {
    const h = await harness('127.0.0.1');
    await importTestDevice(h.store, 'dev-elsewhere');
    const device = await h.client('dev-elsewhere');
    await device.register();
    const other = await h.client('dev-elsewhere');
    other.location = device.location;
    expect((await other.update()).code).toBe('2.04');
    expect(await lastEventData(h.store, 'dev-elsewhere')).toMatchObject({ port: other.port, previousAddress: { address: '127.0.0.1', port: device.port } });
    const third = await h.client('dev-elsewhere');
    third.location = device.location;
    expect((await third.deregister()).code).toBe('2.02');
    expect(await lastEventData(h.store, 'dev-elsewhere')).toMatchObject({ address: '127.0.0.1', port: third.port, previousAddress: { address: '127.0.0.1', port: other.port } });
  });

  it('replaces the registration of a device that registers again', async () => {
    const h = await harness();
    await importTestDevice(h.store, 'dev-3');
    const client = await h.client('dev-3');
    const first = await client.register();
    const second = await client.register();
    expect(second.locationPath[1]).not.toBe(first.locationPath[1]);
    expect(await lastEventData(h.store, 'dev-3')).toMatchObject({ replacedRegistrationId: first.locationPath[1] });
    client.location = first.locationPath.join('/');
    expect((await client.update()).code).toBe('4.04');
  });

  it('refuses an unknown endpoint with 4.03 and records one rejection per minute', async () => {
    const h = await harness();
    const client = await h.client('stranger');
    expect((await client.register()).code).toBe('4.03');
    expect((await client.register()).code).toBe('4.03');
    expect(await eventTypes(h.store, 'stranger')).toEqual(['RegistrationRejected']);
    expect(await lastEventData(h.store, 'stranger')).toMatchObject({ reason: 'unknown-endpoint', responseCode: '4.03', port: client.port });
    h.clock.advanceSeconds(60);
    expect((await client.register()).code).toBe('4.03');
    expect(await eventTypes(h.store, 'stranger')).toEqual(['RegistrationRejected', 'RegistrationRejected']);
  });

  it('keeps the log bounded under a flood: 10,000 rejected registrations over 10 minutes append at most 21 events a minute, which count all 10,000', async () => {
    const h = await harness();
    const handle = h.service.handler('plain');
    for (let i = 0; i < 10_000; i++) {
      const response = await handle({
        peer: { address: `2001:db8::${(i % 7) + 1}`, port: 40000 + (i % 1000) },
        method: 'POST',
        path: ['rd'],
        query: [`ep=made-up-${i}`, 'lt=60', 'lwm2m=1.1', 'b=U'],
        contentFormat: 40,
        accept: undefined,
        observe: undefined,
        payload: new TextEncoder().encode('</3/0>'),
        options: [],
      });
      expect(response.code).toBe('4.03');
      h.clock.advanceSeconds(0.06);
    }
    await h.service.close();
    const events = await h.store.readAll();
    expect(events.length).toBeLessThanOrEqual(10 * 21);
    const rejected = events.filter((event) => event.type === 'RegistrationRejected');
    const countEvents = events.filter((event) => event.type === 'RefusedRequestsCounted');
    expect(new Set(countEvents.map((event) => event.stream))).toEqual(new Set(['refusals-registration']));
    const counted = countEvents.map((event) => event.data as { count: number; sources: { name: string }[]; reasons: unknown });
    expect(rejected.length + counted.reduce((sum, each) => sum + each.count, 0)).toBe(10_000);
    expect(counted[0]?.sources.map((source) => source.name)).toContain('2001:db8::1');
    expect(counted[0]?.reasons).toEqual([{ name: 'unknown-endpoint', count: counted[0]?.count }]);
  });

  it('registers a device imported a moment before, and refuses it with 4.03 right after it is decommissioned', async () => {
    const h = await harness();
    // A first Register before the import, so that the directory has caught up once and must notice the import.
    const client = await h.client('dev-fresh');
    expect((await client.register()).code).toBe('4.03');
    await importTestDevice(h.store, 'dev-fresh');
    expect((await client.register()).code).toBe('2.01');
    await decommissionTestDevice(h.store, 'dev-fresh', 'test');
    expect((await client.register()).code).toBe('4.03');
  });

  it('refuses a PSK device on the plain port', async () => {
    const h = await harness();
    await importTestDevice(h.store, 'dev-psk', 'PSK');
    const client = await h.client('dev-psk');
    expect((await client.register()).code).toBe('4.03');
    expect(await lastEventData(h.store, 'dev-psk')).toMatchObject({ reason: 'security-mode' });
  });

  it('serves the DTLS channel with the session identity the transport reports', async () => {
    const store = new MemoryEventStore();
    const endpoint = await openUdpCoapEndpoint({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    cleanups.push(() => endpoint.close());
    const service = await RegistrationService.start({ store, directory: new EventStoreDeviceDirectory(store), clock: new ManualClock(), logger: silentLogger(), expirySweepMs: 0 });
    cleanups.push(() => service.close());
    // Stands in for the DTLS transport's session table: the identity each peer port authenticated.
    const identities = new Map<number, string>();
    endpoint.handle(service.handler('psk', (peer) => identities.get(peer.port) ?? null));
    await importTestDevice(store, 'dev-psk-ok', 'PSK');
    const start = async (): Promise<TestLwM2mClient> => {
      const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: endpoint.local.port, endpoint: 'dev-psk-ok' });
      cleanups.push(() => client.close());
      return client;
    };
    const own = await start();
    identities.set(own.port, 'dev-psk-ok');
    expect((await own.register()).code).toBe('2.01');
    expect(service.registration('dev-psk-ok')).toMatchObject({ channel: 'psk', pskIdentity: 'dev-psk-ok' });
    const impostor = await start();
    identities.set(impostor.port, 'someone-else');
    impostor.location = own.location;
    expect((await impostor.update()).code).toBe('4.03');
    expect((await impostor.register()).code).toBe('4.03');
    expect(await lastEventData(store, 'dev-psk-ok')).toMatchObject({ reason: 'identity-mismatch' });
  });

  it('registers a 1.2 client as 1.2, with the 1.2 parameters and one it does not know', async () => {
    const h = await harness();
    await importTestDevice(h.store, 'dev-12');
    const client = await h.client('dev-12', { lwm2mVersion: '1.2', binding: 'UT' });
    expect((await client.register(['Q', 'vendor=1'])).code).toBe('2.01');
    expect(h.service.registration('dev-12')).toMatchObject({ lwm2mVersion: '1.2', binding: 'UT', queueMode: true });
  });

  it('answers a client of a version it does not serve (1.3) 4.12, and registers it when it retries as 1.2', async () => {
    const h = await harness();
    await importTestDevice(h.store, 'dev-13');
    const client = await h.client('dev-13', { lwm2mVersion: '1.3' });
    expect((await client.register()).code).toBe('4.12');
    expect(await lastEventData(h.store, 'dev-13')).toMatchObject({ reason: 'unsupported-version', lwm2mVersion: '1.3' });
    const retry = await h.client('dev-13', { lwm2mVersion: '1.2' });
    expect((await retry.register()).code).toBe('2.01');
    expect(defaultRegistrationPolicy.supportedVersions).toEqual(['1.0', '1.1', '1.2']);
  });

  it('expires a registration after lifetime plus grace, by the injected clock', async () => {
    const h = await harness();
    await importTestDevice(h.store, 'dev-exp');
    const client = await h.client('dev-exp', { lifetime: 60 });
    await client.register();
    h.clock.advanceSeconds(104);
    expect(await h.service.expireDue()).toBe(0);
    h.clock.advanceSeconds(1);
    expect(await h.service.expireDue()).toBe(1);
    expect(await lastEventData(h.store, 'dev-exp')).toMatchObject({ endpoint: 'dev-exp', lifetime: 60, graceSeconds: 45 });
    expect((await client.update()).code).toBe('4.04');
  });

  it('expires on its own timer the registration whose lifetime ran out, not the one renewed by an Update', async () => {
    const store = new MemoryEventStore();
    const timers = new ManualTimers();
    const endpoint = await openUdpCoapEndpoint({ host: '::1', port: 0, logger: silentLogger() });
    cleanups.push(() => endpoint.close());
    const service = await RegistrationService.start({ store, directory: new EventStoreDeviceDirectory(store), clock: timers.wallClock(), timers, logger: silentLogger() });
    cleanups.push(() => service.close());
    endpoint.handle(service.handler('plain'));
    const clients: TestLwM2mClient[] = [];
    for (const name of ['dev-lapsed', 'dev-renewed']) {
      await importTestDevice(store, name);
      const client = await TestLwM2mClient.start({ serverHost: '::1', serverPort: endpoint.local.port, endpoint: name, lifetime: 60 });
      cleanups.push(() => client.close());
      expect((await client.register()).code).toBe('2.01');
      clients.push(client);
    }
    const [lapsed, renewed] = clients as [TestLwM2mClient, TestLwM2mClient];
    timers.advance(50_000);
    expect((await renewed.update()).code).toBe('2.04');
    // Lifetime 60 s plus the 45 s grace after the Register: the lapsed one's deadline is at 105 s.
    timers.advance(55_000);
    await vi.waitFor(async () => expect(await eventTypes(store, 'dev-lapsed')).toEqual(['DeviceRegistered', 'RegistrationExpired']));
    expect(await eventTypes(store, 'dev-renewed')).toEqual(['DeviceRegistered', 'RegistrationUpdated']);
    expect(service.registration('dev-renewed')).toBeDefined();
    expect((await lapsed.update()).code).toBe('4.04');
    timers.advance(49_000);
    expect((await renewed.update()).code).toBe('2.04');
  });

  it('registers again on the existing stream after a de-registration and after an expiry recorded before a restart', async () => {
    const h = await harness();
    await importTestDevice(h.store, 'dev-again');
    const client = await h.client('dev-again', { lifetime: 60 });
    expect((await client.register()).code).toBe('2.01');
    expect((await client.deregister()).code).toBe('2.02');
    expect((await client.register()).code).toBe('2.01');
    h.clock.advanceSeconds(105);
    expect(await h.service.expireDue()).toBe(1);
    const restarted = await RegistrationService.start({ store: h.store, directory: new EventStoreDeviceDirectory(h.store), clock: h.clock, logger: silentLogger(), expirySweepMs: 0 });
    cleanups.push(() => restarted.close());
    h.endpoint.handle(restarted.handler('plain'));
    expect((await client.register()).code).toBe('2.01');
    expect(await eventTypes(h.store, 'dev-again')).toEqual(['DeviceRegistered', 'DeviceDeregistered', 'DeviceRegistered', 'RegistrationExpired', 'DeviceRegistered']);
    expect(restarted.registration('dev-again')?.port).toBe(client.port);
  });

  it('knows the registrations recorded before a restart', async () => {
    const store = new MemoryEventStore();
    const clock = new ManualClock();
    const first = await harness('::1', store, clock);
    await importTestDevice(store, 'dev-restart');
    const client = await first.client('dev-restart');
    await client.register();
    const second = await harness('::1', store, clock);
    expect(second.service.registration('dev-restart')?.registrationId).toBe(client.location?.split('/')[1]);
  });

  it('records one rejection a minute across an import: a stranger refused, then imported, registered and refused again', async () => {
    const h = await harness();
    const stranger = await h.client('dev-late');
    expect((await stranger.register()).code).toBe('4.03');
    await importTestDevice(h.store, 'dev-late');
    expect((await stranger.register()).code).toBe('2.01');
    const tooNew = await h.client('dev-late', { lwm2mVersion: '1.3' });
    expect((await tooNew.register()).code).toBe('4.12');
    expect(await eventTypes(h.store, 'dev-late')).toEqual(['RegistrationRejected', 'DeviceRegistered']);
  });

  it('finds a registration another service on the same log recorded', async () => {
    const store = new MemoryEventStore();
    const clock = new ManualClock();
    const first = await harness('::1', store, clock);
    const second = await harness('::1', store, clock);
    await importTestDevice(store, 'dev-shared');
    const client = await first.client('dev-shared');
    expect((await client.register()).code).toBe('2.01');
    await vi.waitFor(() => expect(second.service.registration('dev-shared')?.port).toBe(client.port));
    const moved = await second.client('dev-shared');
    moved.location = client.location;
    expect((await moved.update()).code).toBe('2.04');
  });

  it('answers malformed registration requests as the specification says', async () => {
    const h = await harness('127.0.0.1');
    const peer = await RawCoapPeer.open({ address: '127.0.0.1', port: h.endpoint.local.port });
    cleanups.push(() => peer.close());
    const send = async (id: number, options: { number: number; value: Uint8Array }[], payload = ''): Promise<string | undefined> => {
      peer.send({ type: 'CON', code: id === 3 ? '0.01' : '0.02', messageId: id, token: Uint8Array.of(id), options, payload: new TextEncoder().encode(payload) });
      return (await peer.waitFor((d) => d.message?.messageId === id)).message?.code;
    };
    const rd = stringOption(OptionNumber.UriPath, 'rd');
    expect(await send(1, [rd, stringOption(OptionNumber.UriQuery, 'lt=60')])).toBe('4.00');
    expect(await send(2, [rd, stringOption(OptionNumber.UriQuery, 'ep=x')], '</1/0')).toBe('4.00');
    expect(await send(3, [rd])).toBe('4.05');
    expect(await send(4, [stringOption(OptionNumber.UriPath, 'other')])).toBe('4.04');
    expect(await send(5, [rd, uintOptionOf(OptionNumber.ContentFormat, 50), stringOption(OptionNumber.UriQuery, 'ep=x')], '{}')).toBe('4.15');
    expect(await send(6, [rd, stringOption(OptionNumber.UriPath, 'unknown-id')])).toBe('4.04');
  });
});
