/**
 * The device shell end to end over real UDP on loopback: every command of the guide (and the ones
 * fleets use beyond it) parsed, checked, queued as an operation, delivered to the node-coap test
 * client, and recorded as a line of the shell history with a readable result.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/domain/DomainError.ts';
import { firmwareUpdateStream } from '../../../src/domain/firmware/FirmwareUpdateEvents.ts';
import { operationStream } from '../../../src/domain/operations/OperationEvents.ts';
import { shellStream } from '../../../src/domain/shell/ShellHistoryEvents.ts';
import { SHELL_COMMAND_USAGE } from '../../../src/domain/shell/ShellCommandParser.ts';
import { sha256Hex } from '../../../src/app/firmware/FirmwareRepository.ts';
import type { ShellLineView, ShellRun } from '../../../src/app/shell/ShellService.ts';
import { eventually } from '../operations/DeviceManagementHarness.ts';
import type { ShellHarness } from './ShellHarness.ts';
import { startShellHarness } from './ShellHarness.ts';

const temperatureDdf = readFileSync(new URL('../../fixtures/ddf/3303.xml', import.meta.url), 'utf8');
const context = { actor: 'user:operator', correlationId: 'corr-shell' };
const waitMs = 3_000;

let setup: ShellHarness;
const packageServers: Array<ReturnType<typeof createServer>> = [];
// A busy machine can take longer than vitest's default 10 s for hooks.
beforeEach(async () => {
  setup = await startShellHarness();
}, 30_000);
afterEach(async () => {
  for (const server of packageServers.splice(0)) server.close();
  await setup.close();
}, 30_000);

/** A firmware package at an external URL: an HTTP server on loopback that the test device pulls from. */
async function servePackage(binary: Buffer): Promise<string> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(binary);
  });
  packageServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/app.bin`;
}

async function runOne(endpoint: string, command: string): Promise<ShellLineView> {
  const run = await setup.shell.run(endpoint, command, context, { waitMs });
  expect(run.lines).toHaveLength(1);
  return run.lines[0] as ShellLineView;
}

async function refusal(action: Promise<ShellRun>): Promise<DomainError> {
  const error: unknown = await action.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('the device shell', () => {
  it('reads a resource and an instance, naming the values by the object model', async () => {
    await setup.device('sh-read');
    const resource = await runOne('sh-read', 'read /3/0/0');
    expect(resource).toMatchObject({ status: 'succeeded', responseCode: '2.05', command: 'read', operationKind: 'read', text: 'read /3/0/0', line: 1 });
    expect(resource.result).toBe('/3/0/0 Manufacturer = lwm2m-hub tests');
    const instance = await runOne('sh-read', 'read /3303/0');
    expect(instance.result?.split('\n')).toEqual(expect.arrayContaining(['/3303/0/5700 Sensor Value = 21.5', '/3303/0/5701 Sensor Units = Cel']));
    const operations = (await setup.harness.events(operationStream('sh-read'))).map((event) => event.type);
    expect(operations.filter((type) => type === 'OperationRequested')).toHaveLength(2);
    const history = (await setup.harness.events(shellStream('sh-read'))).map((event) => event.data);
    expect(history).toEqual([
      expect.objectContaining({ endpoint: 'sh-read', line: 1, text: 'read /3/0/0', command: 'read', operationId: resource.operationId, requestedBy: 'user:operator' }),
      expect.objectContaining({ text: 'read /3303/0', operationId: instance.operationId }),
    ]);
  });

  it('observes, then cancels the observation both ways; notifications arrive as values in between', async () => {
    const { objects } = await setup.device('sh-observe');
    const observe = await runOne('sh-observe', 'observe /3303/0/5700');
    expect(observe).toMatchObject({ status: 'succeeded', responseCode: '2.05' });
    expect(observe.result).toBe('observing (2.05)\n/3303/0/5700 Sensor Value = 21.5');
    objects.set('/3303/0/5700', 23.25);
    await eventually(() => setup.harness.api.resources('sh-observe', '/3303/0/5700').find((value) => value.text === '23.25'));
    // The passive cancel sends nothing: the device stops when its next notification is answered with a Reset.
    const cancel = await runOne('sh-observe', 'cancelobservation /3303/0/5700');
    expect(cancel).toMatchObject({ status: 'succeeded', responseCode: null, result: 'observation forgotten: its next notification is answered with a Reset' });
    expect(objects.observedPaths).toEqual(['/3303/0/5700']);
    objects.set('/3303/0/5700', 24.5);
    await eventually(() => (objects.observedPaths.length === 0 ? true : undefined));
    expect(setup.harness.api.resources('sh-observe', '/3303/0/5700').map((value) => value.text)).toEqual(['23.25']);
    await runOne('sh-observe', 'observe /3/0/9');
    const active = await runOne('sh-observe', 'cancelobserve /3/0/9');
    expect(active).toMatchObject({ status: 'succeeded', command: 'cancelobserve', operationKind: 'cancel-observation' });
    const none = await runOne('sh-observe', 'cancelobservation /3/0/9');
    expect(none).toMatchObject({ status: 'failed', result: 'there is no active observation of /3/0/9' });
  });

  it('sends the options a line chose: a Discover depth, an Observe format and attributes, which the cancel repeats', async () => {
    const { objects } = await setup.device('sh-options');
    expect(await runOne('sh-options', 'discover --depth 1 /3303')).toMatchObject({ status: 'succeeded' });
    expect(await runOne('sh-options', 'observe --format senml-json /3303/0/5700 pmin=5&pmax=60')).toMatchObject({ status: 'succeeded' });
    expect(await runOne('sh-options', 'cancelobserve /3303/0/5700')).toMatchObject({ status: 'succeeded', result: 'observation cancelled (2.05)' });
    expect(objects.gets).toEqual([
      { path: '/3303', query: ['depth=1'], accept: 40, observe: undefined },
      { path: '/3303/0/5700', query: ['pmin=5', 'pmax=60'], accept: 110, observe: 0 },
      { path: '/3303/0/5700', query: ['pmin=5', 'pmax=60'], accept: 110, observe: 1 },
    ]);
    expect(objects.observedPaths).toEqual([]);
  });

  it('executes with and without arguments (Core 1.1 section 5.4.5)', async () => {
    const { objects } = await setup.device('sh-exec');
    expect(await runOne('sh-exec', 'execute /3/0/4')).toMatchObject({ status: 'succeeded', result: 'executed (2.04)' });
    expect(await runOne('sh-exec', "execute /3/0/5 0='now',1")).toMatchObject({ status: 'succeeded' });
    expect(objects.executed).toEqual(['/3/0/4', "/3/0/5 0='now',1"]);
  });

  it('discovers with resource names, writes attributes, and shows them in the next discover', async () => {
    const { objects } = await setup.device('sh-discover');
    const discover = await runOne('sh-discover', 'discover /3303/0');
    expect(discover.result?.split('\n')).toEqual(expect.arrayContaining(['</3303/0> Temperature', '</3303/0/5700> Sensor Value']));
    const attributes = await runOne('sh-discover', 'writeattr /3303/0/5700 pmin=10&pmax=60&greater=30&less=5&step=0.5');
    expect(attributes).toMatchObject({ status: 'succeeded', result: 'attributes written (2.04)' });
    expect(objects.attributes.get('/3303/0/5700')).toEqual(['pmin=10', 'pmax=60', 'gt=30', 'lt=5', 'st=0.5']);
    const after = await runOne('sh-discover', 'discover /3303/0/5700');
    expect(after.result).toContain('</3303/0/5700>;pmin=10;pmax=60;gt=30;lt=5;st=0.5 Sensor Value');
    await runOne('sh-discover', 'writeattr /3303/0/5700 cancel');
    expect(objects.attributes.get('/3303/0/5700')).toEqual(['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax']);
  });

  it('creates an instance (the next free id after those announced), then deletes it', async () => {
    const { objects } = await setup.device('sh-create');
    const create = await runOne('sh-create', 'create /3303 {"5700": 18.5, "5701": "Cel"}');
    expect(create).toMatchObject({ status: 'succeeded', responseCode: '2.01', result: 'created /3303/1 (2.01)' });
    expect(objects.resources.get('/3303/1/5700')?.value).toBe(18.5);
    const remove = await runOne('sh-create', 'delete /3303/1');
    expect(remove).toMatchObject({ status: 'succeeded', result: 'deleted (2.02)' });
    expect(objects.resources.has('/3303/1/5700')).toBe(false);
  });

  it('writes (replace, partial, composite) and reads composite, one command per line, in order', async () => {
    const { objects } = await setup.device('sh-write');
    const run = await setup.shell.run('sh-write', ['write /1/0/1 120', '# a comment line', 'writep /3/0 {"14": "+02"}', 'cwrite /1/0/1=300 /3/0/14=+03', 'cread /1/0/1 /3/0/14'].join('\n'), context, { waitMs });
    expect(run.lines.map((line) => [line.line, line.command, line.status])).toEqual([
      [1, 'write', 'succeeded'],
      [3, 'writep', 'succeeded'],
      [4, 'cwrite', 'succeeded'],
      [5, 'cread', 'succeeded'],
    ]);
    expect(run.lines[3]?.result).toBe('/1/0/1 Lifetime = 300 s\n/3/0/14 UTC Offset = +03');
    expect(objects.resources.get('/1/0/1')?.value).toBe(300);
    const operations = setup.harness.api.operations('sh-write').map((operation) => operation.kind);
    expect(operations).toEqual(['write-replace', 'write-partial', 'write-composite', 'read-composite']);
    const page = await setup.shell.history('sh-write', 2, 0);
    expect(page).toMatchObject({ totalCount: 4, hasNextPage: true });
    expect(page.lines.map((line) => line.text)).toEqual(['write /1/0/1 120', 'writep /3/0 {"14": "+02"}']);
    // The history is a read model: rebuilt from the log, it is the same.
    const before = await setup.shell.history('sh-write', 10, 0);
    await setup.harness.projector.rebuild();
    expect(await setup.shell.history('sh-write', 10, 0)).toEqual(before);
  });

  it('writes the LwM2M 1.2 attributes to a 1.2 device and cancels them with the others; a 1.1 device gets none, the line failing with the reason', async () => {
    const { objects } = await setup.device('sh-attr-12', true, undefined, '1.2');
    expect(await runOne('sh-attr-12', 'writeattr /3303/0/5700 edge=1&con=1&hqmax=8')).toMatchObject({ status: 'succeeded' });
    expect(objects.attributes.get('/3303/0/5700')).toEqual(['edge=1', 'con=1', 'hqmax=8']);
    await runOne('sh-attr-12', 'writeattr /3303/0/5700 cancel');
    expect(objects.attributes.get('/3303/0/5700')).toEqual(['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax', 'edge', 'con', 'hqmax']);

    const older = await setup.device('sh-attr-11');
    expect(await runOne('sh-attr-11', 'writeattr /3303/0/5700 con=1')).toMatchObject({ status: 'failed', result: expect.stringContaining('con need LwM2M 1.2') as unknown });
    expect(older.objects.attributes.size).toBe(0);
  });

  it('reports a failed operation with the device answer', async () => {
    await setup.device('sh-fail');
    expect(await runOne('sh-fail', 'read /3303/7')).toMatchObject({ status: 'failed', responseCode: '4.04' });
  });

  it('refuses a device whose shell is disabled, and an unknown device, before anything is queued', async () => {
    await setup.device('sh-off', false);
    const disabled = await refusal(setup.shell.run('sh-off', 'read /3/0/0', context));
    expect(disabled.code).toBe('FORBIDDEN');
    expect(disabled.message).toContain('the shell is disabled for device sh-off');
    expect(await setup.harness.events(operationStream('sh-off'))).toEqual([]);
    expect((await refusal(setup.shell.run('sh-nobody', 'read /3/0/0', context))).code).toBe('NOT_FOUND');
  });

  it('names the line and column of a grammar error and queues nothing', async () => {
    await setup.device('sh-grammar');
    const error = await refusal(setup.shell.run('sh-grammar', 'read /3/0/0\nobserve 3/0', context));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.details['errors']).toEqual([expect.objectContaining({ line: 2, column: 9, usage: SHELL_COMMAND_USAGE.observe })]);
    expect(error.message).toContain('line 2, column 9');
    expect(await setup.harness.events(operationStream('sh-grammar'))).toEqual([]);
  });

  it('refuses a path the model or the device does not have, or an operation the resource does not allow', async () => {
    await setup.device('sh-model');
    const unannounced = await refusal(setup.shell.run('sh-model', 'read /3/0/0\nread /4/0', context));
    expect(unannounced.message).toBe('line 2: read refused: /4: the device does not report object 4 in its registration');
    expect((await refusal(setup.shell.run('sh-model', 'write /3/0/0 Acme', context))).message).toContain('/3/0/0');
    expect((await refusal(setup.shell.run('sh-model', 'execute /3/0/0', context))).code).toBe('BAD_USER_INPUT');
    expect(await setup.harness.events(operationStream('sh-model'))).toEqual([]);
  });

  it('refuses a write that no validation rule group accepts, and queues one that passes', async () => {
    // The rules are on 5750 (Application Type), which object 3303 has from version 1.1 on.
    const { objects } = await setup.device('sh-rules', true, '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303>;ver=1.1,</3303/0>');
    objects.set('/3303/0/5750', 'outdoor');
    await setup.protocols.importDdf(temperatureDdf, { actor: 'user:operator' });
    await setup.rules.addRuleGroup(
      { objectId: 3303, resourceId: 5750, groupId: 'not-test', rules: [{ type: 'String', operator: 'equalsNot', operand: { kind: 'literal', value: 'test' } }] },
      { actor: 'user:operator' },
    );
    const refused = await refusal(setup.shell.run('sh-rules', 'read /3/0/0\nwrite /3303/0/5750 test', context));
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toContain('line 2: write refused by validation rules: /3303/0/5750');
    expect(refused.message).toContain('not-test');
    expect(await setup.harness.events(operationStream('sh-rules'))).toEqual([]);
    expect(await runOne('sh-rules', 'write /3303/0/5750 indoor')).toMatchObject({ status: 'succeeded' });
    expect(objects.resources.get('/3303/0/5750')?.value).toBe('indoor');

    // A rule whose operand is another resource of the device, compared with its last known value (the
    // guide's /3/0/15). Groups are alternatives (OR), so it replaces the first group.
    await setup.rules.removeRuleGroup({ objectId: 3303, resourceId: 5750, groupId: 'not-test' }, { actor: 'user:operator' });
    await setup.rules.addRuleGroup(
      { objectId: 3303, resourceId: 5750, groupId: 'not-timezone', rules: [{ type: 'String', operator: 'equalsNot', operand: { kind: 'resource', path: '/3/0/15' } }] },
      { actor: 'user:operator' },
    );
    objects.set('/3/0/15', 'Europe/Berlin');
    expect(await runOne('sh-rules', 'read /3/0/15')).toMatchObject({ status: 'succeeded', result: '/3/0/15 Timezone = Europe/Berlin' });
    const sameAsTimezone = await refusal(setup.shell.run('sh-rules', 'write /3303/0/5750 Europe/Berlin', context));
    expect(sameAsTimezone.message).toContain('not-timezone');
    expect(await runOne('sh-rules', 'write /3303/0/5750 greenhouse')).toMatchObject({ status: 'succeeded' });
  });

  it('runs fwupdate as a firmware update by pull: the line shows its steps and its success', async () => {
    const { firmware } = await setup.firmwareDevice('sh-fw', { deliveryMethod: 0, protocols: [0, 2], currentVersion: '1.0' });
    const binary = randomBytes(2000);
    const url = await servePackage(binary);
    firmware.expectedSha256 = sha256Hex(binary);
    firmware.newVersion = '2.0';
    const seen: string[] = [];
    const stop = setup.shell.onLineUpdated('sh-fw', (line) => seen.push(`${line.status}:${line.result ?? ''}`));
    const run = await setup.shell.run('sh-fw', `read /3/0/3\nfwupdate /app/2.0/${url}`, context, { waitMs: 8_000 });
    stop();
    expect(run.lines.map((line) => [line.command, line.status, line.result])).toEqual([
      ['read', 'succeeded', '/3/0/3 Firmware Version = 1.0'],
      ['fwupdate', 'succeeded', 'firmware update to app 2.0: succeeded'],
    ]);
    const update = run.lines[1];
    expect(update).toMatchObject({ operationId: null, operationKind: null, responseCode: null, firmwareUpdate: { name: 'app', version: '2.0', method: 'pull', packageUri: url, status: 'succeeded' } });
    expect(update?.firmwareUpdateId).toBe(update?.firmwareUpdate?.updateId);
    expect(update?.completedAt).toEqual(update?.firmwareUpdate?.endedAt);
    expect(firmware.received).toMatchObject({ via: 'pull' });
    expect(firmware.received?.bytes.equals(binary)).toBe(true);
    const history = (await setup.harness.events(shellStream('sh-fw'))).map((event) => event.data);
    expect(history[1]).toEqual(expect.objectContaining({ line: 2, command: 'fwupdate', firmwareUpdateId: update?.firmwareUpdateId }));
    expect(history[1]).not.toHaveProperty('operationId');
    expect(seen).toEqual(expect.arrayContaining(['sent:firmware update to app 2.0 (pull): downloaded', 'succeeded:firmware update to app 2.0: succeeded']));
    const page = await setup.shell.history('sh-fw', 10, 0);
    expect(page.lines.map((line) => line.result)).toEqual(run.lines.map((line) => line.result));
  });

  it('runs fwupdate name;version;url and fails with the integrity check failure the device reports', async () => {
    const { client, firmware } = await setup.firmwareDevice('sh-fw-bad', { deliveryMethod: 0, protocols: [0, 2], currentVersion: '1.0' });
    const binary = randomBytes(1200);
    const url = await servePackage(binary);
    firmware.expectedSha256 = sha256Hex(binary);
    firmware.corruptDownload = true;
    const line = await setup.shell.run('sh-fw-bad', `fwupdate app;3.0;${url}`, context, { waitMs: 8_000 }).then((run) => run.lines[0]);
    expect(line).toMatchObject({ command: 'fwupdate', status: 'failed', result: 'firmware update to app 3.0: failed: integrity check failure for new downloaded package' });
    expect(line?.firmwareUpdate).toMatchObject({ status: 'failed', updateResult: 5 });
    expect(client.served.filter((served) => served.startsWith('POST /5/0/2'))).toEqual([]);
  });

  it('checks fwupdate with the whole input before anything is queued or started', async () => {
    await setup.device('sh-no-fw');
    const noObject5 = await refusal(setup.shell.run('sh-no-fw', 'fwupdate app;2.0;http://127.0.0.1/app.bin', context));
    expect(noObject5.message).toContain('line 1:');
    expect(noObject5.message).toContain('object 5');
    await setup.firmwareDevice('sh-fw-input', { deliveryMethod: 0, protocols: [0], currentVersion: '1.0' });
    const badLater = await refusal(setup.shell.run('sh-fw-input', 'fwupdate app;2.0;http://127.0.0.1/app.bin\nread /77/0/0', context));
    expect(badLater.message).toContain('line 2:');
    const twice = await refusal(setup.shell.run('sh-fw-input', 'fwupdate app;2.0;http://127.0.0.1/app.bin\nfwupdate app;2.1;http://127.0.0.1/app.bin', context));
    expect(twice).toMatchObject({ code: 'CONFLICT' });
    expect(twice.message).toContain('line 2: fwupdate refused: sh-fw-input is already updating its firmware');
    for (const endpoint of ['sh-no-fw', 'sh-fw-input']) {
      expect(await setup.harness.events(operationStream(endpoint))).toEqual([]);
      expect(await setup.harness.events(firmwareUpdateStream(endpoint))).toEqual([]);
    }
  });

  it('tells a subscriber of each change of a line', async () => {
    await setup.device('sh-feed');
    const seen: string[] = [];
    const stop = setup.shell.onLineUpdated('sh-feed', (line) => seen.push(`${line.text}:${line.status}`));
    await runOne('sh-feed', 'read /3/0/1');
    await eventually(() => (seen.includes('read /3/0/1:succeeded') ? true : undefined));
    stop();
  });

  it('queues two inputs for one device one after the other, each in its own order', async () => {
    await setup.device('sh-concurrent');
    const first = ['read /3/0/0', 'read /3/0/1', 'read /3/0/2'].join('\n');
    const second = ['read /1/0/0', 'read /1/0/1'].join('\n');
    const [a, b] = await Promise.all([setup.shell.run('sh-concurrent', first, context, { waitMs }), setup.shell.run('sh-concurrent', second, context, { waitMs })]);
    const order = setup.harness.api.operations('sh-concurrent').map((operation) => operation.operationId);
    const ids = (run: ShellRun): (string | null)[] => run.lines.map((line) => line.operationId);
    expect([order.slice(0, 3), order.slice(3)]).toEqual([ids(a), ids(b)]);
    expect([...a.lines, ...b.lines].every((line) => line.status === 'succeeded')).toBe(true);
  });
});
