import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startServe } from './CliProcess.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('lwm2m-hub command line', () => {
  it('lists every flag and environment variable in --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const text of ['serve', '--data-dir', 'LWM2M_HUB_DATA_DIR', '--eventstore', 'EVENTSTORE_URL', '--http-port', '--coap-port']) {
      expect(stdout).toContain(text);
    }
  });

  it('refuses an unknown command and a bad flag with exit code 2 and a reason', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badPort = await runCli(['serve', '--http-port', 'x']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--http-port: "x" is not a port');
  });

  it('import-devices imports a guide CSV with progress, and refuses a bad file with line and column', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-import-'));
    dirs.push(dataDir);
    const fixtures = resolve(import.meta.dirname, '../fixtures');
    const good = await runCli(['import-devices', join(fixtures, 'devices-psk.csv'), '--data-dir', dataDir]);
    expect(good.code).toBe(0);
    expect(good.stdout + good.stderr).toMatch(/imported/);
    const again = await runCli(['import-devices', join(fixtures, 'devices-psk.csv'), '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/unchanged/);
    const bad = await runCli(['import-devices', join(fixtures, 'devices-bad.csv'), '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toMatch(/line \d+/);
    const missing = await runCli(['import-devices', '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('give exactly one CSV file');
  });

  it('serve opens the data directory, logs readiness, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-serve-'));
    dirs.push(dataDir);
    const serve = await startServe(dataDir);
    // A command that opens the embedded store beside the running service is refused in one line,
    // naming it, instead of breaking the service's next append. The commands go through the running
    // service's API when its service file names it; without that file (a service of an older version,
    // the file removed) the store's lock is what stops them.
    rmSync(join(dataDir, 'service.json'));
    const beside = await runCli(['replay', '--data-dir', dataDir]);
    expect(beside.code).toBe(1);
    expect(beside.stderr).toBe(`lwm2m-hub replay: the event store ${join(dataDir, 'events.sqlite')} is open in process ${serve.child.pid} (a running lwm2m-hub serve?): stop it first, or use the running service's GraphQL API\n`);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(existsSync(join(dataDir, 'events.sqlite'))).toBe(true);
    expect(existsSync(join(dataDir, 'master.key'))).toBe(true);
    // The first start writes an admin token file and says where it is, never what it is.
    expect(serve.stderr()).not.toMatch(/"token":"[A-Za-z0-9_-]{20,}"/);
    expect(serve.stderr()).toContain('"msg":"stopped"');
  });
});
