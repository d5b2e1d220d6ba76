/**
 * Device management end to end (issue 5): the real service (startService, as `lwm2m-hub serve` runs
 * it) on a SQLite store in a temp dir, and the node-coap test client with objects 1, 3 and 3303 as the
 * device: register, read /3/0, observe /3303/0/5700 and receive notifications, write, execute, Send;
 * operations, values, telemetry and read models checked through the service's application API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { startService } from '../../src/main.ts';
import type { RunningService } from '../../src/main.ts';
import type { OperationSpec } from '../../src/domain/operations/OperationEvents.ts';
import { resourceStream } from '../../src/domain/observations/ResourceValueEvents.ts';
import type { ResourceValuesReported } from '../../src/domain/observations/ResourceValueEvents.ts';
import { telemetryStream } from '../../src/domain/telemetry/TelemetryEvents.ts';
import type { OperationView } from '../../src/projections/operations/OperationQueries.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { importTestDevice } from '../support/TestDevices.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-dm-e2e-'));
const running: RunningService[] = [];
afterAll(async () => {
  for (const service of running) await service.close();
  rmSync(dir, { recursive: true, force: true });
});

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('device management through the running service', () => {
  it('reads, observes, writes, executes and receives Send, all as events and read models', async () => {
    const { config } = parseCommandLine(
      ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
      {},
    );
    const service = await startService(config, {}, silentLogger());
    running.push(service);
    const api = service.deviceManagement;
    await importTestDevice(service.store, 'dm-e2e');
    const objects = new TestDeviceObjects();
    const client = await TestLwM2mClient.start({
      serverHost: '127.0.0.1',
      serverPort: service.coap.local.port,
      endpoint: 'dm-e2e',
      objectLinks: '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>',
      device: objects,
    });
    try {
      expect((await client.register()).code).toBe('2.01');
      const run = async (operation: OperationSpec): Promise<OperationView> => {
        const id = await api.requestOperation('dm-e2e', operation, 'user:e2e', `e2e-${operation.kind}`);
        return eventually(() => {
          const view = api.operation(id);
          return view && ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
        });
      };

      const read = await run({ kind: 'read', paths: ['/3/0'], content: null });
      expect(read).toMatchObject({ status: 'succeeded', responseCode: '2.05', requestedBy: 'user:e2e', correlationId: 'e2e-read' });
      expect(api.resources('dm-e2e', '/3/0/2')).toMatchObject([{ path: '/3/0/2', type: 'string', text: 'SN-0001' }]);
      // The telemetry mapping ran: battery level /3/0/9 is a measurement, serial number a property.
      const telemetry = await eventually(async () => {
        const result = await service.store.readStream(telemetryStream('dm-e2e'));
        return result.status === 'found' ? result.events.map((event) => event.type) : undefined;
      });
      expect(telemetry).toContain('MeasurementCreated');

      const heard: string[] = [];
      const unsubscribe = api.onResourceValues('dm-e2e', '/3303', (values) => heard.push(...values.map((value) => value.text)));
      expect((await run({ kind: 'observe', paths: ['/3303/0/5700'], content: null })).status).toBe('succeeded');
      for (const value of [22, 22.5, 23]) objects.set('/3303/0/5700', value);
      await eventually(() => (heard.length >= 4 ? true : undefined));
      expect(heard).toEqual(['21.5', '22', '22.5', '23']);
      unsubscribe();

      expect((await run({ kind: 'write-replace', paths: ['/3/0/14'], content: { values: [{ path: '/3/0/14', text: '+02' }] } })).status).toBe('succeeded');
      expect(objects.resources.get('/3/0/14')?.value).toBe('+02');
      expect((await run({ kind: 'execute', paths: ['/3/0/4'], content: null })).status).toBe('succeeded');
      expect(objects.executed).toEqual(['/3/0/4']);

      expect((await client.sendValues(JSON.stringify([{ n: '/3303/0/5700', v: 25, t: 1767225600 }]))).code).toBe('2.04');
      const sent = await eventually(async () => {
        const result = await service.store.readStream(resourceStream('dm-e2e'));
        const last = result.status === 'found' ? (result.events.at(-1)?.data as unknown as ResourceValuesReported | undefined) : undefined;
        return last?.source === 'send' ? last : undefined;
      });
      expect(sent.values).toEqual([{ path: '/3303/0/5700', value: { type: 'float', text: '25' }, time: '2026-01-01T00:00:00.000Z' }]);
      expect(api.operations('dm-e2e').map((view) => [view.kind, view.status])).toEqual([
        ['read', 'succeeded'],
        ['observe', 'succeeded'],
        ['write-replace', 'succeeded'],
        ['execute', 'succeeded'],
      ]);
    } finally {
      await client.close();
    }
  });
});
