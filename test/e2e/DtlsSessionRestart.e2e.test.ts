/**
 * DTLS sessions outlive an orderly restart (Californium's "graceful restart"): a device registers over
 * DTLS with node-dtls-client (an implementation independent of ours), the service stops and starts on
 * the same data directory and port, and the device's next request goes over its old session and is
 * answered; the new service ran no handshake. The state file is sealed, private to the service's user,
 * and consumed by the start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { registrationStream } from '../../src/domain/registration/RegistrationEvents.ts';
import { csv, hexBytes, minimalPskRow } from '../support/BootstrapTestData.ts';
import { DtlsCoapSession } from '../support/DtlsCoapSession.ts';
import { waitForStreamEvent } from '../support/StreamEvents.ts';
import { importTestDevices, startTestService } from './TestService.ts';

const DEVICE = {
  endpoint: 'dtls-restart-1',
  lwm2mPskId: 'dtls-restart-id-1',
  lwm2mPskKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  bootstrapPskId: 'dtls-restart-bs-1',
  bootstrapPskKey: '00112233445566778899aabbccddeeff',
};

const dir = mkdtempSync(join(tmpdir(), 'hub-dtls-restart-'));
const stateFile = join(dir, 'dtls-sessions-lwm2m.sealed');
let service: RunningService | undefined;
let device: DtlsCoapSession | undefined;

beforeAll(async () => {
  service = await startTestService(dir);
  await importTestDevices(service, csv(minimalPskRow(DEVICE)));
});

afterAll(async () => {
  device?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

function running(): RunningService {
  if (service === undefined) throw new Error('the service is not running');
  return service;
}

describe('DTLS sessions across a restart of the service', () => {
  it('answers a device over its old session after a stop and a start, without a handshake', async () => {
    const port = running().secure.lwm2m.local.port;
    const session = await DtlsCoapSession.connect(
      { host: '127.0.0.1', port, identity: DEVICE.lwm2mPskId, key: hexBytes(DEVICE.lwm2mPskKey), cipher: 'TLS_PSK_WITH_AES_128_CCM_8' },
      () => ({ code: '4.04' }),
    );
    device = session;
    const registered = await session.request('POST', ['rd'], [`ep=${DEVICE.endpoint}`, 'lt=600', 'lwm2m=1.1', 'b=U'], { format: 40, payload: Buffer.from('</1/0>,</3/0>') });
    expect(registered.code).toBe('2.01');
    const location = registered.options.filter((option) => option.name === 'Location-Path').map((option) => option.value.toString());

    await running().close();
    service = undefined;
    // Sealed: neither the PSK identity nor anything readable is in the file, and only the service's user reads it.
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(stateFile, 'utf8')).not.toContain(DEVICE.lwm2mPskId);

    service = await startTestService(dir, ['--coaps-port', String(port)]);
    const handshakes: string[] = [];
    running().secure.lwm2mTransport.server.on('sessionEstablished', (info) => handshakes.push(info.pskIdentity.toString()));
    expect(existsSync(stateFile)).toBe(false);
    expect(running().secure.lwm2mTransport.server.sessionCount()).toBe(1);

    const updated = await session.request('POST', location, ['lt=900']);
    expect(updated.code).toBe('2.04');
    const update = await waitForStreamEvent(running().store, registrationStream(DEVICE.endpoint), 'RegistrationUpdated');
    expect(update.data).toMatchObject({ lifetime: 900 });
    expect(handshakes).toEqual([]);
  });
});
