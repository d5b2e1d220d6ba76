import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import type { Config } from '../../src/adapters/config/Config.ts';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { deviceStreamPrefix } from '../../src/domain/devices/DeviceEvents.ts';
import { progressBar, runImportDevices } from '../../src/cli/ImportDevicesCommand.ts';
import { CapturedOutput } from './CapturedOutput.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe('runImportDevices', () => {
  let dir: string;
  let config: Config;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-cli-import-'));
    config = parseCommandLine(['--data-dir', dir], {}).config;
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(file: string, validOnly = false, tty = false): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new CapturedOutput();
    const stderr = new CapturedOutput(tty);
    const code = await runImportDevices({ file, config, validOnly, logger: silentLogger(), stdout, stderr, env: {} });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  /** The device streams' events (an import that appends also commits them on its own stream). */
  async function eventCount(): Promise<number> {
    const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
    try {
      return (await store.readAll({ filter: { streamPrefixes: [deviceStreamPrefix] } })).length;
    } finally {
      await store.close();
    }
  }

  it('imports a file into the data directory\'s store and exits 0; a second run changes nothing', async () => {
    const first = await run(fixture('devices-psk.csv'), false, true);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/\(all-or-nothing\): 3 imported, 0 updated, 0 unchanged, 0 problems in/);
    expect(first.stderr).toContain('importing [##############################] 100% 3/3 rows');
    const second = await run(fixture('devices-psk.csv'));
    expect(second.stdout).toMatch(/0 imported, 0 updated, 3 unchanged/);
    expect(await eventCount()).toBe(3);
  });

  it('lists the bad rows, imports nothing and exits 1', async () => {
    const { code, stdout } = await run(fixture('devices-bad.csv'));
    expect(code).toBe(1);
    expect(stdout).toContain('nothing was imported');
    expect(stdout).toContain('line 3, column 7 (securityMode): "DTLS" is not a supported security mode (NO_SEC, PSK, X509 or RPK)');
    expect(stdout).toContain('line 12, column 5 (endpoint id): the endpoint id is required');
    expect(await eventCount()).toBe(0);
  });

  it('imports the valid rows with --valid-only and still exits 1', async () => {
    const { code, stdout } = await run(fixture('devices-bad.csv'), true);
    expect(code).toBe(1);
    expect(stdout).toMatch(/\(valid-rows-only\): 2 imported/);
    expect(await eventCount()).toBe(2);
  });

  it('shows the control characters of a file escaped, never sending them to the terminal', async () => {
    const file = join(dir, 'escapes.csv');
    writeFileSync(file, 'endpoint id,securityMode,\u001b]0;owned\u0007\u001b[2J\u202enote\nd-1,NO_SEC,x\n');
    const { code, stdout } = await run(file);
    expect(code).toBe(1);
    expect(stdout).toContain('unknown column "\\u001b]0;owned\\u0007\\u001b[2J\\u202enote"');
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/u);
  });

  it('names the line and column of bytes that are not UTF-8', async () => {
    const file = join(dir, 'latin1.csv');
    writeFileSync(file, Buffer.concat([Buffer.from('endpoint id;securityMode\nd-1;NO_SEC\nd-'), Buffer.from([0xe9]), Buffer.from(';NO_SEC\n')]));
    const { code, stdout } = await run(file, true);
    expect(code).toBe(1);
    expect(stdout).toContain('line 3, column 1 (endpoint id): the file is not UTF-8: byte e9 is not a UTF-8 character (save the file as UTF-8)');
  });

  it('exits 2 when the file cannot be read', async () => {
    const { code, stderr } = await run(join(dir, 'missing.csv'));
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot read .*missing\.csv/);
  });
});

describe('progressBar', () => {
  it('draws the share of rows imported', () => {
    expect(progressBar({ phase: 'importing', rows: 50_000, total: 100_000 })).toBe(`importing [${'#'.repeat(15)}${'-'.repeat(15)}]  50% 50,000/100,000 rows`);
    expect(progressBar({ phase: 'reading', rows: 1234, total: null })).toBe('reading and validating: 1,234 rows');
  });
});
