/**
 * Every object definition of the OMA registry (`../shared/lwm2m-registry` beside the repository, as CI
 * clones it) parses, and a few values read from it are what the files say. Users of the project do not
 * have the registry: without it the test is skipped, and says so.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDdf, type DdfParseResult } from '../../../src/domain/lwm2m/DdfParser.ts';
import { findResource, type ObjectModel } from '../../../src/domain/lwm2m/ObjectModel.ts';

const REGISTRY = fileURLToPath(new URL('../../../../shared/lwm2m-registry', import.meta.url));
const present = existsSync(path.join(REGISTRY, 'version_history'));
if (!present) process.stderr.write(`DdfRegistry: skipped, the OMA registry is not at ${REGISTRY}\n`);

/** Files of the registry that are not object definitions, and why each is refused. */
const NOT_OBJECTS: Readonly<Record<string, string>> = {
  'DDF.xml': 'not-lwm2m', // the index of all objects
  'LWM2M_senml_units.xml': 'not-lwm2m', // additional SenML units
  'Common.xml': 'missing-element', // reusable resources: an <Object> without ObjectID
};

/** Every XML file of the registry, by path relative to it, parsed once for all the tests. */
let parsed: ReadonlyMap<string, DdfParseResult> | undefined;

function registryFiles(): ReadonlyMap<string, DdfParseResult> {
  parsed ??= new Map(
    ['.', 'version_history'].flatMap((folder) =>
      readdirSync(path.join(REGISTRY, folder))
        .filter((name) => name.endsWith('.xml'))
        .map((name): [string, DdfParseResult] => {
          const relative = path.join(folder, name);
          return [relative, parseDdf(readFileSync(path.join(REGISTRY, relative), 'utf8'))];
        }),
    ),
  );
  return parsed;
}

function parseFile(relative: string): DdfParseResult {
  const result = registryFiles().get(path.normalize(relative));
  if (result === undefined) throw new Error(`${relative} is not in the registry`);
  return result;
}

function onlyObject(relative: string): ObjectModel {
  const result = parseFile(relative);
  if (!result.ok || result.objects.length !== 1 || result.objects[0] === undefined) throw new Error(`${relative} does not hold one object`);
  return result.objects[0];
}

describe.skipIf(!present)(`the OMA registry at ${REGISTRY}`, () => {
  it('parses every object definition of the registry and its version history', () => {
    const files = [...registryFiles()].filter(([file]) => !(file in NOT_OBJECTS));
    expect(files.length).toBeGreaterThan(700);
    const refused = files.flatMap(([file, result]) => (result.ok ? [] : [`${file}: ${result.errors.map((error) => error.message).join('; ')}`]));
    expect(refused).toEqual([]);
  });

  it.each(Object.entries(NOT_OBJECTS))('refuses %s, which is not an object definition', (file, code) => {
    const result = parseFile(file);
    expect(result.ok ? [] : result.errors.map((error) => error.code)).toContain(code);
  });

  it('reads the temperature sensor value as a readable, single, mandatory Float', () => {
    const temperature = onlyObject('3303.xml');
    expect(temperature).toMatchObject({ id: 3303, name: 'Temperature', version: '1.1', urn: 'urn:oma:lwm2m:ext:3303:1.1', multiple: true });
    expect(findResource(temperature, 5700)).toMatchObject({ name: 'Sensor Value', type: 'float', operations: 'R', multiple: false, mandatory: true });
  });

  it('reads the device error code as a multiple Integer, and reboot as executable', () => {
    const device = onlyObject('3.xml');
    expect(findResource(device, 11)).toMatchObject({ name: 'Error Code', type: 'integer', multiple: true, operations: 'R' });
    expect(findResource(device, 4)).toMatchObject({ name: 'Reboot', type: 'none', operations: 'E' });
    expect(findResource(device, 9)).toMatchObject({ name: 'Battery Level', units: '/100', rangeEnumeration: '0..100' });
  });

  it('reads the security public key as Opaque, in every version of object 0', () => {
    for (const file of ['0.xml', 'version_history/0-1_0.xml', 'version_history/0-1_1.xml']) {
      expect(findResource(onlyObject(file), 3)).toMatchObject({ name: 'Public Key or Identity', type: 'opaque' });
    }
  });

  it('reads Unsigned Integer, Objlnk and Corelnk resources', () => {
    const server = onlyObject('1.xml');
    expect(findResource(server, 13)).toMatchObject({ name: 'Registration Priority Order', type: 'unsigned' });
    expect(findResource(server, 10)).toMatchObject({ name: 'APN Link', type: 'objlnk', operations: 'RW' });
    const types = [...registryFiles().values()].flatMap((result) =>
      result.ok ? result.objects.flatMap((object) => object.resources.map((resource) => resource.type)) : [],
    );
    expect(new Set(types)).toEqual(new Set(['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk', 'corelnk', 'none']));
  });

  it('defaults the versions of a schema 1.0 file that has none', () => {
    expect(onlyObject('version_history/0-1_0.xml')).toMatchObject({ id: 0, version: '1.0', lwm2mVersion: '1.0', urn: 'urn:oma:lwm2m:oma:0' });
    expect(onlyObject('version_history/4-1_1.xml')).toMatchObject({ id: 4, version: '1.1', lwm2mVersion: '1.0' });
  });

  it('keeps the markup of a description written in CDATA', () => {
    const descriptions = onlyObject('3454.xml').resources.map((resource) => resource.description);
    expect(descriptions.some((description) => description.includes('<time>,<sensor #1>,<sensor #2>'))).toBe(true);
  });
});
