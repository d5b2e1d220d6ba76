/**
 * Every GraphQL document of the console is valid against schema.graphql: a field or argument the
 * schema renames or removes fails here, at test time, rather than in an operator's browser.
 */
import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as deviceDocuments from '../../console/src/api/DeviceDocuments.ts';
import * as firmwareDocuments from '../../console/src/api/FirmwareDocuments.ts';
import * as protocolDocuments from '../../console/src/api/ProtocolDocuments.ts';
import * as sessionDocuments from '../../console/src/api/SessionDocuments.ts';
import * as shellDocuments from '../../console/src/api/ShellDocuments.ts';
import * as telemetryDocuments from '../../console/src/api/TelemetryDocuments.ts';

const schema = buildSchema(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));

/** The documents a module exports, directly or in a record of documents, by name. */
function documentsOf(module: Readonly<Record<string, unknown>>): Array<[string, string]> {
  return Object.entries(module).flatMap(([name, value]): Array<[string, string]> => {
    if (typeof value !== 'object' || value === null) return [];
    if ('source' in value && typeof value.source === 'string') return [[name, value.source]];
    return documentsOf(value as Record<string, unknown>).map(([inner, source]) => [`${name}.${inner}`, source]);
  });
}

const documents = [deviceDocuments, firmwareDocuments, protocolDocuments, sessionDocuments, shellDocuments, telemetryDocuments].flatMap((module) => documentsOf(module));

describe("the console's GraphQL documents", () => {
  it('are all found (one per query, mutation and subscription the console sends)', () => {
    expect(documents.length).toBeGreaterThan(40);
  });

  it.each(documents)('%s is valid against schema.graphql', (_name, source) => {
    expect(validate(schema, parse(source)).map((error) => error.message)).toEqual([]);
  });
});
