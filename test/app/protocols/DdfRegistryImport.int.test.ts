/**
 * Every object definition of the OMA registry (`../shared/lwm2m-registry` beside the repository, as CI
 * clones it), its version history first, imports as device protocols: versions of one object side by
 * side, and no file of the folder contradicts another about the same version. Users of the project do
 * not have the registry: without it the test is skipped, and says so.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import { DeviceProtocolService } from '../../../src/app/protocols/DeviceProtocolService.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { ManualClock } from '../../support/ManualClock.ts';

const REGISTRY = fileURLToPath(new URL('../../../../shared/lwm2m-registry', import.meta.url));
const present = existsSync(path.join(REGISTRY, 'version_history'));
if (!present) process.stderr.write(`DdfRegistryImport: skipped, the OMA registry is not at ${REGISTRY}\n`);

/** Files of the registry that are not object definitions (see DdfRegistry.int.test.ts). */
const NOT_OBJECTS = new Set(['DDF.xml', 'LWM2M_senml_units.xml', 'Common.xml']);

describe.skipIf(!present)('importing the OMA registry', () => {
  it('imports every object definition of the registry and its version history', async () => {
    const store = new MemoryEventStore();
    const service = new DeviceProtocolService({ store, feed: new LogFeed({ store }), clock: new ManualClock(), logger: silentLogger() });
    const outcomes: string[] = [];
    let objects = 0;
    for (const folder of ['version_history', '.']) {
      for (const name of readdirSync(path.join(REGISTRY, folder)).filter((file) => file.endsWith('.xml') && !NOT_OBJECTS.has(file)).sort()) {
        try {
          const result = await service.importDdf(readFileSync(path.join(REGISTRY, folder, name), 'utf8'), { actor: 'system:test' });
          if (result.ok) objects += result.protocols.length;
          else outcomes.push(`${folder}/${name}: ${result.errors.map((error) => error.message).join('; ')}`);
        } catch (error) {
          outcomes.push(`${folder}/${name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    expect(outcomes).toEqual([]);
    expect(objects).toBeGreaterThan(700);
    const device = await service.protocolState(3);
    expect([...device.versions.keys()].sort()).toEqual(['1.0', '1.1', '1.2']);
  }, 60_000);
});
