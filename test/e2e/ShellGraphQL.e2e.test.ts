/**
 * The device shell through the real service: devices imported from the CSV (SHELL 1 and 0), a node-coap
 * test device registered over CoAP on loopback, and an operator running the guide's shell commands
 * through GraphQL (mutation, history, subscription) and through `lwm2m-hub shell`, which talks to the
 * running service over HTTP; and `fwupdate` run as a firmware update of a test device with object 5,
 * pulling its package from an HTTP server on loopback.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/app/firmware/FirmwareRepository.ts';
import type { RunningService } from '../../src/main.ts';
import { SHELL_COMMAND_USAGE } from '../../src/domain/shell/ShellCommandParser.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { TestFirmwareObject } from '../support/TestFirmwareObject.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { collect, postGraphQL, wsClient } from './GraphQLTestClient.ts';
import { startTestService } from './TestService.ts';
import { runCli, type CliRun } from './CliProcess.ts';

const nosecCsv = readFileSync(new URL('../fixtures/devices-nosec.csv', import.meta.url), 'utf8');
/** SHELL 1 in the CSV. */
const endpoint = 'lwm2m-nosec-0001';
/** SHELL 0 in the CSV. */
const disabledEndpoint = 'lwm2m-nosec-0002';
const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>';
/** Starting the whole service on a busy machine takes longer than vitest's default 10 s for hooks. */
const hookTimeoutMs = 60_000;
const shellMutation = `mutation Shell($endpoint: String!, $command: String!, $waitSeconds: Int) {
  shell(endpoint: $endpoint, command: $command, waitSeconds: $waitSeconds) { endpoint runId lines { id line text command status responseCode result requestedBy operation { kind paths } } }
}`;

let dir: string;
let service: RunningService;
let url: string;
let operatorToken: string;
let viewerToken: string;
let device: TestLwM2mClient;
let objects: TestDeviceObjects;
const sockets: Client[] = [];
const closers: Array<() => Promise<void> | void> = [];

interface ShellLine {
  id: string;
  line: number;
  text: string;
  command: string;
  status: string;
  responseCode: string | null;
  result: string | null;
  requestedBy: string;
  operation: { kind: string; paths: string[] } | null;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-shell-e2e-'));
  service = await startTestService(dir);
  url = service.graphql.url;
  operatorToken = (await service.tokens.create({ role: 'operator', actor: 'system:test' })).token;
  viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
  const imported = await postGraphQL(url, operatorToken, 'mutation Import($csv: String!) { importDeviceRegistrations(csv: $csv) { imported } }', { csv: nosecCsv });
  expect(imported.errors).toBeUndefined();
  objects = new TestDeviceObjects();
  device = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint, lifetime: 600, objectLinks: links, device: objects });
  expect((await device.register()).code).toBe('2.01');
}, hookTimeoutMs);

afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  for (const close of closers.reverse()) await close();
  await device.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
}, hookTimeoutMs);

async function shell(command: string, token = operatorToken, target = endpoint): Promise<{ lines: ShellLine[] | undefined; errors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> | undefined }> {
  const response = await postGraphQL(url, token, shellMutation, { endpoint: target, command, waitSeconds: 5 });
  return { lines: (response.data as { shell: { lines: ShellLine[] } } | null)?.shell.lines, errors: response.errors };
}

function runShellCli(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  return runCli(['shell', ...args, '--url', url, '--data-dir', dir], env);
}

describe('the shell mutation', () => {
  it("runs every command of the guide, one per line, in order, with readable results", async () => {
    const script = [
      'read /3/0/0',
      'observe /3303/0/5700',
      'writeattr /3303/0/5700 pmin=10&pmax=60',
      'discover /3303/0/5700',
      'cancelobservation /3303/0/5700',
      "execute /3/0/4 0='now'",
      'create /3303 {"5700": 18.5, "5701": "Cel"}',
      'read /3303/1/5700',
      'delete /3303/1',
    ].join('\n');
    const { lines, errors } = await shell(script);
    expect(errors).toBeUndefined();
    expect(lines?.map((line) => [line.line, line.command, line.status])).toEqual([
      [1, 'read', 'SUCCEEDED'],
      [2, 'observe', 'SUCCEEDED'],
      [3, 'writeattr', 'SUCCEEDED'],
      [4, 'discover', 'SUCCEEDED'],
      [5, 'cancelobservation', 'SUCCEEDED'],
      [6, 'execute', 'SUCCEEDED'],
      [7, 'create', 'SUCCEEDED'],
      [8, 'read', 'SUCCEEDED'],
      [9, 'delete', 'SUCCEEDED'],
    ]);
    const results = lines?.map((line) => line.result) ?? [];
    expect(results[0]).toBe('/3/0/0 Manufacturer = lwm2m-hub tests');
    expect(results[1]).toBe('observing (2.05)\n/3303/0/5700 Sensor Value = 21.5');
    expect(results[3]).toBe('</3303/0/5700>;pmin=10;pmax=60 Sensor Value');
    expect(results[6]).toBe('created /3303/1 (2.01)');
    expect(results[7]).toBe('/3303/1/5700 Sensor Value = 18.5');
    expect(lines?.[0]).toMatchObject({ operation: { kind: 'READ', paths: ['/3/0/0'] } });
    expect(lines?.[0]?.requestedBy).toMatch(/^user:/);
    expect(objects.executed).toEqual(["/3/0/4 0='now'"]);
    expect(objects.resources.has('/3303/1/5700')).toBe(false);
  });

  it('names the line and column of a grammar error, and queues nothing', async () => {
    const before = service.deviceManagement.operations(endpoint).length;
    const { errors } = await shell('read /3/0/0\ncreate 3303');
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ line: 2, column: 8, usage: SHELL_COMMAND_USAGE.create }] });
    expect(errors?.[0]?.message).toContain('line 2, column 8');
    expect(service.deviceManagement.operations(endpoint)).toHaveLength(before);
  });

  it('refuses a device whose SHELL column is 0, a viewer, and an operation the resource does not allow', async () => {
    const disabled = await shell('read /3/0/0', operatorToken, disabledEndpoint);
    expect(disabled.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(disabled.errors?.[0]?.message).toContain('the shell is disabled');
    expect((await shell('read /3/0/0', viewerToken)).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const refused = await shell('write /3/0/0 Acme');
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('lists the shell history page by page and tells a subscriber of each change', async () => {
    const viewer = wsClient(url, viewerToken);
    sockets.push(viewer);
    const feed = collect(viewer, `subscription { shellLineUpdated(endpoint: "${endpoint}") { text status result } }`);
    // The subscription is active once the socket answers a first query.
    await postGraphQL(url, viewerToken, '{ __typename }');
    await new Promise((resolveSoon) => setTimeout(resolveSoon, 100));
    await shell('read /3/0/1');
    const seen: string[] = [];
    while (!seen.includes('read /3/0/1 SUCCEEDED')) {
      const item = (await feed.next(3_000)) as { data: { shellLineUpdated: { text: string; status: string } } };
      seen.push(`${item.data.shellLineUpdated.text} ${item.data.shellLineUpdated.status}`);
    }
    const first = await postGraphQL(url, viewerToken, `{ shellHistory(endpoint: "${endpoint}", first: 2) { totalCount edges { node { line text status } } pageInfo { hasNextPage endCursor } } }`);
    const page = (first.data as { shellHistory: { totalCount: number; edges: Array<{ node: { text: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } }).shellHistory;
    expect(page.edges.map((edge) => edge.node.text)).toEqual(['read /3/0/0', 'observe /3303/0/5700']);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await postGraphQL(url, viewerToken, `{ shellHistory(endpoint: "${endpoint}", first: 1, after: "${page.pageInfo.endCursor}") { edges { node { text } } } }`);
    expect(next.data).toEqual({ shellHistory: { edges: [{ node: { text: 'writeattr /3303/0/5700 pmin=10&pmax=60' } }] } });
  });
});

describe('lwm2m-hub shell', () => {
  it('prints the results of the running service and exits 0 when every line succeeded', async () => {
    const run = await runShellCli([endpoint, 'read /3/0/2', 'read /3303/0/5701'], { LWM2M_HUB_TOKEN: operatorToken });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('[1] read /3/0/2: SUCCEEDED 2.05\n    /3/0/2 Serial Number = SN-0001\n[2] read /3303/0/5701: SUCCEEDED 2.05\n    /3303/0/5701 Sensor Units = Cel\n');
    expect(run.code).toBe(0);
  });

  it('exits 1 when a line fails, and with the reason when the service refuses, using admin.token without LWM2M_HUB_TOKEN', async () => {
    const failed = await runShellCli([endpoint, 'read /3303/9'], { LWM2M_HUB_TOKEN: '' });
    expect(failed.stdout).toBe('[1] read /3303/9: FAILED 4.04\n    the device answered 4.04 Not Found\n');
    expect(failed.code).toBe(1);
    const refused = await runShellCli([disabledEndpoint, 'read /3/0/0'], { LWM2M_HUB_TOKEN: '' });
    expect(refused.stderr).toContain('FORBIDDEN: the shell is disabled for device lwm2m-nosec-0002');
    expect(refused.code).toBe(1);
  });

  it('exits 2 on a usage error, before calling the service', async () => {
    const noCommand = await runShellCli([endpoint], { LWM2M_HUB_TOKEN: operatorToken });
    expect(noCommand.stderr).toContain("usage: lwm2m-hub shell ENDPOINT 'COMMAND'");
    expect(noCommand.code).toBe(2);
    const badWait = await runShellCli([endpoint, 'read /3/0/0', '--wait', 'soon'], { LWM2M_HUB_TOKEN: operatorToken });
    expect(badWait.stderr).toContain('--wait must be a whole number of seconds');
    expect(badWait.code).toBe(2);
  });
});

describe('fwupdate through GraphQL', () => {
  const fwupdateMutation = `mutation Shell($endpoint: String!, $command: String!) {
    shell(endpoint: $endpoint, command: $command, waitSeconds: 10) { lines { id command status result operation { kind } firmwareUpdate { id name version method status reason updateResult } } }
  }`;

  /** A device with object 5 (pull over HTTP), imported with SHELL 1, and the URL of its package. */
  async function firmwareDevice(name: string, binary: Buffer): Promise<{ firmware: TestFirmwareObject; packageUrl: string }> {
    const [header, row] = nosecCsv.split('\n');
    const imported = await postGraphQL(url, operatorToken, 'mutation Import($csv: String!) { importDeviceRegistrations(csv: $csv) { imported } }', { csv: `${header}\n${(row ?? '').replaceAll(endpoint, name)}\n` });
    expect(imported.errors).toBeUndefined();
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(binary);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    // /5/0/8: 0 CoAP and 2 HTTP 1.1 (LwM2M Core 1.1 Appendix E.6); /5/0/9: 0 pull only.
    const firmware = new TestFirmwareObject(new TestDeviceObjects(), { deliveryMethod: 0, protocols: [0, 2], currentVersion: '1.0' });
    firmware.expectedSha256 = sha256Hex(binary);
    const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint: name, lifetime: 600, objectLinks: '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</5/0>', device: firmware });
    closers.push(() => client.close());
    firmware.onRestart = async () => {
      await client.register();
    };
    expect((await client.register()).code).toBe('2.01');
    return { firmware, packageUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/app.bin` };
  }

  it('runs fwupdate /name/version/url to success: the line is the update, with its outcome', async () => {
    const { firmware, packageUrl } = await firmwareDevice('lwm2m-nosec-fw-ok', randomBytes(1500));
    firmware.newVersion = '2.0';
    const response = await postGraphQL(url, operatorToken, fwupdateMutation, { endpoint: 'lwm2m-nosec-fw-ok', command: `fwupdate /app/2.0/${packageUrl}` });
    expect(response.errors).toBeUndefined();
    const [line] = (response.data as { shell: { lines: Array<Record<string, unknown>> } }).shell.lines;
    expect(line).toMatchObject({
      command: 'fwupdate',
      status: 'SUCCEEDED',
      result: 'firmware update to app 2.0: succeeded',
      operation: null,
      firmwareUpdate: { name: 'app', version: '2.0', method: 'PULL', status: 'SUCCEEDED', reason: null },
    });
    expect(line?.['id']).toBe((line?.['firmwareUpdate'] as { id: string }).id);
    const firmwares = await postGraphQL(url, viewerToken, '{ firmwares { name version url } }', {});
    expect((firmwares.data as { firmwares: unknown[] }).firmwares).toContainEqual({ name: 'app', version: '2.0', url: packageUrl });
  });

  it('runs fwupdate name;version;url to a failure the device reports: integrity check failure', async () => {
    const { firmware, packageUrl } = await firmwareDevice('lwm2m-nosec-fw-bad', randomBytes(900));
    firmware.corruptDownload = true;
    const response = await postGraphQL(url, operatorToken, fwupdateMutation, { endpoint: 'lwm2m-nosec-fw-bad', command: `fwupdate app;3.0;${packageUrl}` });
    expect(response.errors).toBeUndefined();
    const [line] = (response.data as { shell: { lines: Array<Record<string, unknown>> } }).shell.lines;
    expect(line).toMatchObject({
      command: 'fwupdate',
      status: 'FAILED',
      result: 'firmware update to app 3.0: failed: integrity check failure for new downloaded package',
      firmwareUpdate: { status: 'FAILED', reason: 'integrity check failure for new downloaded package', updateResult: 5 },
    });
  });
});
