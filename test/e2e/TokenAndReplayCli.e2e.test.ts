/**
 * `lwm2m-hub token create` and `lwm2m-hub replay`, run as real processes against the data directory
 * of a real service.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import type { RunningService } from '../../src/main.ts';
import { startService } from '../../src/main.ts';
import { postGraphQL } from './GraphQLTestClient.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
const nosecCsv = readFileSync(new URL('../fixtures/devices-nosec.csv', import.meta.url), 'utf8');

let dir: string;
const portFlags = ['--http-host', '127.0.0.1', '--http-port', '0', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'];

function start(): Promise<RunningService> {
  const { config } = parseCommandLine(['--data-dir', dir, ...portFlags], {});
  return startService(config, {}, silentLogger());
}

function lwm2mHub(...args: string[]) {
  return run(process.execPath, [cli, ...args, '--data-dir', dir, '--log-level', 'info'], { env: { ...process.env, LWM2M_HUB_MASTER_KEY: '' } });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('lwm2m-hub token create', () => {
  it('prints a new token once, which the service accepts with its role', async () => {
    // The service stopped: the embedded store is one process's (another process's appends are seen after a restart).
    const { stdout, stderr } = await lwm2mHub('token', 'create', '--role', 'viewer');
    const token = stdout.trim();
    expect(token).toMatch(/^lwm2mhub_[A-Za-z0-9_-]{43}$/);
    expect(stderr).not.toContain(token);
    const service = await start();
    try {
      const query = await postGraphQL(service.graphql.url, token, '{ devices { totalCount } }');
      expect(query.status).toBe(200);
      const mutation = await postGraphQL(service.graphql.url, token, 'mutation { rebuildReadModels { events } }');
      expect(mutation.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    } finally {
      await service.close();
    }
  });

  it('refuses an unknown role', async () => {
    await expect(lwm2mHub('token', 'create', '--role', 'root')).rejects.toMatchObject({ code: 2 });
  });
});

describe('lwm2m-hub replay', () => {
  it('rebuilds the read models from the log; the service then answers as before', async () => {
    const dump = '{ devices { edges { node { endpoint name status createdAt updatedAt history { edges { node { type actor correlationId data } } } } } } }';
    const adminToken = () => readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    let service = await start();
    let before: string;
    try {
      const imported = await postGraphQL(service.graphql.url, adminToken(), 'mutation($csv: String!) { importDeviceRegistrations(csv: $csv) { imported } }', { csv: nosecCsv });
      expect(imported.data?.['importDeviceRegistrations']).toEqual({ imported: 3 });
      before = (await postGraphQL(service.graphql.url, adminToken(), dump)).raw;
    } finally {
      await service.close();
    }
    // Make the read models wrong, so that only a rebuild can make them right again.
    const db = new DatabaseSync(join(dir, 'readmodels.sqlite'));
    db.exec("UPDATE devices SET name = 'corrupted'; DELETE FROM device_history");
    db.close();

    const { stdout, stderr } = await lwm2mHub('replay');
    expect(stdout).toMatch(/rebuilt \d+ read models .*: \d+ events up to position \d+/);
    expect(stderr).toContain('read models rebuilt');

    service = await start();
    try {
      expect((await postGraphQL(service.graphql.url, adminToken(), dump)).raw).toBe(before);
    } finally {
      await service.close();
    }
  });

  it('beside a running service, asks the service to rebuild, which goes on answering with the rebuilt read models', async () => {
    const dump = '{ devices { edges { node { endpoint name status } } } }';
    const adminToken = () => readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    const service = await start();
    try {
      // Imported here or already by the test before (then unchanged): either way three devices.
      await postGraphQL(service.graphql.url, adminToken(), 'mutation($csv: String!) { importDeviceRegistrations(csv: $csv) { imported } }', { csv: nosecCsv });
      const before = (await postGraphQL(service.graphql.url, adminToken(), dump)).raw;
      expect(before).toContain('"endpoint"');
      expect(before).not.toContain('corrupted');
      // Wrong read models in the running service's file (WAL lets a second connection write beside it).
      const db = new DatabaseSync(join(dir, 'readmodels.sqlite'));
      db.exec("UPDATE devices SET registration = json_set(registration, '$.name', 'corrupted')");
      db.close();
      expect((await postGraphQL(service.graphql.url, adminToken(), dump)).raw).toContain('corrupted');

      const { stdout } = await lwm2mHub('replay');
      expect(stdout).toMatch(/rebuilt \d+ read models in the running service at http:\/\/127\.0\.0\.1:\d+\/graphql: \d+ events up to position \d+/);
      expect((await postGraphQL(service.graphql.url, adminToken(), dump)).raw).toBe(before);
    } finally {
      await service.close();
    }
  });
});
