import { describe, expect, it } from 'vitest';
import { findResource, type ObjectModel, type ResourceModel } from '../../../src/domain/lwm2m/ObjectModel.ts';
import { coreObjectCatalog, StaticObjectModelCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';

function resource(id: number, name: string): ResourceModel {
  return {
    id,
    name,
    operations: 'R',
    multiple: false,
    mandatory: false,
    type: 'integer',
    rangeEnumeration: '',
    units: '',
    description: '',
  };
}

function model(id: number, version: string, resources: readonly ResourceModel[] = []): ObjectModel {
  return {
    id,
    name: `Object ${id}`,
    description: '',
    version,
    lwm2mVersion: '1.1',
    urn: `urn:oma:lwm2m:x:${id}:${version}`,
    multiple: true,
    mandatory: false,
    resources,
  };
}

describe('StaticObjectModelCatalog', () => {
  const catalog = new StaticObjectModelCatalog([model(10, '1.1'), model(10, '2.0'), model(10, '1.0'), model(20, '1.0')]);

  it('returns the exact version when asked for one it knows', () => {
    expect(catalog.object(10, '1.1')?.version).toBe('1.1');
    expect(catalog.object(10, '1.0')?.version).toBe('1.0');
  });

  it('returns the newest version when no version is given or the version is unknown', () => {
    expect(catalog.object(10)?.version).toBe('2.0');
    expect(catalog.object(10, '1.7')?.version).toBe('2.0');
    expect(catalog.object(20, '3.0')?.version).toBe('1.0');
  });

  it('orders versions numerically, not as text', () => {
    const versions = new StaticObjectModelCatalog([model(1, '10.0'), model(1, '9.1'), model(1, '1.10'), model(1, '1.2')]);
    expect(versions.versions(1).map((m) => m.version)).toEqual(['1.2', '1.10', '9.1', '10.0']);
    expect(versions.object(1)?.version).toBe('10.0');
  });

  it('knows nothing of an object it was not given', () => {
    expect(catalog.object(30)).toBeUndefined();
    expect(catalog.versions(30)).toEqual([]);
    expect(catalog.objectIds()).toEqual([10, 20]);
  });

  it('adds models in a new catalog, leaving the original unchanged', () => {
    const extended = catalog.withObjects([model(30, '1.0'), model(10, '2.1')]);
    expect(extended.object(30)?.id).toBe(30);
    expect(extended.object(10)?.version).toBe('2.1');
    expect(catalog.object(30)).toBeUndefined();
    expect(catalog.object(10)?.version).toBe('2.0');
  });

  it('replaces a model of the same id and version', () => {
    const replaced = catalog.withObjects([model(10, '1.1', [resource(7, 'New')])]);
    expect(replaced.versions(10).map((m) => m.version)).toEqual(['1.0', '1.1', '2.0']);
    expect(replaced.object(10, '1.1')?.resources.map((r) => r.name)).toEqual(['New']);
  });
});

describe('coreObjectCatalog', () => {
  const core = coreObjectCatalog();

  it('holds the core OMA objects 0 to 7 and the IPSO objects 3300 to 3350, nothing else', () => {
    const ids = core.objectIds();
    for (let id = 0; id <= 7; id++) expect(ids).toContain(id);
    expect(ids).toContain(3303);
    expect(ids.every((id) => id <= 7 || (id >= 3300 && id <= 3350))).toBe(true);
  });

  it('holds every version of the core objects', () => {
    expect(core.versions(3).map((m) => m.version)).toEqual(['1.0', '1.1', '1.2']);
    expect(core.versions(0).map((m) => m.version)).toEqual(['1.0', '1.1', '1.2']);
    expect(core.versions(3336).map((m) => m.version)).toEqual(['1.0', '1.1', '2.0']);
  });

  it('types the temperature sensor value as a readable single float', () => {
    const temperature = core.object(3303, '1.1');
    expect(temperature && findResource(temperature, 5700)).toMatchObject({ name: 'Sensor Value', type: 'float', operations: 'R', multiple: false, mandatory: true });
  });

  it('keeps units and ranges, and short descriptions', () => {
    const device = core.object(3, '1.0');
    expect(device && findResource(device, 9)).toMatchObject({ name: 'Battery Level', units: '%', rangeEnumeration: '0-100' });
    expect(device && findResource(device, 11)).toMatchObject({ name: 'Error Code', type: 'integer', multiple: true });
    expect(device && findResource(device, 4)).toMatchObject({ name: 'Reboot', operations: 'E', type: 'none' });
    for (const id of core.objectIds()) {
      for (const object of core.versions(id)) {
        expect(object.description.length).toBeLessThanOrEqual(120);
        for (const r of object.resources) expect(r.description.length).toBeLessThanOrEqual(120);
      }
    }
  });

  it('is one shared immutable catalog', () => {
    expect(coreObjectCatalog()).toBe(core);
  });
});
