import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { deviceStream } from '../../../src/domain/devices/DeviceEvents.ts';
import { deviceAsOf } from '../../../src/projections/devices/DeviceAsOf.ts';
import { decommissioned, imported, registration, sealedKey, updated } from '../DeviceEventFixtures.ts';

function steppingClock(start: string, stepMs: number) {
  let next = new Date(start).getTime();
  return {
    now: () => {
      const now = new Date(next);
      next += stepMs;
      return now;
    },
  };
}

describe('deviceAsOf', () => {
  async function history() {
    // Events are recorded at 10:00, 10:01, 10:02, 10:03.
    const store = new MemoryEventStore({ clock: steppingClock('2026-01-01T10:00:00Z', 60_000) });
    await store.appendToStream('other', [{ type: 'Unrelated', data: {} }], 'any');
    await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await store.appendToStream(deviceStream('a'), [updated('a', { name: 'renamed', lwm2mPskKey: sealedKey })], 0);
    await store.appendToStream(deviceStream('a'), [decommissioned('a')], 1);
    return store;
  }

  it('folds the events recorded up to a time', async () => {
    const store = await history();
    expect(await deviceAsOf(store, 'a', { time: new Date('2026-01-01T10:00:59Z') })).toBeUndefined();
    const first = await deviceAsOf(store, 'a', { time: new Date('2026-01-01T10:01:00Z') });
    expect(first).toMatchObject({ status: 'active', revision: 0, position: 2, name: 'a', lwm2mPskKeySet: false });
    const second = await deviceAsOf(store, 'a', { time: new Date('2026-01-01T10:02:30Z') });
    expect(second).toMatchObject({ status: 'active', revision: 1, name: 'renamed', lwm2mPskKeySet: true });
    expect(second?.createdAt.toISOString()).toBe('2026-01-01T10:01:00.000Z');
    expect(second?.updatedAt.toISOString()).toBe('2026-01-01T10:02:00.000Z');
    expect((await deviceAsOf(store, 'a', { time: new Date('2030-01-01T00:00:00Z') }))?.status).toBe('decommissioned');
  });

  it('folds the events up to a global position', async () => {
    const store = await history();
    expect(await deviceAsOf(store, 'a', { position: 1 })).toBeUndefined();
    expect((await deviceAsOf(store, 'a', { position: 3 }))?.name).toBe('renamed');
    expect((await deviceAsOf(store, 'a', { position: 4 }))?.status).toBe('decommissioned');
  });

  it('knows no device that was never imported', async () => {
    expect(await deviceAsOf(await history(), 'nobody', { position: 100 })).toBeUndefined();
  });

  it('never returns a secret', async () => {
    const view = await deviceAsOf(await history(), 'a', { position: 4 });
    expect(JSON.stringify(view)).not.toContain(sealedKey.sealed);
    expect(JSON.stringify(view)).not.toContain(sealedKey.fingerprint);
  });
});
