/** The firmware read model on a real SQLite database: firmwares added and removed, an update's progress and outcome. */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import type { FirmwareRepositoryEvent } from '../../../src/domain/firmware/FirmwareRepositoryEvents.ts';
import type { FirmwareUpdateEvent } from '../../../src/domain/firmware/FirmwareUpdateEvents.ts';
import { firmwareProjection } from '../../../src/projections/firmware/FirmwareProjection.ts';
import { FirmwareQueries } from '../../../src/projections/firmware/FirmwareQueries.ts';

const at = '2026-11-25T08:00:00.000Z';
const later = '2026-11-25T08:01:00.000Z';

function project(events: ReadonlyArray<FirmwareRepositoryEvent | FirmwareUpdateEvent>): FirmwareQueries {
  const db = new DatabaseSync(':memory:');
  firmwareProjection.create(db);
  events.forEach((event, index) => {
    const recorded = { stream: 'firmware-x', revision: index, position: index + 1, type: event.type, data: event.data, metadata: {}, recordedAt: new Date(at) } as unknown as RecordedEvent;
    firmwareProjection.apply(db, recorded);
  });
  return new FirmwareQueries(db);
}

const stored: FirmwareRepositoryEvent = { type: 'FirmwareAdded', data: { firmwareId: 'f1', name: 'app', version: '2.0', source: { kind: 'stored', fileName: 'f1.bin', sha256: 'a'.repeat(64), size: 10 }, addedBy: 'user:t', addedAt: at } };
const external: FirmwareRepositoryEvent = { type: 'FirmwareAdded', data: { firmwareId: 'f2', name: 'app', version: '3.0', source: { kind: 'external', url: 'coap://h/a.bin' }, addedBy: 'user:t', addedAt: at } };
const requested: FirmwareUpdateEvent = {
  type: 'FirmwareUpdateRequested',
  data: { updateId: 'u1', endpoint: 'dev', firmwareId: 'f1', name: 'app', version: '2.0', method: 'push', packageUri: null, requestedBy: 'user:t', requestedAt: at, deadline: later },
};

describe('firmware read model', () => {
  it('lists the firmwares in the order they were added, without the removed ones', () => {
    const queries = project([stored, external, { type: 'FirmwareRemoved', data: { firmwareId: 'f1', removedBy: 'user:t', removedAt: at } }]);
    expect(queries.firmwares()).toEqual([{ firmwareId: 'f2', name: 'app', version: '3.0', kind: 'external', sha256: null, size: null, url: 'coap://h/a.bin', addedBy: 'user:t', addedAt: new Date(at) }]);
    expect(project([stored]).firmware('f1')).toMatchObject({ kind: 'stored', sha256: 'a'.repeat(64), size: 10, url: null });
  });

  it('follows an update through its steps to its outcome', () => {
    const running = project([requested, { type: 'FirmwareUpdateProgressed', data: { updateId: 'u1', step: 'observing', at } }, { type: 'FirmwareUpdateProgressed', data: { updateId: 'u1', step: 'delivering-package', at: later } }]);
    expect(running.update('u1')).toMatchObject({ status: 'running', step: 'delivering-package', steps: [{ step: 'observing', at: new Date(at) }, { step: 'delivering-package', at: new Date(later) }], endedAt: null });
    const failed = project([requested, { type: 'FirmwareUpdateFailed', data: { updateId: 'u1', reason: 'integrity check failure for new downloaded package', updateResult: 5, at: later } }]);
    expect(failed.updates('dev')).toMatchObject([{ updateId: 'u1', status: 'failed', reason: 'integrity check failure for new downloaded package', updateResult: 5, endedAt: new Date(later) }]);
    const succeeded = project([requested, { type: 'FirmwareUpdateSucceeded', data: { updateId: 'u1', version: '2.0', reportedVersion: 'v2.0-rc3', at: later } }]);
    expect(succeeded.update('u1')).toMatchObject({ status: 'succeeded', reason: null, version: '2.0', reportedVersion: 'v2.0-rc3' });
    expect(succeeded.updates('other')).toEqual([]);
    // Recorded before the reported version was kept: success then meant the device reported the label.
    const earlier = project([requested, { type: 'FirmwareUpdateSucceeded', data: { updateId: 'u1', version: '2.0', at: later } }]);
    expect(earlier.update('u1')).toMatchObject({ status: 'succeeded', reportedVersion: '2.0' });
    expect(project([requested]).update('u1')).toMatchObject({ status: 'running', reportedVersion: null });
  });
});
