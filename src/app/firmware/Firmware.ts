/**
 * The firmware feature as the service wires it: on the repository and the package access (built first,
 * as the LwM2M server's CoAP endpoint serves packages with `firmwarePackageCoapHandler`), the update
 * runner on the device management API and the application service for GraphQL and the shell.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../domain/Clock.ts';
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import { FirmwareQueries } from '../../projections/firmware/FirmwareQueries.ts';
import type { Projector } from '../../projections/Projector.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { DeviceManagementApi } from '../operations/DeviceManagementApi.ts';
import type { FirmwarePackageAccess } from './FirmwarePackageAccess.ts';
import type { FirmwareRepository } from './FirmwareRepository.ts';
import { FirmwareService } from './FirmwareService.ts';
import { FirmwareUpdateRunner } from './FirmwareUpdateRunner.ts';
import type { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import type { LogFeed } from '../kernel/LogFeed.ts';

export interface FirmwareOptions {
  readonly store: EventStore;
  readonly repository: FirmwareRepository;
  /** Who may fetch a package; shared with the CoAP package resource. */
  readonly access: FirmwarePackageAccess;
  /** Seals the HTTP access tokens of updates. */
  readonly sealer: SecretSealer;
  readonly deviceManagement: DeviceManagementApi;
  readonly projector: Projector;
  /** The read models' database. */
  readonly db: DatabaseSync;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The URIs under which the service serves a stored firmware, CoAP first (see firmwarePackageUri). */
  readonly packageUris: (firmwareId: string) => readonly string[];
  /** How long an update may take; 30 minutes by default. */
  readonly updateTimeoutMs?: number;
  /** The process's command runner and log feed (see FirmwareUpdateRunnerOptions). */
  readonly commands?: AggregateCommandRunner;
  readonly feed?: LogFeed;
}

export interface Firmware {
  readonly service: FirmwareService;
  /** Takes up the updates under way when the service last stopped; returns how many. */
  resume(): Promise<number>;
  close(): void;
}

export function startFirmware(options: FirmwareOptions): Firmware {
  const { store, repository, clock, logger } = options;
  const runner = new FirmwareUpdateRunner({
    store,
    api: options.deviceManagement,
    repository,
    clock,
    logger: logger.child({ component: 'firmware' }),
    newId: randomUUID,
    packageUris: options.packageUris,
    timeoutMs: options.updateTimeoutMs ?? 30 * 60_000,
    access: options.access,
    sealer: options.sealer,
    newAccessToken: () => randomBytes(32),
    runner: options.commands,
    feed: options.feed,
  });
  const service = new FirmwareService({ store, repository, runner, queries: new FirmwareQueries(options.db), projector: options.projector });
  return {
    service,
    resume: () => runner.resume(),
    close: () => runner.close(),
  };
}
