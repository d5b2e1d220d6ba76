/**
 * `lwm2m-hub import-devices`, `import-protocol`, `token create` and `shell`, run as real processes
 * beside a running service (they go through its GraphQL API with the admin token of the data
 * directory, since the embedded store is the service's process's) and with the service stopped (they
 * open the store themselves); file arguments relative to where the operator ran the command.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { runCli } from './CliProcess.ts';
import { postGraphQL } from './GraphQLTestClient.ts';
import { startTestService } from './TestService.ts';

const fixtures = resolve(import.meta.dirname, '../fixtures');
const projectFolder = resolve(import.meta.dirname, '../..');
/** Starting the whole service on a busy machine takes longer than vitest's default 10 s for hooks. */
const hookTimeoutMs = 60_000;
/** As `npm run cli` runs the command: in the project folder, with where the operator was in INIT_CWD. */
const npmRunFrom = (directory: string) => ({ npm_lifecycle_event: 'cli', INIT_CWD: directory, LWM2M_HUB_TOKEN: '' });

let dir: string;
let service: RunningService | undefined;
let adminToken: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-cli-beside-'));
  service = await startTestService(dir);
  adminToken = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
}, hookTimeoutMs);

afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
}, hookTimeoutMs);

function graphqlUrl(): string {
  if (!service) throw new Error('the service is not running');
  return service.graphql.url;
}

describe('beside a running service', () => {
  it('import-devices sends a file named relative to where npm was run to the service, which has the devices at once', async () => {
    const run = await runCli(['import-devices', 'devices-nosec.csv', '--data-dir', dir], npmRunFrom(fixtures), projectFolder);
    expect(run.stderr).not.toContain('is open in process');
    expect(run.stdout).toMatch(/^import through the running service \(all-or-nothing\): 3 imported, 0 updated, 0 unchanged, 0 problems in/);
    expect(run.code).toBe(0);
    const devices = await postGraphQL(graphqlUrl(), adminToken, '{ devices { totalCount } }');
    expect(devices.data).toEqual({ devices: { totalCount: 3 } });
  });

  it('import-devices reports every bad row with its line and exits 1, nothing imported', async () => {
    const run = await runCli(['import-devices', join(fixtures, 'devices-bad.csv'), '--data-dir', dir], { LWM2M_HUB_TOKEN: '' });
    expect(run.stdout).toMatch(/through the running service.*problems? in/);
    expect(run.stdout).toContain('nothing was imported: fix these rows');
    expect(run.stdout).toMatch(/^line \d+, column \d+ \(/m);
    expect(run.code).toBe(1);
  });

  it('import-protocol uploads the DDF through the service', async () => {
    const run = await runCli(['import-protocol', join('ddf', '3303.xml'), '--data-dir', dir], npmRunFrom(fixtures), projectFolder);
    expect(run).toMatchObject({ code: 0, stdout: 'object 3303 (Temperature) version 1.1: imported\n' });
    const protocols = await postGraphQL(graphqlUrl(), adminToken, '{ deviceProtocol(objectId: 3303) { objectId } }');
    expect(protocols.data).toEqual({ deviceProtocol: { objectId: 3303 } });
  });

  it('token create has the service create the token, which the service accepts at once', async () => {
    const run = await runCli(['token', 'create', '--role', 'viewer', '--data-dir', dir], { LWM2M_HUB_TOKEN: '' });
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    expect(token).toMatch(/^lwm2mhub_[A-Za-z0-9_-]{43}$/);
    const me = await postGraphQL(graphqlUrl(), token, '{ me { role } }');
    expect(me.data).toEqual({ me: { role: 'VIEWER' } });
    // A viewer may not create tokens: one line with the reason, no stack.
    const refused = await runCli(['token', 'create', '--role', 'admin', '--data-dir', dir], { LWM2M_HUB_TOKEN: token });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^lwm2m-hub token create: FORBIDDEN: [^\n]+\n$/);
  });

  it('shell on a device that is not registered queues the commands at once and says how to follow them', async () => {
    const run = await runCli(['shell', 'lwm2m-nosec-0001', 'read /3/0/0', 'read /3/0/1', '--data-dir', dir], { LWM2M_HUB_TOKEN: '' });
    expect(run.stdout).toBe('[1] read /3/0/0: PENDING\n[2] read /3/0/1: PENDING\n');
    expect(run.stderr).toBe('lwm2m-hub shell: lwm2m-nosec-0001 is not registered now: the 2 commands are queued and run when it registers; follow them with: lwm2m-hub shell lwm2m-nosec-0001 --history\n');
    expect(run.code).toBe(0);
    const history = await runCli(['shell', 'lwm2m-nosec-0001', '--history', '--data-dir', dir], { LWM2M_HUB_TOKEN: '' });
    expect(history).toMatchObject({ code: 0, stdout: '[1] read /3/0/0: PENDING\n[2] read /3/0/1: PENDING\n' });
  });
});

describe('with the service stopped', () => {
  it('import-devices opens the store itself again, and the service has the devices at its next start', async () => {
    await service?.close();
    service = undefined;
    expect(existsSync(join(dir, 'service.json'))).toBe(false);
    const run = await runCli(['import-devices', 'devices-psk.csv', '--data-dir', dir], npmRunFrom(fixtures), projectFolder);
    expect(run.stdout).toMatch(/^import [0-9a-f-]{36} \(all-or-nothing\): 3 imported/);
    expect(run.code).toBe(0);
    service = await startTestService(dir);
    const devices = await postGraphQL(graphqlUrl(), adminToken, '{ devices { totalCount } }');
    expect(devices.data).toEqual({ devices: { totalCount: 6 } });
  }, hookTimeoutMs);

  it('a file that cannot be read is a usage error (exit 2), named as the operator gave it, relative to where npm was run', async () => {
    const run = await runCli(['import-devices', 'no-such.csv', '--data-dir', dir], npmRunFrom(fixtures), projectFolder);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`import-devices: cannot read ${join(fixtures, 'no-such.csv')}: ENOENT: no such file or directory, access '${join(fixtures, 'no-such.csv')}'\n`);
  });
});

describe('npx lwm2m-hub', () => {
  it('runs the TypeScript command line from the project folder, whatever node the machine has', async () => {
    const run = promisify(execFile);
    // npx puts node_modules/.bin (Node 24) first on PATH, so the `#!/usr/bin/env node` line finds it.
    const { stdout } = await run('npx', ['--no-install', 'lwm2m-hub', 'import-devices', '--help'], {
      cwd: projectFolder,
      env: { ...process.env, PATH: `/usr/bin:/bin:${dirname(process.execPath)}` },
    });
    expect(stdout).toContain('Usage: lwm2m-hub import-devices FILE [--valid-only]');
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('Exit codes: 0 done; 1 the work failed');
  });
});

describe('lwm2m-hub backup', () => {
  it('copies the store of the running service consistently; a service started on the copy has the same devices', async () => {
    const target = join(dir, 'backups', 'first');
    const run = await runCli(['backup', target, '--data-dir', dir]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/: events\.sqlite, master\.key, master\.key\.id, admin\.token \(\d+ events\)/);
    expect(run.code).toBe(0);
    const copy = await startTestService(target);
    try {
      const devices = await postGraphQL(copy.graphql.url, adminToken, '{ devices { totalCount } }');
      expect(devices.data).toEqual({ devices: { totalCount: 6 } });
    } finally {
      await copy.close();
    }
    const again = await runCli(['backup', target, '--data-dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists and is not empty');
  }, hookTimeoutMs);
});
