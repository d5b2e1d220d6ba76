/** Readiness checks against a real store and projector: what makes the service not ready, and why. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { eventStoreCheck, evaluateReadiness, readModelsCheck } from '../../../src/app/health/Readiness.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import { deviceStream } from '../../../src/domain/devices/DeviceEvents.ts';
import { devicesProjection } from '../../../src/projections/devices/DevicesProjection.ts';
import { Projector } from '../../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';
import { imported, registration } from '../../projections/DeviceEventFixtures.ts';

let dir: string;
let store: SqliteEventStore;
let database: ReadModelDatabase;
let projector: Projector;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'readiness-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  database = ReadModelDatabase.open(dir);
  projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: [devicesProjection], logger: silentLogger() });
});

afterEach(async () => {
  await projector.close();
  database.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A clock `seconds` after the first event of the log was recorded. */
async function clockAfterFirstEvent(seconds: number) {
  const [first] = await store.readAll({ maxCount: 1 });
  if (!first) throw new Error('the log is empty');
  return { now: () => new Date(first.recordedAt.getTime() + seconds * 1000) };
}

describe('readiness', () => {
  it('is ready with an open store and read models within the lag bound', async () => {
    await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    const checks = [eventStoreCheck(store), readModelsCheck(projector, await clockAfterFirstEvent(30), 30_000)];
    // Not started, the projector has applied nothing, but the event is only 30 s old.
    expect(await evaluateReadiness(checks)).toEqual({ ready: true, reasons: [] });
  });

  it('is not ready while a read model has not applied an event older than the bound, and says which', async () => {
    await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    const readiness = await evaluateReadiness([readModelsCheck(projector, await clockAfterFirstEvent(31), 30_000)]);
    expect(readiness).toEqual({ ready: false, reasons: ['read models: devices is 31 s behind the log (at most 30 s)'] });

    projector.start();
    const head = await store.headPosition();
    await projector.waitFor(head);
    expect((await evaluateReadiness([readModelsCheck(projector, await clockAfterFirstEvent(31), 30_000)])).ready).toBe(true);
  });

  it('is not ready once the store is closed', async () => {
    const closed = await SqliteEventStore.open(join(dir, 'other.sqlite'));
    await closed.close();
    const readiness = await evaluateReadiness([eventStoreCheck(closed)]);
    expect(readiness).toEqual({ ready: false, reasons: ['event store: the event store is closed'] });
  });
});
