import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitDeviceImport } from '../../../src/app/devices/DeviceImportCommits.ts';
import type { NewEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import type { DeviceRegistrationData } from '../../../src/domain/devices/DeviceEvents.ts';
import { deviceStream } from '../../../src/domain/devices/DeviceEvents.ts';
import type { JsonValue } from '../../../src/domain/Json.ts';
import { DeviceQueries } from '../../../src/projections/devices/DeviceQueries.ts';
import { devicesProjection } from '../../../src/projections/devices/DevicesProjection.ts';
import { DeviceHistoryQueries } from '../../../src/projections/history/DeviceHistoryQueries.ts';
import { deviceHistoryProjection } from '../../../src/projections/history/DeviceHistoryProjection.ts';
import type { ProjectionTestBed } from '../ProjectionTestBed.ts';
import { openProjectionTestBed } from '../ProjectionTestBed.ts';
import { registration } from '../DeviceEventFixtures.ts';

function stagedImport(data: DeviceRegistrationData, importId: string): NewEvent {
  return { type: 'DeviceRegistrationImported', data: { registration: data, importId, line: 2, staged: true } as unknown as JsonValue };
}

function stagedUpdate(endpoint: string, changes: Partial<DeviceRegistrationData>, importId: string): NewEvent {
  return { type: 'DeviceRegistrationUpdated', data: { endpoint, changes, importId, line: 2, staged: true } as unknown as JsonValue };
}

describe('devices and device history projections of staged imports', () => {
  let bed: ProjectionTestBed;
  let devices: DeviceQueries;
  let history: DeviceHistoryQueries;

  beforeEach(async () => {
    bed = await openProjectionTestBed('lwm2m-hub-devices-projection-', [devicesProjection, deviceHistoryProjection]);
    devices = new DeviceQueries(bed.database.db);
    history = new DeviceHistoryQueries(bed.database.db);
  });

  afterEach(() => bed.close());

  async function caughtUp(): Promise<void> {
    await bed.projector.waitFor(await bed.store.headPosition());
  }

  /** Stages each event on its device stream, as an import does; returns the positions. */
  async function stage(events: readonly [string, NewEvent][]): Promise<{ firstPosition: number; lastPosition: number }> {
    const positions: number[] = [];
    for (const [endpoint, event] of events) positions.push((await bed.store.appendToStream(deviceStream(endpoint), [event], 'any')).position);
    return { firstPosition: Math.min(...positions), lastPosition: Math.max(...positions) };
  }

  it('shows no device of an import before its commit, and all of them at once after it', async () => {
    const positions = await stage([
      ['a', stagedImport(registration('a'), 'import-a')],
      ['b', stagedImport(registration('b'), 'import-a')],
    ]);
    await caughtUp();
    expect(devices.page({}, 10, undefined).totalCount).toBe(0);
    expect(history.page('a', 10, 0).totalCount).toBe(0);
    await commitDeviceImport(bed.store, { importId: 'import-a', ...positions, imported: 2, updated: 0 }, {});
    await caughtUp();
    expect(devices.page({}, 10, undefined).devices.map((device) => [device.endpoint, device.status])).toEqual([
      ['a', 'active'],
      ['b', 'active'],
    ]);
    // The history has each event at its own position, once its import is committed.
    expect(history.page('b', 10, 0).entries.map((entry) => [entry.type, entry.position])).toEqual([['DeviceRegistrationImported', positions.lastPosition]]);
  });

  it('keeps a device as it was while an update is staged, and never applies an import that is not committed', async () => {
    await commitDeviceImport(bed.store, { importId: 'import-a', ...(await stage([['a', stagedImport(registration('a'), 'import-a')]])), imported: 1, updated: 0 }, {});
    await stage([
      ['a', stagedUpdate('a', { name: 'renamed by a dead import' }, 'import-dead')],
      ['b', stagedImport(registration('b'), 'import-dead')],
    ]);
    const positions = await stage([['a', stagedUpdate('a', { name: 'renamed' }, 'import-c')]]);
    await caughtUp();
    expect(devices.get('a')?.name).toBe('a');
    await commitDeviceImport(bed.store, { importId: 'import-c', ...positions, imported: 0, updated: 1 }, {});
    await caughtUp();
    expect(devices.get('a')?.name).toBe('renamed');
    expect(devices.get('b')).toBeUndefined();
  });
});
