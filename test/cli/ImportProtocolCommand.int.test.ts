import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import type { Config } from '../../src/adapters/config/Config.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { runImportProtocol } from '../../src/cli/ImportProtocolCommand.ts';
import { MAX_DDF_BYTES } from '../../src/domain/lwm2m/DdfParser.ts';
import { CapturedOutput } from './CapturedOutput.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/ddf/${name}`, import.meta.url));

describe('runImportProtocol', () => {
  let dir: string;
  let config: Config;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-cli-protocol-'));
    config = parseCommandLine(['--data-dir', dir], {}).config;
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput();
    const code = await runImportProtocol({ file, config, logger: silentLogger(), stdout, stderr });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  async function storedTypes(): Promise<string[]> {
    const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
    try {
      return (await store.readAll()).map((e) => `${e.stream.replace(/^import-.*/, 'import-<id>')} ${e.type}`);
    } finally {
      await store.close();
    }
  }

  it('imports a DDF file, and says so again without storing anything the second time', async () => {
    expect(await run(fixture('3303.xml'))).toEqual({ code: 0, stdout: 'object 3303 (Temperature) version 1.1: imported\n', stderr: '' });
    expect(await run(fixture('3303.xml'))).toMatchObject({ code: 0, stdout: 'object 3303 (Temperature) version 1.1: already there, unchanged\n' });
    expect(await storedTypes()).toEqual(['protocol-3303 DeviceProtocolVersionCreated', 'import-<id> DeviceProtocolImportCommitted']);
  });

  it('shows the control characters of an object name escaped, never sending them to the terminal', async () => {
    const file = join(dir, 'c1.xml');
    writeFileSync(file, readFileSync(fixture('3303.xml'), 'utf8').replace('<Name>Temperature</Name>', '<Name>Temp\u009b2J\u202eerature</Name>'));
    expect(await run(file)).toMatchObject({ code: 0, stdout: 'object 3303 (Temp\\u009b2J\\u202eerature) version 1.1: imported\n' });
  });

  it('refuses a malformed file with line and column, exit code 1, storing nothing', async () => {
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, readFileSync(fixture('3303.xml'), 'utf8').replace('<Item ID="5601">', '<Item ID="5700">'));
    const result = await run(bad);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not a valid DDF; nothing was imported\nline \d+, column \d+: .*5700/);
    expect(await storedTypes()).toEqual([]);
  });

  it('refuses another definition of a stored version with exit code 1', async () => {
    await run(fixture('3303.xml'));
    const changed = join(dir, 'changed.xml');
    writeFileSync(changed, readFileSync(fixture('3303.xml'), 'utf8').replace('<Name>Sensor Value</Name>', '<Name>Other</Name>'));
    const result = await run(changed);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('already has a device protocol version 1.1 with another definition');
  });

  it('refuses an oversized file before reading it, and exits 2 on a missing file', async () => {
    const big = join(dir, 'big.xml');
    writeFileSync(big, Buffer.alloc(MAX_DDF_BYTES + 1, 0x20));
    const oversized = await run(big);
    expect(oversized.code).toBe(1);
    expect(oversized.stderr).toContain(`a DDF may have at most ${MAX_DDF_BYTES}`);
    const missing = await run(join(dir, 'missing.xml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});
