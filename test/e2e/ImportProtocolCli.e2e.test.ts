import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';

const cli = resolve(import.meta.dirname, '../../src/cli.ts');
const ddf = fileURLToPath(new URL('../fixtures/ddf/3303.xml', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, LOG_LEVEL: 'error' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('lwm2m-hub import-protocol', () => {
  it('imports a DDF file into the data directory, listed in --help', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-import-protocol-'));
    dirs.push(dir);
    const result = await run(['import-protocol', ddf, '--data-dir', dir]);
    expect(result).toMatchObject({ code: 0, stdout: 'object 3303 (Temperature) version 1.1: imported\n' });
    const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
    try {
      expect((await store.readAll()).map((e) => `${e.stream} ${e.type}`)).toEqual(['protocol-3303 DeviceProtocolVersionCreated']);
    } finally {
      await store.close();
    }
    expect((await run(['--help'])).stdout).toContain('import-protocol FILE');
  });

  it('exits 2 without exactly one file', async () => {
    const result = await run(['import-protocol']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give exactly one DDF file');
  });
});
