import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStoreDeviceDirectory } from '../../../src/app/devices/DeviceDirectory.ts';
import { commitDeviceImport } from '../../../src/app/devices/DeviceImportCommits.ts';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import { ImportCommits } from '../../../src/app/kernel/ImportCommits.ts';
import type { EventStore } from '../../../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { deviceStream } from '../../../src/domain/devices/DeviceEvents.ts';
import type { DeviceRegistrationData, DeviceRegistrationImported } from '../../../src/domain/devices/DeviceEvents.ts';
import type { JsonValue } from '../../../src/domain/Json.ts';
import { deviceRegistrationDecider } from '../../../src/domain/devices/DeviceRegistrationDecider.ts';
import type { DeviceAccess } from '../../../src/domain/registration/RegistrationDecider.ts';
import { decommissionTestDevice, importTestRegistration, testDeviceData } from '../../support/TestDevices.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sqliteStore(): Promise<EventStore> {
  const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-device-directory-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  cleanups.push(() => store.close());
  return store;
}

function importDevice(store: EventStore, registration: DeviceRegistrationData): Promise<unknown> {
  return importTestRegistration(store, registration);
}

/** Stages an import's rows (a bulk import's way, StagedImports.ts); the commit that makes them count is returned, to append when the test says. */
async function stage(store: EventStore, importId: string, endpoints: readonly string[]): Promise<() => Promise<unknown>> {
  const runner = new AggregateCommandRunner({ store });
  const positions: number[] = [];
  for (const [index, endpoint] of endpoints.entries()) {
    const { position } = await runner.run(deviceStream(endpoint), deviceRegistrationDecider, { type: 'ImportDeviceRegistration', registration: testDeviceData(endpoint), importId, line: index + 2 });
    if (position !== undefined) positions.push(position);
  }
  const commit = { importId, firstPosition: Math.min(...positions), lastPosition: Math.max(...positions), imported: positions.length, updated: 0 };
  return () => commitDeviceImport(store, commit, { actor: 'test', correlationId: importId });
}

/** What the device's own stream says, the way the directory answered before it cached anything. */
async function fromStream(store: EventStore, endpoint: string): Promise<DeviceAccess | undefined> {
  const { state } = await new AggregateCommandRunner({ store }).load(deviceStream(endpoint), deviceRegistrationDecider, { counted: new ImportCommits(store).counted });
  return state.status === 'active' ? { securityMode: state.registration.securityMode, pskIdentity: state.registration.lwm2mPskId } : undefined;
}

describe.each([
  ['SQLite', sqliteStore],
  ['memory', (): Promise<EventStore> => Promise.resolve(new MemoryEventStore())],
])('EventStoreDeviceDirectory (%s store)', (_name, open) => {
  it('sees a device imported, changed, decommissioned and imported again right after each append', async () => {
    const store = await open();
    const directory = new EventStoreDeviceDirectory(store);
    expect(await directory.lookup('dev-1')).toBeUndefined();

    await importDevice(store, testDeviceData('dev-1'));
    expect(await directory.lookup('dev-1')).toEqual({ securityMode: 'NO_SEC', pskIdentity: null });

    await importDevice(store, { ...testDeviceData('dev-1', 'PSK'), lwm2mPskId: 'psk-1' });
    expect(await directory.lookup('dev-1')).toEqual({ securityMode: 'PSK', pskIdentity: 'psk-1' });

    await importDevice(store, { ...testDeviceData('dev-1', 'PSK'), lwm2mPskId: 'psk-2' });
    expect(await directory.lookup('dev-1')).toEqual({ securityMode: 'PSK', pskIdentity: 'psk-2' });

    await decommissionTestDevice(store, 'dev-1');
    expect(await directory.lookup('dev-1')).toBeUndefined();

    await importDevice(store, testDeviceData('dev-1'));
    expect(await directory.lookup('dev-1')).toEqual({ securityMode: 'NO_SEC', pskIdentity: null });
    expect(await directory.lookup('dev-2')).toBeUndefined();
  });

  it('answers lookups racing with imports and decommissions as the device streams do once they settle', async () => {
    const store = await open();
    const directory = new EventStoreDeviceDirectory(store);
    const endpoints = Array.from({ length: 60 }, (_, index) => `dev-${index}`);
    // Lookups start while the appends are in flight; each answer must be the stream's state at some
    // moment, and lookups started after an append settled must see it.
    const early = endpoints.map((endpoint) => directory.lookup(endpoint));
    await Promise.all(endpoints.map((endpoint, index) => importDevice(store, testDeviceData(endpoint, index % 2 === 0 ? 'NO_SEC' : 'PSK'))));
    for (const answer of await Promise.all(early)) expect([undefined, { securityMode: 'NO_SEC', pskIdentity: null }, expect.objectContaining({ securityMode: 'PSK' })]).toContainEqual(answer);

    await Promise.all(endpoints.filter((_, index) => index % 3 === 0).map((endpoint) => decommissionTestDevice(store, endpoint)));
    const answers = await Promise.all(endpoints.map((endpoint) => directory.lookup(endpoint)));
    const expected = await Promise.all(endpoints.map((endpoint) => fromStream(store, endpoint)));
    expect(answers).toEqual(expected);
    expect(answers.filter((answer) => answer === undefined)).toHaveLength(20);
  });

  it('catches up from a log longer than one page when it starts', async () => {
    const store = await open();
    const endpoints = Array.from({ length: 10_050 }, (_, index) => `bulk-${index}`);
    for (let start = 0; start < endpoints.length; start += 1_000) {
      await Promise.all(endpoints.slice(start, start + 1_000).map((endpoint) => store.appendToStream(deviceStream(endpoint), [{ type: 'DeviceRegistrationImported', data: { registration: testDeviceData(endpoint), importId: 'bulk', line: 2 } satisfies DeviceRegistrationImported as unknown as JsonValue }], 'no_stream')));
    }
    const directory = new EventStoreDeviceDirectory(store);
    expect(await directory.lookup('bulk-0')).toEqual({ securityMode: 'NO_SEC', pskIdentity: null });
    expect(await directory.lookup('bulk-10049')).toEqual({ securityMode: 'NO_SEC', pskIdentity: null });
    expect(await directory.lookup('bulk-10050')).toBeUndefined();
  });

  it('counts an import\'s rows at its commit only, whether it follows the log or reads it at start', async () => {
    const store = await open();
    const following = new EventStoreDeviceDirectory(store);
    expect(await following.lookup('staged-1')).toBeUndefined();
    const commitFirst = await stage(store, 'import-a', ['staged-1', 'staged-2']);
    await stage(store, 'import-never-committed', ['abandoned-1']);
    await importDevice(store, testDeviceData('plain-1'));
    expect(await Promise.all(['staged-1', 'staged-2', 'abandoned-1', 'plain-1'].map((endpoint) => following.lookup(endpoint)))).toEqual([undefined, undefined, undefined, { securityMode: 'NO_SEC', pskIdentity: null }]);
    await commitFirst();
    const noSec = { securityMode: 'NO_SEC', pskIdentity: null };
    expect(await Promise.all(['staged-1', 'staged-2', 'abandoned-1'].map((endpoint) => following.lookup(endpoint)))).toEqual([noSec, noSec, undefined]);

    const later = await open();
    const commitLater = await stage(later, 'import-b', ['staged-3']);
    await stage(later, 'import-never-committed', ['abandoned-2']);
    await commitLater();
    const starting = new EventStoreDeviceDirectory(later);
    expect(await Promise.all(['staged-3', 'abandoned-2'].map((endpoint) => starting.lookup(endpoint)))).toEqual([noSec, undefined]);
  });
});
