/**
 * The committed `models/coreObjects.json` is what the generator makes of the OMA registry today, so it
 * cannot go stale unnoticed. Skipped, saying so, where the registry is absent (users of the project).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORE_OBJECTS_FILE, DEFAULT_REGISTRY, generateCoreObjects } from '../../../scripts/generate-object-models.ts';

const present = existsSync(DEFAULT_REGISTRY);
if (!present) process.stderr.write(`CoreObjectCatalog: skipped, the OMA registry is not at ${DEFAULT_REGISTRY}\n`);

describe.skipIf(!present)(`the core object models generated from ${DEFAULT_REGISTRY}`, () => {
  it('equal the committed models/coreObjects.json (run `npm run generate:objects` if not)', () => {
    expect(generateCoreObjects(DEFAULT_REGISTRY)).toBe(readFileSync(CORE_OBJECTS_FILE, 'utf8'));
  });
});
