/**
 * Firmware updates end to end at the adapter level (LwM2M Core 1.1 Appendix E.6): the runner drives
 * the test LwM2M client's object 5 over real UDP on loopback, by pull (the device fetches `/fw/<id>`
 * from the LwM2M server's endpoint with Block2, or over HTTP with its update's token) and by push (a
 * Block1 write of /5/0/0, its bytes read from the repository), succeeds on Update Result 1 whatever
 * version string the device reports, follows a device that restarts and registers again, and fails
 * with the Update Result's meaning when the device reports one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firmwareUpdateStream } from '../../../src/domain/firmware/FirmwareUpdateEvents.ts';
import { firmwareUpdateDecider } from '../../../src/domain/firmware/FirmwareUpdateDecider.ts';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import type { FirmwareUpdateFailed, FirmwareUpdateProgressed, FirmwareUpdateRequested } from '../../../src/domain/firmware/FirmwareUpdateEvents.ts';
import type { RecordedEvent, SubscribeToAllOptions, Subscription } from '../../../src/adapters/eventstore/EventStore.ts';
import { sha256Hex } from '../../../src/app/firmware/FirmwareRepository.ts';
import type { FirmwareAdded } from '../../../src/domain/firmware/FirmwareRepositoryEvents.ts';
import { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { TestLwM2mClient } from '../../support/TestLwM2mClient.ts';
import { TestDeviceObjects } from '../../support/TestDeviceObjects.ts';
import { TestFirmwareObject } from '../../support/TestFirmwareObject.ts';
import type { TestFirmwareObjectOptions } from '../../support/TestFirmwareObject.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import { whenStreamEvents } from '../../support/StreamEvents.ts';
import { operationStream } from '../../../src/domain/operations/OperationEvents.ts';
import type { OperationRequested } from '../../../src/domain/operations/OperationEvents.ts';
import type { FirmwareHarness } from './FirmwareHarness.ts';
import { startFirmwareHarness } from './FirmwareHarness.ts';

const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</5/0>,</3303/0>';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

async function setUp(timeoutMs?: number): Promise<FirmwareHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-fwu-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const harness = await startFirmwareHarness(dir, timeoutMs === undefined ? {} : { timeoutMs });
  cleanups.push(() => harness.close());
  return harness;
}

async function device(harness: FirmwareHarness, endpoint: string, options: TestFirmwareObjectOptions): Promise<{ client: TestLwM2mClient; firmware: TestFirmwareObject }> {
  await importTestDevice(harness.store, endpoint);
  const firmware = new TestFirmwareObject(new TestDeviceObjects(), options);
  const client = await startClient(harness, endpoint, firmware);
  firmware.onRestart = async () => {
    await client.register();
  };
  expect((await client.register()).code).toBe('2.01');
  return { client, firmware };
}

/** The test LwM2M client of `endpoint` with object 5, on a socket of its own (a new source port each time). */
async function startClient(harness: FirmwareHarness, endpoint: string, firmware: TestFirmwareObject): Promise<TestLwM2mClient> {
  const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: harness.coap.local.port, endpoint, lifetime: 600, objectLinks: links, device: firmware });
  cleanups.push(() => client.close());
  return client;
}

async function stepReached(harness: FirmwareHarness, endpoint: string, step: string): Promise<void> {
  await whenStreamEvents(harness.feed, firmwareUpdateStream(endpoint), (events) => (steps(events).includes(step) ? true : undefined));
}

/** The first CoAP answer to `GET path` from a peer at `localAddress` (127.0.0.0/8 is all loopback). */
async function coapGetFrom(harness: FirmwareHarness, localAddress: string, path: readonly string[]): Promise<string | undefined> {
  const peer = await RawCoapPeer.open({ address: '127.0.0.1', port: harness.coap.local.port }, localAddress);
  try {
    peer.send({ type: 'CON', code: '0.01', messageId: 77, token: Uint8Array.of(7), options: path.map((segment) => ({ number: 11, value: new TextEncoder().encode(segment) })), payload: new Uint8Array(0) });
    return (await peer.waitFor((datagram) => datagram.message?.messageId === 77)).message?.code;
  } finally {
    await peer.close();
  }
}

/** A stored firmware of `size` random bytes labelled app `version`, which the device checks and then runs as `version`. */
async function storedFirmware(harness: FirmwareHarness, firmware: TestFirmwareObject, version: string, size: number): Promise<{ binary: Buffer; added: FirmwareAdded }> {
  const binary = randomBytes(size);
  const { firmware: added } = await harness.repository.add({ name: 'app', version, binary }, 'user:t');
  firmware.expectedSha256 = sha256Hex(binary);
  firmware.newVersion = version;
  return { binary, added };
}

async function ended(harness: FirmwareHarness, endpoint: string): Promise<readonly RecordedEvent[]> {
  return whenStreamEvents(harness.feed, firmwareUpdateStream(endpoint), (events) => (events.some((event) => event.type === 'FirmwareUpdateSucceeded' || event.type === 'FirmwareUpdateFailed') ? [...events] : undefined));
}

/** The read models once they hold the update's end. */
async function endProjected(harness: FirmwareHarness, events: readonly RecordedEvent[]): Promise<void> {
  await harness.projector.waitFor(events.at(-1)?.position ?? 0);
}

/** Waits until `count` observations of `path` on the device have been answered (the device served them). */
async function observationsAnswered(harness: FirmwareHarness, endpoint: string, path: string, count: number): Promise<void> {
  await whenStreamEvents(harness.feed, operationStream(endpoint), (events) => {
    const observations = new Set(events.flatMap((event) => {
      const requested = event.type === 'OperationRequested' ? (event.data as unknown as OperationRequested) : undefined;
      return requested?.operation.kind === 'observe' && requested.operation.paths.includes(path) ? [requested.operationId] : [];
    }));
    const answered = events.filter((event) => event.type === 'OperationSucceeded' && observations.has((event.data as { operationId: string }).operationId));
    return answered.length >= count ? true : undefined;
  });
}

function steps(events: readonly RecordedEvent[]): string[] {
  return events.map((event) => (event.type === 'FirmwareUpdateProgressed' ? (event.data as unknown as FirmwareUpdateProgressed).step : event.type));
}

describe('firmware update runner', () => {
  it('updates by pull: the device fetches the package from the LwM2M server in Block2 blocks', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-pull', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const { binary, added } = await storedFirmware(harness, firmware, '2.0', 3000);
    const { updateId } = await harness.runner.start('fw-pull', added.firmwareId, 'user:t');
    const events = await ended(harness, 'fw-pull');
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { updateId, version: '2.0' } });
    const requested = events[0]?.data as unknown as FirmwareUpdateRequested;
    expect(requested).toMatchObject({ method: 'pull', packageUri: `coap://127.0.0.1:${harness.coap.local.port}/fw/${added.firmwareId}`, firmwareId: added.firmwareId, requestedBy: 'user:t' });
    expect(steps(events).slice(0, 6)).toEqual(['FirmwareUpdateRequested', 'observing', 'delivering-package', 'package-delivered', 'downloaded', 'update-executed']);
    expect(firmware.received).toMatchObject({ via: 'pull', blockwise: true });
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
  });

  it('updates by push: a device that only takes pushes gets /5/0/0 written (Block1)', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-push', { deliveryMethod: 1, protocols: [0], currentVersion: '1.0' });
    const { binary, added } = await storedFirmware(harness, firmware, '3.1', 2500);
    await harness.runner.start('fw-push', added.firmwareId, 'user:t');
    const events = await ended(harness, 'fw-push');
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { version: '3.1' } });
    expect(events[0]?.data).toMatchObject({ method: 'push', packageUri: null });
    expect(firmware.received).toMatchObject({ via: 'push', blockwise: true });
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
  });

  it('fails with "integrity check failure" when the device reports Update Result 5, and never executes Update', async () => {
    const harness = await setUp();
    const { client, firmware } = await device(harness, 'fw-bad', { deliveryMethod: 2, protocols: [0], currentVersion: '1.0' });
    const { added } = await storedFirmware(harness, firmware, '2.0', 1500);
    firmware.corruptDownload = true;
    await harness.runner.start('fw-bad', added.firmwareId, 'user:t');
    const events = await ended(harness, 'fw-bad');
    const failed = events.at(-1);
    expect(failed?.type).toBe('FirmwareUpdateFailed');
    expect(failed?.data as unknown as FirmwareUpdateFailed).toMatchObject({ reason: 'integrity check failure for new downloaded package', updateResult: 5 });
    expect(client.served.filter((line) => line.startsWith('POST /5/0/2'))).toEqual([]);
  });

  it('takes up an update after a restart of the service between Update and the device\'s new registration', async () => {
    const harness = await setUp();
    const { client, firmware } = await device(harness, 'fw-resume', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const { added } = await storedFirmware(harness, firmware, '4.0', 800);
    let restarted: () => void = () => undefined;
    const restartedDevice = new Promise<void>((resolve) => {
      restarted = resolve;
    });
    firmware.onRestart = () => {
      restarted();
      return Promise.resolve();
    };
    // The device restarts (its observations gone) and holds its Update Result until the test has stopped the service.
    firmware.afterUpdate = 'restart-then-report';
    await harness.runner.start('fw-resume', added.firmwareId, 'user:t');
    await restartedDevice;
    await stepReached(harness, 'fw-resume', 'update-executed');
    harness.runner.close();
    firmware.reportSuccess();
    expect(await harness.newRunner().resume()).toBe(1);
    expect((await client.register()).code).toBe('2.01');
    const events = await ended(harness, 'fw-resume');
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { version: '4.0' } });
    expect(await harness.newRunner().resume()).toBe(0);
  });

  it('acts on a step that the runner it took the update over from recorded after the updates under way were read', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-late', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const { added } = await storedFirmware(harness, firmware, '7.0', 600);
    firmware.afterUpdate = 'hang';
    const { updateId } = await harness.runner.start('fw-late', added.firmwareId, 'user:t');
    await stepReached(harness, 'fw-late', 'update-executed');
    harness.runner.close();
    expect(await harness.newRunner().resume()).toBe(1);
    // The closed runner's last command lands now: the device's Update Result 1, which it had heard.
    const late = await new AggregateCommandRunner({ store: harness.store }).run(firmwareUpdateStream('fw-late'), firmwareUpdateDecider, { type: 'ReportFirmwareValue', updateId, path: '/5/0/5', text: '1', at: new Date().toISOString() });
    expect(late.events.map((event) => event.type)).toEqual(['FirmwareUpdateProgressed']);
    // The device reports it again to the runner that follows the update now, which records no step twice.
    firmware.reportSuccess();
    const events = await ended(harness, 'fw-late');
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { updateId, version: '7.0' } });
  });

  it('runs the shell\'s fwupdate NAME VERSION URL: adds the URL as an external firmware once, then updates to it', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-url', { deliveryMethod: 0, protocols: [2], currentVersion: '1.0' });
    const binary = randomBytes(1800);
    // The external URL: a package on another HTTP server, which the service neither holds nor guards.
    const external = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(binary));
    await new Promise<void>((resolve) => external.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => external.close(() => resolve())));
    const uri = `http://127.0.0.1:${(external.address() as AddressInfo).port}/packages/app-5.0.bin`;
    firmware.expectedSha256 = sha256Hex(binary);
    firmware.newVersion = '5.0';
    const first = await harness.service.updateFromUrl('fw-url', { name: 'app', version: '5.0', url: uri }, 'user:t');
    expect(first).toMatchObject({ method: 'pull', packageUri: uri, status: 'running' });
    expect((await ended(harness, 'fw-url')).at(-1)?.type).toBe('FirmwareUpdateSucceeded');
    const second = await harness.service.updateFromUrl('fw-url', { name: 'app', version: '5.0', url: uri }, 'user:t');
    expect(second.firmwareId).toBe(first.firmwareId);
    expect(harness.service.firmwares().map((each) => `${each.name} ${each.version} ${each.kind}`)).toEqual(['app 5.0 external']);
  });

  it('updates a device named "repository": its update stream is not the repository\'s', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'repository', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    await harness.repository.add({ name: 'other', version: '1.0', url: 'coap://fw.example.com/other' }, 'user:t');
    const { added } = await storedFirmware(harness, firmware, '6.0', 900);
    const update = await harness.service.startUpdate('repository', added.firmwareId, 'user:t');
    const events = await ended(harness, 'repository');
    expect(events.map((event) => event.type).filter((type) => !type.startsWith('FirmwareUpdate'))).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { updateId: update.updateId, version: '6.0' } });
    expect((await harness.repository.list()).map((each) => `${each.name} ${each.version}`)).toEqual(['other 1.0', 'app 6.0']);
    expect(harness.service.firmwares().map((each) => `${each.name} ${each.version}`)).toEqual(['other 1.0', 'app 6.0']);
    await endProjected(harness, events);
    expect(harness.service.updates('repository')[0]?.status).toBe('succeeded');
  });

  it('refuses a second update while one runs, an unknown firmware, and fails on its deadline', async () => {
    const harness = await setUp(1_500);
    const { firmware } = await device(harness, 'fw-slow', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const { firmware: added } = await harness.repository.add({ name: 'app', version: '2.0', binary: randomBytes(100) }, 'user:t');
    await expect(harness.runner.start('fw-slow', 'no-such-firmware', 'user:t')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The device never reports after Update.
    firmware.afterUpdate = 'hang';
    await harness.runner.start('fw-slow', added.firmwareId, 'user:t');
    await expect(harness.runner.start('fw-slow', added.firmwareId, 'user:t')).rejects.toMatchObject({ code: 'CONFLICT' });
    await stepReached(harness, 'fw-slow', 'update-executed');
    harness.timers.advance(1_500);
    const events = await ended(harness, 'fw-slow');
    expect(events.at(-1)?.type).toBe('FirmwareUpdateFailed');
    expect(events.at(-1)?.data as unknown as FirmwareUpdateFailed).toMatchObject({ reason: 'timed out after step update-executed', updateResult: null });
  });

  it('succeeds on Update Result 1 without a new registration, recording the version the device reports beside the label', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-label', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const { added } = await storedFirmware(harness, firmware, '2.0', 1200);
    firmware.newVersion = 'v2.0.0-build.17';
    firmware.onRestart = () => Promise.resolve();
    const update = await harness.service.startUpdate('fw-label', added.firmwareId, 'user:t');
    const events = await ended(harness, 'fw-label');
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { updateId: update.updateId, version: '2.0', reportedVersion: 'v2.0.0-build.17' } });
    expect(steps(events).slice(-2)).toEqual(['update-reported-success', 'FirmwareUpdateSucceeded']);
    await endProjected(harness, events);
    expect(harness.service.updates('fw-label')[0]).toMatchObject({ status: 'succeeded', version: '2.0', reportedVersion: 'v2.0.0-build.17' });
  });

  it('follows a device that restarts, registering again from a new port, before it reports Update Result 1', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-reboot', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const { added } = await storedFirmware(harness, firmware, '3.0', 1000);
    firmware.afterUpdate = 'restart-then-report';
    let rebooted: TestLwM2mClient | undefined;
    firmware.onRestart = async () => {
      rebooted = await startClient(harness, 'fw-reboot', firmware);
      await rebooted.register();
    };
    await harness.runner.start('fw-reboot', added.firmwareId, 'user:t');
    // The service observes State and Update Result again on the new registration.
    await observationsAnswered(harness, 'fw-reboot', '/5/0/5', 2);
    expect(rebooted?.served.filter((line) => line === 'GET /5/0/5')).toHaveLength(1);
    firmware.reportSuccess();
    const events = await ended(harness, 'fw-reboot');
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { version: '3.0', reportedVersion: '3.0' } });
  });

  it('follows any number of running updates without an event-store subscription per update', async () => {
    const harness = await setUp();
    let opened = 0;
    const subscribe = harness.store.subscribeToAll.bind(harness.store);
    harness.store.subscribeToAll = (options?: SubscribeToAllOptions): Subscription => {
      opened++;
      return subscribe(options);
    };
    const binary = randomBytes(600);
    const { firmware: added } = await harness.repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    const run = async (endpoints: readonly string[]): Promise<void> => {
      for (const endpoint of endpoints) {
        const { firmware } = await device(harness, endpoint, { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
        firmware.expectedSha256 = sha256Hex(binary);
        firmware.afterUpdate = 'hang';
      }
      await Promise.all(endpoints.map((endpoint) => harness.runner.start(endpoint, added.firmwareId, 'user:t')));
      for (const endpoint of endpoints) await stepReached(harness, endpoint, 'update-executed');
    };
    // The first update also sees the projector's shared feed start; from then on, more updates open nothing.
    await run(['fw-many-1']);
    const withOne = opened;
    await run(['fw-many-2', 'fw-many-3', 'fw-many-4', 'fw-many-5']);
    expect(opened).toBe(withOne);
  });

  it('pushes a package larger than 1 MiB by reference: no event carries it', async () => {
    const harness = await setUp(60_000);
    const { firmware } = await device(harness, 'fw-big-push', { deliveryMethod: 1, protocols: [0], currentVersion: '1.0' });
    const { binary, added } = await storedFirmware(harness, firmware, '9.0', 1_100_000);
    await harness.runner.start('fw-big-push', added.firmwareId, 'user:t');
    expect((await ended(harness, 'fw-big-push')).at(-1)?.type).toBe('FirmwareUpdateSucceeded');
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
    const largest = Math.max(...(await harness.store.readAll({ maxCount: 100_000 })).map((event) => JSON.stringify(event.data).length));
    expect(largest).toBeLessThan(64 * 1024);
  });

  it('serves a CoAP package only to the device whose update runs, from its address', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-guarded', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const { binary, added } = await storedFirmware(harness, firmware, '2.0', 700);
    const path = ['fw', added.firmwareId];
    expect(await coapGetFrom(harness, '127.0.0.1', path)).toBe('4.03');
    firmware.afterUpdate = 'hang';
    await harness.runner.start('fw-guarded', added.firmwareId, 'user:t');
    await stepReached(harness, 'fw-guarded', 'update-executed');
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
    // Another host is refused; the device's address (any port: its download socket) is served.
    expect(await coapGetFrom(harness, '127.0.0.2', path)).toBe('4.03');
    expect(await coapGetFrom(harness, '127.0.0.1', path)).toBe('2.05');
  });

  it('serves an HTTP package only with the token of the running update, never shown, and answers 400 to a malformed path', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-http', { deliveryMethod: 0, protocols: [2], currentVersion: '1.0' });
    const { binary, added } = await storedFirmware(harness, firmware, '2.0', 900);
    firmware.afterUpdate = 'hang';
    const update = await harness.service.startUpdate('fw-http', added.firmwareId, 'user:t');
    await stepReached(harness, 'fw-http', 'update-executed');
    expect(firmware.received).toMatchObject({ via: 'pull' });
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
    const written = String(firmware.value('/5/0/1'));
    const packageUri = `${harness.httpBase}/fw/${added.firmwareId}`;
    expect(written.startsWith(`${packageUri}/`)).toBe(true);
    const token = written.slice(packageUri.length + 1);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The token is in no event and no view: the event holds it sealed, the read model not at all.
    expect(update.packageUri).toBe(packageUri);
    const logged = JSON.stringify((await harness.store.readAll({ maxCount: 100_000 })).map((event) => event.data));
    expect(logged.includes(token)).toBe(false);
    expect(JSON.stringify(harness.api.operations('fw-http')).includes(token)).toBe(false);
    expect((await fetch(written)).status).toBe(200);
    expect((await fetch(packageUri)).status).toBe(403);
    expect((await fetch(`${packageUri}/${'A'.repeat(43)}`)).status).toBe(403);
    expect((await fetch(`${harness.httpBase}/fw/%`)).status).toBe(400);
    expect((await fetch(`${harness.httpBase}/fw/${added.firmwareId}/%E0%A4%A`)).status).toBe(400);
    // The grant is the update under way in the log, not its runner's: a node that does not drive the update serves it too.
    harness.runner.close();
    expect((await fetch(written)).status).toBe(200);
    expect(await harness.newRunner().resume()).toBe(1);
    expect((await fetch(written)).status).toBe(200);
  });

  it('as a node among several, leaves an update of a device registered with no node to the node it registers with next, and fails it on its deadline meanwhile', async () => {
    const harness = await setUp(1_500);
    const { client, firmware } = await device(harness, 'fw-unheld', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const { added } = await storedFirmware(harness, firmware, '2.0', 300);
    firmware.afterUpdate = 'hang';
    await harness.runner.start('fw-unheld', added.firmwareId, 'user:t');
    await stepReached(harness, 'fw-unheld', 'update-executed');
    harness.runner.close();
    expect((await client.deregister()).code).toBe('2.02');
    const node = harness.newRunner({ nodeId: 'node-b', registration: (endpoint) => harness.registrations.registration(endpoint) });
    expect(await node.resume()).toBe(0);
    harness.timers.advance(1_500);
    const events = await ended(harness, 'fw-unheld');
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateFailed', data: { reason: 'timed out after step update-executed' } });
    // Driven by no runner since the first closed: nothing more was asked of the device.
    expect(client.served.filter((line) => line === 'GET /5/0')).toHaveLength(1);
  });
});
