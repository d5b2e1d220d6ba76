import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadYourWrites } from '../../../src/app/kernel/ReadYourWrites.ts';
import { deviceStream } from '../../../src/domain/devices/DeviceEvents.ts';
import { DeviceQueries } from '../../../src/projections/devices/DeviceQueries.ts';
import { devicesProjection } from '../../../src/projections/devices/DevicesProjection.ts';
import { imported, registration } from '../../projections/DeviceEventFixtures.ts';
import type { ProjectionTestBed } from '../../projections/ProjectionTestBed.ts';
import { openProjectionTestBed } from '../../projections/ProjectionTestBed.ts';

describe('read your writes', () => {
  let bed: ProjectionTestBed;
  let devices: DeviceQueries;
  let readYourWrites: ReadYourWrites;

  beforeEach(async () => {
    bed = await openProjectionTestBed('lwm2m-hub-read-your-writes-', [devicesProjection]);
    devices = new DeviceQueries(bed.database.db);
    readYourWrites = new ReadYourWrites({ readModels: bed.projector, log: bed.store });
  });

  afterEach(() => bed.close());

  it('answers once the read models hold the write at the position a service returned', async () => {
    const { position } = await bed.store.appendToStream(deviceStream('ryw-1'), [imported(registration('ryw-1'))], 'any');
    await readYourWrites.written(position);
    expect(devices.get('ryw-1')?.endpoint).toBe('ryw-1');
  });

  it('answers once the read models hold everything appended until now, whoever appended it', async () => {
    await bed.store.appendToStream(deviceStream('ryw-2'), [imported(registration('ryw-2'))], 'any');
    await bed.store.appendToStream(deviceStream('ryw-3'), [imported(registration('ryw-3'))], 'any');
    await readYourWrites.recorded();
    expect([devices.get('ryw-2')?.endpoint, devices.get('ryw-3')?.endpoint]).toEqual(['ryw-2', 'ryw-3']);
  });
});
