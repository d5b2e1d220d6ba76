/**
 * The registration interface end to end: the real service (startService, as `lwm2m-hub serve` runs
 * it) with its SQLite store in a temp dir and its CoAP endpoint on an ephemeral port, a device
 * imported as the CSV import records it, and the node-coap test client as the device.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/adapters/config/Config.ts';
import type { Config } from '../../../src/adapters/config/Config.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { startService } from '../../../src/main.ts';
import type { RunningService } from '../../../src/main.ts';
import { registrationStream } from '../../../src/domain/registration/RegistrationEvents.ts';
import { TestLwM2mClient } from '../../support/TestLwM2mClient.ts';
import { importTestDevice } from '../../support/TestDevices.ts';
import { RawCoapPeer } from '../../support/RawCoapPeer.ts';

const dir = mkdtempSync(join(tmpdir(), 'hub-registration-e2e-'));
const running: RunningService[] = [];
afterAll(async () => {
  for (const service of running) await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(): Config {
  return parseCommandLine(
    ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', '0', '--coap-port', '0', '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
    {},
  ).config;
}

async function start(): Promise<RunningService> {
  const service = await startService(config(), {}, silentLogger());
  running.push(service);
  return service;
}

describe('LwM2M registration through the running service', () => {
  it('registers, survives garbage, reads the device, and keeps the registration across a restart', async () => {
    const service = await start();
    await importTestDevice(service.store, 'e2e-device');
    const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint: 'e2e-device' });
    try {
      const registered = await client.register();
      expect(registered.code).toBe('2.01');

      const garbage = await RawCoapPeer.open({ address: '127.0.0.1', port: service.coap.local.port });
      for (let i = 0; i < 50; i++) garbage.sendBytes(Uint8Array.from({ length: i % 17 }, (_, j) => (i * 31 + j * 7) & 0xff));
      await garbage.close();

      expect((await client.update()).code).toBe('2.04');
      const where = service.registrations.registration('e2e-device');
      expect(where).toMatchObject({ address: '127.0.0.1', port: client.port });
      const read = await service.coap.request({ address: '127.0.0.1', port: client.port }, { method: 'GET', path: ['3303', '0', '5700'] });
      expect(new TextDecoder().decode(read.payload)).toBe('21.5');

      const stream = await service.store.readStream(registrationStream('e2e-device'));
      expect(stream.status === 'found' && stream.events.map((event) => event.type)).toEqual(['DeviceRegistered', 'RegistrationUpdated']);
      await service.close();
      running.pop();

      const restarted = await start();
      expect(restarted.registrations.registration('e2e-device')?.registrationId).toBe(registered.locationPath[1]);
    } finally {
      await client.close();
    }
  });
});
