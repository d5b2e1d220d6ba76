import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import { DeviceProtocolService } from '../../../src/app/protocols/DeviceProtocolService.ts';
import type { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { DeviceProtocolQueries } from '../../../src/projections/protocols/DeviceProtocolQueries.ts';
import { deviceProtocolsProjection } from '../../../src/projections/protocols/DeviceProtocolsProjection.ts';
import type { Projector } from '../../../src/projections/Projector.ts';
import type { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';
import { openProjectionTestBed, type ProjectionTestBed } from '../ProjectionTestBed.ts';
import { ManualClock } from '../../support/ManualClock.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/ddf/${name}`, import.meta.url), 'utf8');
const user = { actor: 'user:test' };

let bed: ProjectionTestBed;
let store: SqliteEventStore;
let database: ReadModelDatabase;
let projector: Projector;

beforeEach(async () => {
  bed = await openProjectionTestBed('protocols-projection-', [deviceProtocolsProjection]);
  ({ store, database, projector } = bed);
});

afterEach(() => bed.close());

describe('the device protocols read model', () => {
  it('keeps the newest version as the protocol whatever the upload order, and each version its own functionalities', async () => {
    const clock = new ManualClock(Date.parse('2026-04-01T00:00:00Z'));
    const service = new DeviceProtocolService({ store, feed: new LogFeed({ store }), clock, logger: silentLogger() });
    await service.importDdf(fixture('3303.xml'), user);
    clock.advanceSeconds(60);
    await service.importDdf(fixture('3303-1_0.xml'), user);
    clock.advanceSeconds(60);
    const change = await service.setResourceFunctionality(
      { objectId: 3303, version: '1.0', resourceId: 5700, functionality: { kind: 'sendEvent', type: 'c8y_Reading', text: 'read' } },
      user,
    );
    await projector.waitFor(change.position ?? 0);

    const queries = new DeviceProtocolQueries(database.db);
    expect(queries.list()).toEqual([
      {
        objectId: 3303,
        name: 'Temperature',
        description: expect.any(String) as unknown,
        latestVersion: '1.1',
        versions: ['1.0', '1.1'],
        createdAt: new Date('2026-04-01T00:00:00Z'),
        updatedAt: new Date('2026-04-01T00:02:00Z'),
      },
    ]);
    expect(queries.get(3303)?.version).toBe('1.1');
    expect(queries.get(3303)?.resources.find((r) => r.id === 5700)?.functionalities).toEqual({});
    const old = queries.get(3303, '1.0');
    expect(old?.resources.find((r) => r.id === 5700)?.functionalities).toEqual({ sendEvent: { kind: 'sendEvent', type: 'c8y_Reading', text: 'read' } });
    expect(old?.updatedAt).toEqual(new Date('2026-04-01T00:02:00Z'));
    expect(old?.createdAt).toEqual(new Date('2026-04-01T00:01:00Z'));
    expect(queries.get(3303, '9.9')).toBeUndefined();
    expect(queries.get(4242)).toBeUndefined();
  });
});
