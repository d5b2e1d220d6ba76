/**
 * The shell on the device-management stack (`../operations/DeviceManagementHarness.ts`: SQLite store,
 * projector, real UDP endpoint), with the device protocol service and its validation rules, the
 * firmware update process, and a test LwM2M client (objects 1, 3, 3303; or with object 5) registered
 * for a device whose shell is enabled or not.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { systemClock } from '../../../src/domain/Clock.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { DeviceProtocolService } from '../../../src/app/protocols/DeviceProtocolService.ts';
import { ValidationRuleService } from '../../../src/app/protocols/ValidationRuleService.ts';
import { OperationRequestService } from '../../../src/app/operations/OperationRequestService.ts';
import { ShellService } from '../../../src/app/shell/ShellService.ts';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import { ReadYourWrites } from '../../../src/app/kernel/ReadYourWrites.ts';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { FirmwareQueries } from '../../../src/projections/firmware/FirmwareQueries.ts';
import { OperationQueries } from '../../../src/projections/operations/OperationQueries.ts';
import { ShellHistoryQueries } from '../../../src/projections/shell/ShellHistoryQueries.ts';
import { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';
import { TestLwM2mClient } from '../../support/TestLwM2mClient.ts';
import { TestDeviceObjects } from '../../support/TestDeviceObjects.ts';
import { TestFirmwareObject } from '../../support/TestFirmwareObject.ts';
import type { TestFirmwareObjectOptions } from '../../support/TestFirmwareObject.ts';
import { importTestRegistration, testDeviceData } from '../../support/TestDevices.ts';
import type { Harness } from '../operations/DeviceManagementHarness.ts';
import { startHarness } from '../operations/DeviceManagementHarness.ts';
import { firmwareOn } from '../firmware/FirmwareHarness.ts';

export const links = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>';

export interface ShellHarness {
  readonly harness: Harness;
  readonly shell: ShellService;
  readonly protocols: DeviceProtocolService;
  readonly rules: ValidationRuleService;
  /** A device with the test client's objects, registered with `lwm2mVersion` (1.1 by default). */
  device(endpoint: string, shellEnabled?: boolean, objectLinks?: string, lwm2mVersion?: string): Promise<{ client: TestLwM2mClient; objects: TestDeviceObjects }>;
  /** A device with the test client's object 5, which registers again when it restarts into a new firmware. */
  firmwareDevice(endpoint: string, options: TestFirmwareObjectOptions): Promise<{ client: TestLwM2mClient; firmware: TestFirmwareObject }>;
  close(): Promise<void>;
}

export async function startShellHarness(): Promise<ShellHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-shell-'));
  const harness = await startHarness(dir, { clock: systemClock });
  // A second connection to the read models' file, as the GraphQL layer reads them beside the projector.
  const readModels = ReadModelDatabase.open(dir);
  const protocols = new DeviceProtocolService({ store: harness.store, feed: harness.feed, clock: systemClock, logger: silentLogger() });
  const rules = new ValidationRuleService({ store: harness.store, protocols });
  const sealer = new AesGcmSecretSealer(randomBytes(32));
  const firmware = firmwareOn(
    { store: harness.store, api: harness.api, registrations: harness.registrations, projector: harness.projector, db: readModels.db, dataDir: dir, sealer },
    10_000,
  );
  const readYourWrites = new ReadYourWrites({ readModels: harness.projector, log: harness.store });
  const shell = new ShellService({
    store: harness.store,
    runner: new AggregateCommandRunner({ store: harness.store }),
    catalog: coreObjectCatalog(),
    uploadedModels: () => protocols.uploadedModels(),
    registrations: harness.registrations,
    operationRequests: new OperationRequestService({ deviceManagement: harness.api, rules, readYourWrites }),
    deviceManagement: harness.api,
    firmware: firmware.service,
    history: new ShellHistoryQueries(readModels.db, new OperationQueries(readModels.db), new FirmwareQueries(readModels.db)),
    readModels: harness.projector,
    readYourWrites,
    clock: systemClock,
  });
  const clients: TestLwM2mClient[] = [];
  const importDevice = async (endpoint: string, shellEnabled: boolean): Promise<void> => {
    await importTestRegistration(harness.store, { ...testDeviceData(endpoint), shellEnabled });
  };
  return {
    harness,
    shell,
    protocols,
    rules,
    async device(endpoint, shellEnabled = true, objectLinks = links, lwm2mVersion = '1.1') {
      await importDevice(endpoint, shellEnabled);
      const objects = new TestDeviceObjects();
      const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: harness.coap.local.port, endpoint, lifetime: 600, objectLinks, lwm2mVersion, device: objects });
      clients.push(client);
      expect((await client.register()).code).toBe('2.01');
      return { client, objects };
    },
    async firmwareDevice(endpoint, options) {
      await importDevice(endpoint, true);
      const device = new TestFirmwareObject(new TestDeviceObjects(), options);
      const objectLinks = '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</5/0>';
      const client = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: harness.coap.local.port, endpoint, lifetime: 600, objectLinks, device });
      clients.push(client);
      device.onRestart = async () => {
        await client.register();
      };
      expect((await client.register()).code).toBe('2.01');
      return { client, firmware: device };
    },
    async close() {
      firmware.runner.close();
      for (const client of clients) await client.close();
      await harness.close();
      readModels.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
