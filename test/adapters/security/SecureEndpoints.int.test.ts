/**
 * The DTLS ports as the service wires them, on loopback with a memory store: a flood of handshakes with
 * made-up identities is audited only within the budget, and a real device still registers meanwhile.
 * The clients are node-dtls-client (independent of our DTLS code).
 */
import { generate, parse } from 'coap-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStoreDeviceDirectory } from '../../../src/app/devices/DeviceDirectory.ts';
import { RegistrationService } from '../../../src/app/registration/RegistrationService.ts';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { DeviceImportService } from '../../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { openSecureEndpoints } from '../../../src/adapters/security/SecureEndpoints.ts';
import type { SecureEndpoints } from '../../../src/adapters/security/SecureEndpoints.ts';
import { DeviceSecurity } from '../../../src/app/security/DeviceSecurity.ts';
import { securityStreamPrefix } from '../../../src/domain/security/SecurityStreams.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import { DtlsTestClient } from '../dtls/support/DtlsTestClient.ts';
import { csv } from '../../support/BootstrapTestData.ts';

const KEY = 'flood-test-key-1';
const store = new MemoryEventStore();
let secure: SecureEndpoints;
let security: DeviceSecurity;
let stopAudits: () => void;
let registrations: RegistrationService;

beforeAll(async () => {
  const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 5));
  const hex = Buffer.from(KEY).toString('hex');
  const row = `flood-dev;c8y_Serial;;flood-dev;c8y_lwm2m;0;1;flood-dev;coaps://127.0.0.1:5684;PSK;flood-id;${hex};flood-bs;${hex}${';'.repeat(12)}`;
  const report = await new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger: silentLogger() }).importDevices(csv(row), { actor: 'test', correlationId: 'flood' });
  expect(report.errors).toEqual([]);
  registrations = await RegistrationService.start({ store, directory: new EventStoreDeviceDirectory(store), clock: systemClock, logger: silentLogger(), expirySweepMs: 0 });
  security = new DeviceSecurity({ store, sealer, clock: systemClock, logger: silentLogger(), auditPolicy: { individualLimit: 5, windowSeconds: 3_600 } });
  const pskLookups = { lwm2m: security.keys.lwm2mLookup, bootstrap: security.keys.bootstrapLookup };
  secure = await openSecureEndpoints({ host: '127.0.0.1', lwm2mPort: 0, bootstrapPort: 0, pskLookups, sealer, clock: systemClock, logger: silentLogger() });
  stopAudits = security.auditDtlsHandshakes(secure.lwm2mTransport.server, 'lwm2m');
  secure.lwm2m.handle(security.dtlsRegistrationHandler(registrations, (peer) => secure.lwm2mTransport.sessionOf(peer)));
});

afterAll(async () => {
  await registrations.close();
  stopAudits();
  await secure.close();
  await security.audit.close();
});

async function auditEvents(): Promise<number> {
  const page = await store.readAll({ after: 0, maxCount: 1_000, filter: { streamPrefixes: [securityStreamPrefix] } });
  return page.length;
}

describe('the DTLS ports under a flood of made-up identities', () => {
  it('audits the first failures of the window, counts the rest, and keeps serving a real device', async () => {
    const attempts = 12;
    for (let i = 0; i < attempts; i++) {
      await expect(DtlsTestClient.connect(secure.lwm2m.local.port, `made-up-${i}`, 'whatever-key-123', 'TLS_PSK_WITH_AES_128_CCM_8')).rejects.toThrow();
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last audit append
    const recorded = await auditEvents();
    expect(recorded).toBe(5);
    expect(recorded + security.audit.unrecorded).toBe(attempts);

    const device = await DtlsTestClient.connect(secure.lwm2m.local.port, 'flood-id', KEY, 'TLS_PSK_WITH_AES_128_CBC_SHA256');
    try {
      device.send(
        generate({
          messageId: 7,
          token: Buffer.from([7]),
          code: 'POST',
          confirmable: true,
          options: [
            { name: 'Uri-Path', value: Buffer.from('rd') },
            { name: 'Uri-Query', value: Buffer.from('ep=flood-dev') },
          ],
          payload: Buffer.from('</3/0>'),
        }),
      );
      const [reply] = await device.waitForMessages(1);
      if (reply === undefined) throw new Error('no reply');
      expect(parse(reply).code).toBe('2.01');
      expect(registrations.registration('flood-dev')).toMatchObject({ channel: 'psk', pskIdentity: 'flood-id' });
    } finally {
      device.close();
    }
  });
});
