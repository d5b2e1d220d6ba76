/**
 * The example GraphQL operations under examples/graphql (which the explorer offers) are valid against
 * schema.graphql, and their variables are JSON; the example CSV files import without a problem.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schemaFile } from '../../src/graphql/ExecutableSchema.ts';
import { DeviceImportService } from '../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../src/adapters/csv/DeviceCsvReader.ts';
import { MemoryEventStore } from '../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { exampleVariables } from '../../console/src/explorer/ExampleOperations.ts';
import { randomBytes } from 'node:crypto';
import { AesGcmSecretSealer } from '../../src/adapters/crypto/AesGcmSecretSealer.ts';

const examples = resolve(import.meta.dirname, '../../examples');
const operations = readdirSync(join(examples, 'graphql')).filter((name) => name.endsWith('.graphql'));

describe('example GraphQL operations', () => {
  const schema = buildSchema(readFileSync(schemaFile, 'utf8'));

  it('cover listing devices, reading, observing and subscribing to values, importing a CSV and uploading a protocol', () => {
    expect(operations.sort()).toEqual(['import-devices.graphql', 'list-devices.graphql', 'observe-resource.graphql', 'read-resource.graphql', 'subscribe-resource-values.graphql', 'upload-protocol.graphql']);
  });

  it.each(operations)('%s is valid against the schema, with JSON variables', (name) => {
    const text = readFileSync(join(examples, 'graphql', name), 'utf8');
    expect(validate(schema, parse(text))).toEqual([]);
    expect(exampleVariables(text)).toEqual(expect.any(Object));
  });
});

describe('example CSV files', () => {
  it.each(['devices-nosec.csv', 'devices-psk.csv'])('%s imports without a problem', async (name) => {
    const service = new DeviceImportService({ readCsv: readDeviceCsv, store: new MemoryEventStore(), sealer: new AesGcmSecretSealer(randomBytes(32)), logger: silentLogger() });
    const report = await service.importDevices(readFileSync(join(examples, name), 'utf8'), { actor: 'test', correlationId: 'examples' });
    expect(report.errors).toEqual([]);
    expect(report.imported).toBe(1);
  });
});
