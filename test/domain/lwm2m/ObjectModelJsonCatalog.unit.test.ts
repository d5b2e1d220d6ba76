import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResourceModel } from '../../../src/domain/lwm2m/ObjectModel.ts';
import { objectModelFromJson, objectModelToJson } from '../../../src/domain/lwm2m/ObjectModelJson.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';

const batteryLevel: ResourceModel = {
  id: 9,
  name: 'Battery Level',
  operations: 'R',
  multiple: false,
  mandatory: false,
  type: 'integer',
  rangeEnumeration: '0..100',
  units: '%',
  description: '',
};

const device = objectModelToJson({
  id: 3,
  name: 'Device',
  description: 'd',
  version: '1.1',
  lwm2mVersion: '1.1',
  urn: 'urn:oma:lwm2m:oma:3:1.1',
  multiple: false,
  mandatory: true,
  resources: [batteryLevel],
});

function withResource(changes: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { ...device, resources: [{ ...batteryLevel, ...changes }] };
}

describe('object models as JSON, the form of the shipped catalog', () => {
  it('read back every model of the core catalog through JSON text', () => {
    const core = coreObjectCatalog();
    for (const id of core.objectIds()) {
      for (const model of core.versions(id)) {
        expect(objectModelFromJson(JSON.parse(JSON.stringify(objectModelToJson(model))))).toEqual({ ok: true, model });
      }
    }
  });

  it.each([
    [null, 'object model: not a JSON object'],
    [[], 'object model: not a JSON object'],
    [{ ...device, resources: 'none' }, 'object model: "resources" is not an array'],
    [{ ...device, id: 70000 }, 'object model: "id" is not an integer from 0 to 65535'],
    [{ ...device, id: 1.5 }, 'object model: "id" is not an integer from 0 to 65535'],
    [{ ...device, multiple: 'yes' }, 'object 3: "multiple" is not a boolean'],
    [{ ...device, name: 7 }, 'object 3: "name" is not a string'],
    [{ ...device, resources: [null] }, 'object 3, resources[0]: not a JSON object'],
    [withResource({ type: 'double' }), 'object 3, resources[0]: "type" is "double"'],
    [withResource({ operations: 'RWE' }), 'object 3, resources[0]: "operations" is "RWE"'],
    [withResource({ units: undefined }), 'object 3, resources[0]: "units" is not a string'],
  ])('refuse a malformed model (%#), saying where', (json, error) => {
    expect(objectModelFromJson(json)).toEqual({ ok: false, error });
  });

  it('never throw on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(objectModelFromJson(value).ok).toBe(false);
      }),
    );
  });
});
