/**
 * Firmware updates end to end at the adapter level (issue 8; LwM2M Core 1.1 Appendix E.6): the
 * runner drives the test LwM2M client's object 5 over real UDP on loopback, by pull (the device
 * fetches `/fw/<id>` from the LwM2M server's endpoint with Block2) and by push (a Block1 write of
 * /5/0/0), and fails with the Update Result's meaning when the device reports one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firmwareUpdateStream } from '../../../src/domain/firmware/FirmwareUpdateEvents.ts';
import type { FirmwareUpdateFailed, FirmwareUpdateProgressed, FirmwareUpdateRequested } from '../../../src/domain/firmware/FirmwareUpdateEvents.ts';
import type { RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { sha256Hex } from '../../../src/adapters/firmware/FirmwareRepository.ts';
import { TestLwM2mClient } from '../../support/TestLwM2mClient.ts';
import { TestDeviceObjects } from '../../support/TestDeviceObjects.ts';
import { TestFirmwareObject } from '../../support/TestFirmwareObject.ts';
import type { TestFirmwareObjectOptions } from '../../support/TestFirmwareObject.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import { eventually } from '../lwm2m/DeviceManagementHarness.ts';
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
  const objects = new TestDeviceObjects();
  const firmware = new TestFirmwareObject(objects, options);
  const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: harness.coap.local.port, endpoint, lifetime: 600, objectLinks: links, device: firmware });
  cleanups.push(() => client.close());
  firmware.onRestart = async () => {
    await client.register();
  };
  expect((await client.register()).code).toBe('2.01');
  return { client, firmware };
}

async function ended(harness: FirmwareHarness, endpoint: string): Promise<readonly RecordedEvent[]> {
  return eventually(async () => {
    const events = await harness.events(firmwareUpdateStream(endpoint));
    return events.some((event) => event.type === 'FirmwareUpdateSucceeded' || event.type === 'FirmwareUpdateFailed') ? events : undefined;
  }, 8_000);
}

function steps(events: readonly RecordedEvent[]): string[] {
  return events.map((event) => (event.type === 'FirmwareUpdateProgressed' ? (event.data as unknown as FirmwareUpdateProgressed).step : event.type));
}

describe('firmware update runner', () => {
  it('updates by pull: the device fetches the package from the LwM2M server in Block2 blocks', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-pull', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const binary = randomBytes(3000);
    const added = await harness.repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    firmware.expectedSha256 = sha256Hex(binary);
    firmware.newVersion = '2.0';
    const updateId = await harness.runner.start('fw-pull', added.firmwareId, 'user:t');
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
    const binary = randomBytes(2500);
    const added = await harness.repository.add({ name: 'app', version: '3.1', binary }, 'user:t');
    firmware.expectedSha256 = sha256Hex(binary);
    firmware.newVersion = '3.1';
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
    const binary = randomBytes(1500);
    const added = await harness.repository.add({ name: 'app', version: '2.0', binary }, 'user:t');
    firmware.expectedSha256 = sha256Hex(binary);
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
    const binary = randomBytes(800);
    const added = await harness.repository.add({ name: 'app', version: '4.0', binary }, 'user:t');
    firmware.expectedSha256 = sha256Hex(binary);
    firmware.newVersion = '4.0';
    let restarted: () => void = () => undefined;
    const restartedDevice = new Promise<void>((resolve) => {
      restarted = resolve;
    });
    firmware.onRestart = () => {
      restarted();
      return Promise.resolve();
    };
    await harness.runner.start('fw-resume', added.firmwareId, 'user:t');
    await restartedDevice;
    await eventually(async () => (steps(await harness.events(firmwareUpdateStream('fw-resume'))).includes('update-executed') ? true : undefined));
    harness.runner.close();
    expect(await harness.newRunner().resume()).toBe(1);
    expect((await client.register()).code).toBe('2.01');
    const events = await ended(harness, 'fw-resume');
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { version: '4.0' } });
    expect(await harness.newRunner().resume()).toBe(0);
  });

  it('runs the shell\'s fwupdate NAME VERSION URL: adds the URL as an external firmware once, then updates to it', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'fw-url', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const binary = randomBytes(1800);
    // The external URL: a package the LwM2M server serves itself, as another firmware.
    const hosted = await harness.repository.add({ name: 'hosted', version: '0', binary }, 'user:t');
    const uri = `coap://127.0.0.1:${harness.coap.local.port}/fw/${hosted.firmwareId}`;
    firmware.expectedSha256 = sha256Hex(binary);
    firmware.newVersion = '5.0';
    const first = await harness.service.updateFromUrl('fw-url', { name: 'app', version: '5.0', url: uri }, 'user:t');
    expect(first).toMatchObject({ method: 'pull', packageUri: uri, status: 'running' });
    expect((await ended(harness, 'fw-url')).at(-1)?.type).toBe('FirmwareUpdateSucceeded');
    const second = await harness.service.updateFromUrl('fw-url', { name: 'app', version: '5.0', url: uri }, 'user:t');
    expect(second.firmwareId).toBe(first.firmwareId);
    expect(harness.service.firmwares().map((each) => `${each.name} ${each.version} ${each.kind}`)).toEqual(['hosted 0 stored', 'app 5.0 external']);
  });

  it('updates a device named "repository": its update stream is not the repository\'s', async () => {
    const harness = await setUp();
    const { firmware } = await device(harness, 'repository', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    await harness.repository.add({ name: 'other', version: '1.0', url: 'coap://fw.example.com/other' }, 'user:t');
    const binary = randomBytes(900);
    const added = await harness.repository.add({ name: 'app', version: '6.0', binary }, 'user:t');
    firmware.expectedSha256 = sha256Hex(binary);
    firmware.newVersion = '6.0';
    const update = await harness.service.startUpdate('repository', added.firmwareId, 'user:t');
    const events = await ended(harness, 'repository');
    expect(events.map((event) => event.type).filter((type) => !type.startsWith('FirmwareUpdate'))).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'FirmwareUpdateSucceeded', data: { updateId: update.updateId, version: '6.0' } });
    expect((await harness.repository.list()).map((each) => `${each.name} ${each.version}`)).toEqual(['other 1.0', 'app 6.0']);
    expect(harness.service.firmwares().map((each) => `${each.name} ${each.version}`)).toEqual(['other 1.0', 'app 6.0']);
    await eventually(() => (harness.service.updates('repository')[0]?.status === 'succeeded' ? true : undefined));
  });

  it('refuses a second update while one runs, an unknown firmware, and fails on its deadline', async () => {
    const harness = await setUp(1_500);
    const { firmware } = await device(harness, 'fw-slow', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const added = await harness.repository.add({ name: 'app', version: '2.0', binary: randomBytes(100) }, 'user:t');
    await expect(harness.runner.start('fw-slow', 'no-such-firmware', 'user:t')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // The device never registers again after Update, so the service never reads the new version.
    firmware.onRestart = () => Promise.resolve();
    await harness.runner.start('fw-slow', added.firmwareId, 'user:t');
    await expect(harness.runner.start('fw-slow', added.firmwareId, 'user:t')).rejects.toMatchObject({ code: 'CONFLICT' });
    const events = await ended(harness, 'fw-slow');
    expect(events.at(-1)?.type).toBe('FirmwareUpdateFailed');
    expect(events.at(-1)?.data as unknown as FirmwareUpdateFailed).toMatchObject({ reason: 'timed out after step update-reported-success', updateResult: null });
  });
});
