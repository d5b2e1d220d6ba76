/**
 * The service's log tells, with the endpoint, what happened to a device: a test device registers,
 * updates, answers a read and de-registers against the real service, whose log is kept as JSON lines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { createLogger } from '../../src/adapters/logging/Logger.ts';
import { startService } from '../../src/main.ts';
import type { RunningService } from '../../src/main.ts';
import { CapturedOutput } from '../cli/CapturedOutput.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { importTestDevice } from '../support/TestDevices.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-activity-log-'));
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  rmSync(dir, { recursive: true, force: true });
});

const activity = ['device registered', 'registration updated', 'operation succeeded', 'operation failed', 'device de-registered', 'registration expired'];

interface LogLine {
  readonly msg: string;
  readonly level: number;
  readonly endpoint?: string;
  readonly kind?: string;
}

describe('the device activity log', () => {
  it('has Register, Update (debug), the outcome of an operation and De-register, each with the endpoint', async () => {
    const { config } = parseCommandLine(
      ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-host', '127.0.0.1', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
      {},
    );
    const output = new CapturedOutput();
    const service: RunningService = await startService(config, {}, createLogger({ level: 'debug', format: 'json', destination: output }));
    closers.push(() => service.close());
    await importTestDevice(service.store, 'logged-device');
    const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint: 'logged-device', device: new TestDeviceObjects() });
    closers.push(() => client.close());
    expect((await client.register()).code).toBe('2.01');
    expect((await client.update()).code).toBe('2.04');
    const operationId = (await service.deviceManagement.requestOperation('logged-device', { kind: 'read', paths: ['/3/0/0'], content: null }, 'user:test', 'log-test')).operationId;
    for (let status = ''; status !== 'succeeded'; await new Promise((resolve) => setTimeout(resolve, 20))) {
      status = service.deviceManagement.operation(operationId)?.status ?? '';
      expect(['', 'pending', 'sent', 'succeeded']).toContain(status);
    }
    expect((await client.deregister()).code).toBe('2.02');

    const lines = output.text.trim().split('\n').map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.endpoint === 'logged-device' && activity.includes(line.msg));
    expect(lines.map((line) => [line.level, line.msg, line.kind])).toEqual([
      [30, 'device registered', undefined],
      [20, 'registration updated', undefined],
      [30, 'operation succeeded', 'read'],
      [30, 'device de-registered', undefined],
    ]);
  });
});
