/**
 * Decommissioning a device: one command on its registration stream, decided on the events that count
 * (an import's staged events count once the import is committed) and answered with the log position
 * of what it appended, for the caller to read its write back.
 */
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { deviceStream } from '../../domain/devices/DeviceEvents.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';
import type { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import { ImportCommits } from '../kernel/ImportCommits.ts';

const schemaVersion = 1;

export interface DeviceDecommissionOptions {
  readonly store: EventStore;
  readonly runner: AggregateCommandRunner;
}

export class DeviceDecommission {
  readonly #runner: AggregateCommandRunner;
  readonly #commits: ImportCommits;

  constructor(options: DeviceDecommissionOptions) {
    this.#runner = options.runner;
    this.#commits = new ImportCommits(options.store);
  }

  /** Refused by the decider when no such device is registered or it is decommissioned already. */
  async decommission(endpoint: string, reason: string | null, context: { readonly actor: string; readonly correlationId: string }): Promise<{ readonly position: number | undefined }> {
    const { position } = await this.#runner.run(
      deviceStream(endpoint),
      deviceRegistrationDecider,
      { type: 'DecommissionDevice', endpoint, reason },
      { metadata: { actor: context.actor, correlationId: context.correlationId, schemaVersion }, counted: this.#commits.counted },
    );
    return { position };
  }
}
