/**
 * Device management end to end: the real service (startService, as `lwm2m-hub serve` runs
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
import { operationStream } from '../../src/domain/operations/OperationEvents.ts';
import { registrationStream } from '../../src/domain/registration/RegistrationEvents.ts';
import type { DeviceRegistered } from '../../src/domain/registration/RegistrationEvents.ts';
import { resourceStream } from '../../src/domain/observations/ResourceValueEvents.ts';
import type { ResourceValuesReported } from '../../src/domain/observations/ResourceValueEvents.ts';
import { telemetryStream } from '../../src/domain/telemetry/TelemetryEvents.ts';
import type { OperationView } from '../../src/projections/operations/OperationQueries.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { importTestDevice } from '../support/TestDevices.ts';
import { registerRawDevice } from '../support/RawCoapPeer.ts';
import { startTestService } from './TestService.ts';

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
        const id = (await api.requestOperation('dm-e2e', operation, 'user:e2e', `e2e-${operation.kind}`)).operationId;
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

describe('LwM2M 1.2 through the running service', () => {
  const announced = '</>;rt="oma.lwm2m";ct="60 110 112 11542 11543 11544",</1/0>,</3/0>,</3303/0>';

  it('registers a 1.2 device as 1.2 and reads it in LwM2M CBOR, which it announced; a 1.1 device announcing the same is asked for SenML CBOR', async () => {
    const service = await startTestService(mkdtempSync(join(dir, 'lwm2m12-')));
    running.push(service);
    const api = service.deviceManagement;
    const read = async (endpoint: string, lwm2mVersion: string): Promise<{ view: OperationView; objects: TestDeviceObjects }> => {
      await importTestDevice(service.store, endpoint);
      const objects = new TestDeviceObjects();
      const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint, lwm2mVersion, objectLinks: announced, device: objects });
      try {
        expect((await client.register(['Q'])).code).toBe('2.01');
        const id = (await api.requestOperation(endpoint, { kind: 'read', paths: ['/3/0'], content: null }, 'user:e2e', `e2e-read-${lwm2mVersion}`)).operationId;
        const view = await eventually(() => {
          const operation = api.operation(id);
          return operation && ['succeeded', 'failed'].includes(operation.status) ? operation : undefined;
        });
        return { view, objects };
      } finally {
        await client.close();
      }
    };

    const v12 = await read('dm-lwm2m-12', '1.2');
    expect(service.registrations.registration('dm-lwm2m-12')).toMatchObject({ lwm2mVersion: '1.2', queueMode: true });
    expect(v12.view).toMatchObject({ status: 'succeeded', responseCode: '2.05' });
    expect(v12.objects.reads).toEqual([{ path: '/3/0', accept: 11544 }]);
    expect(api.resources('dm-lwm2m-12', '/3/0/2')).toMatchObject([{ path: '/3/0/2', type: 'string', text: 'SN-0001' }]);
    expect(api.resources('dm-lwm2m-12', '/3/0/9')).toMatchObject([{ path: '/3/0/9', text: '87' }]);

    // The test device speaks no SenML CBOR: the 1.1 device is asked for it, answers 4.06, and is read in SenML JSON, as before.
    const v11 = await read('dm-lwm2m-11', '1.1');
    expect(v11.view).toMatchObject({ status: 'succeeded', responseCode: '2.05' });
    expect(v11.objects.reads).toEqual([
      { path: '/3/0', accept: 112 },
      { path: '/3/0', accept: 110 },
    ]);
  });
});

describe('an operation in flight when the device comes back from another address', () => {
  /**
   * A queue-mode device (a raw peer that never answers) is sent a Read; it comes back from a new source
   * port (a reboot, or a NAT rebinding) while the CoAP retransmissions to the old port still run. The Read
   * goes to the new port at once, as a second attempt, and the log says why the first was given up.
   */
  async function moveDuringRead(endpoint: string, comeBack: (fresh: TestLwM2mClient, registrationId: string) => Promise<string>): Promise<void> {
    const service = await startTestService(mkdtempSync(join(dir, `${endpoint}-`)));
    running.push(service);
    await importTestDevice(service.store, endpoint);
    const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>';
    const server = { address: '127.0.0.1', port: service.coap.local.port };
    const silent = await registerRawDevice(server, endpoint, links, ['b=UQ', 'lt=600']);
    const fresh = await TestLwM2mClient.start({ serverHost: server.address, serverPort: server.port, endpoint, binding: 'UQ', lifetime: 600, objectLinks: links, device: new TestDeviceObjects() });
    try {
      const api = service.deviceManagement;
      const id = (await api.requestOperation(endpoint, { kind: 'read', paths: ['/3/0/2'], content: null }, 'user:e2e', 'e2e-moved')).operationId;
      await silent.waitFor((datagram) => datagram.message?.code === '0.01');
      const registered = await service.store.readStream(registrationStream(endpoint));
      const registrationId = registered.status === 'found' ? (registered.events[0]?.data as unknown as DeviceRegistered).registration.registrationId : '';
      expect((await comeBack(fresh, registrationId)).startsWith('2.0')).toBe(true);
      const view = await eventually(() => {
        const operation = api.operation(id);
        return operation && ['succeeded', 'failed'].includes(operation.status) ? operation : undefined;
      });
      expect(view).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(api.resources(endpoint, '/3/0/2')).toMatchObject([{ text: 'SN-0001' }]);
      expect(fresh.served).toContain('GET /3/0/2');
      const events = await service.store.readStream(operationStream(endpoint));
      const returned = events.status === 'found' ? events.events.find((event) => event.type === 'OperationReturnedToQueue') : undefined;
      expect(returned?.data).toMatchObject({ operationId: id, attempt: 1, from: `127.0.0.1:${silent.port}`, to: `127.0.0.1:${fresh.port}` });
    } finally {
      await silent.close();
      await fresh.close();
    }
  }

  it('re-sends it to the device that registered again from a new source port', async () => {
    await moveDuringRead('dm-e2e-reboot', async (fresh) => (await fresh.register()).code);
  });

  it('re-sends it to the device whose Update came from a new source port (NAT rebinding)', async () => {
    await moveDuringRead('dm-e2e-rebind', async (fresh, registrationId) => {
      fresh.location = `rd/${registrationId}`;
      return (await fresh.update()).code;
    });
  });
});
