import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { runCli } from './CliProcess.ts';

const ddf = fileURLToPath(new URL('../fixtures/ddf/3303.xml', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('lwm2m-hub import-protocol', () => {
  it('imports a DDF file into the data directory, listed in --help', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-import-protocol-'));
    dirs.push(dir);
    const result = await runCli(['import-protocol', ddf, '--data-dir', dir], { LOG_LEVEL: 'error' });
    expect(result).toMatchObject({ code: 0, stdout: 'object 3303 (Temperature) version 1.1: imported\n' });
    const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
    try {
      // The version is staged on its stream, then the import commits it on a stream of its own.
      expect((await store.readAll()).map((e) => `${e.stream.replace(/^import-.*/, 'import-<id>')} ${e.type}`)).toEqual([
        'protocol-3303 DeviceProtocolVersionCreated',
        'import-<id> DeviceProtocolImportCommitted',
      ]);
    } finally {
      await store.close();
    }
    expect((await runCli(['--help'], { LOG_LEVEL: 'error' })).stdout).toContain('import-protocol FILE');
  });

  it('exits 2 without exactly one file', async () => {
    const result = await runCli(['import-protocol'], { LOG_LEVEL: 'error' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give exactly one DDF file');
  });
});
