/**
 * Generates `src/domain/lwm2m/models/coreObjects.json`, the object models the service ships: the core
 * OMA objects 0 to 7 and the IPSO objects 3300 to 3350, every version the OMA registry holds. Users of
 * the project do not have the registry, so the result is committed; a test regenerates it and compares.
 *
 *   node scripts/generate-object-models.ts [registry-folder]   (default: ../shared/lwm2m-registry)
 *
 * Descriptions are cut to their first sentence to keep the file small; everything the codecs and the
 * shell need (names, types, operations, multiplicity, mandatory, units, ranges) is kept whole.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDdf } from '../src/domain/lwm2m/DdfParser.ts';
import { compareObjectVersions, type ObjectModel } from '../src/domain/lwm2m/ObjectModel.ts';
import { objectModelToJson } from '../src/domain/lwm2m/ObjectModelJson.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
export const DEFAULT_REGISTRY = path.resolve(REPO_ROOT, '..', 'shared', 'lwm2m-registry');
export const CORE_OBJECTS_FILE = path.join(REPO_ROOT, 'src', 'domain', 'lwm2m', 'models', 'coreObjects.json');

const MAX_DESCRIPTION = 120;
/** The registry names files `{id}.xml` (current version) and `version_history/{id}-{major}_{minor}.xml`. */
const FILE_NAME = /^(\d+)(?:-\d+_\d+)?\.xml$/;

export function isCoreObject(id: number): boolean {
  return (id >= 0 && id <= 7) || (id >= 3300 && id <= 3350);
}

/** The text of `coreObjects.json` generated from a registry folder; throws if a core object's DDF is refused. */
export function generateCoreObjects(registry: string): string {
  const byVersion = new Map<string, ObjectModel>();
  // The current files come first, so that they win over an identical version in version_history.
  for (const folder of [registry, path.join(registry, 'version_history')]) {
    for (const file of coreObjectFiles(folder)) {
      for (const model of parseFile(file)) {
        const key = `${model.id}@${model.version}`;
        if (isCoreObject(model.id) && !byVersion.has(key)) byVersion.set(key, compact(model));
      }
    }
  }
  const models = [...byVersion.values()].sort((a, b) => a.id - b.id || compareObjectVersions(a.version, b.version));
  return formatModels(models);
}

function coreObjectFiles(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => {
      const match = FILE_NAME.exec(name);
      return match !== null && isCoreObject(Number(match[1]));
    })
    .sort()
    .map((name) => path.join(folder, name));
}

function parseFile(file: string): readonly ObjectModel[] {
  const result = parseDdf(readFileSync(file, 'utf8'));
  if (!result.ok) throw new Error(`${file} is refused: ${result.errors.map((error) => error.message).join('; ')}`);
  return result.objects;
}

function compact(model: ObjectModel): ObjectModel {
  return {
    ...model,
    description: firstSentence(model.description),
    resources: model.resources.map((resource) => ({ ...resource, description: firstSentence(resource.description) })),
  };
}

export function firstSentence(description: string): string {
  const flat = description.replace(/\s+/g, ' ').trim();
  const end = flat.search(/[.!?](?:\s|$)/);
  const sentence = end === -1 ? flat : flat.slice(0, end + 1);
  return sentence.length <= MAX_DESCRIPTION ? sentence : `${sentence.slice(0, MAX_DESCRIPTION - 1).trimEnd()}…`;
}

/** One object header and one resource per line: small, and readable in a diff. */
function formatModels(models: readonly ObjectModel[]): string {
  const objects = models.map((model) => {
    const { resources, ...header } = objectModelToJson(model);
    const lines = Array.isArray(resources) ? resources.map((resource) => `    ${JSON.stringify(resource)}`) : [];
    return `  ${JSON.stringify(header).slice(0, -1)},"resources":[\n${lines.join(',\n')}\n  ]}`;
  });
  return `[\n${objects.join(',\n')}\n]\n`;
}

function main(args: readonly string[]): void {
  const registry = path.resolve(args[0] ?? DEFAULT_REGISTRY);
  const text = generateCoreObjects(registry);
  writeFileSync(CORE_OBJECTS_FILE, text);
  process.stdout.write(`Wrote ${path.relative(process.cwd(), CORE_OBJECTS_FILE)} (${text.length} bytes) from ${registry}\n`);
}

if (import.meta.main) main(process.argv.slice(2));
