/**
 * Read-your-writes, the same for every entry point (the GraphQL API, the device shell, firmware
 * updates): an answer that follows a write is read from the read models once they hold that write.
 * An application service returns the log position of what it appended; its caller waits here for
 * that position. Only where a read must see everything recorded so far, by anyone (the latest values
 * a device reported, which a validation rule compares with), is the log's head the position.
 */
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Projector } from '../../projections/Projector.ts';

export interface ReadYourWritesOptions {
  readonly readModels: Pick<Projector, 'waitFor'>;
  readonly log: Pick<EventStore, 'headPosition'>;
}

export class ReadYourWrites {
  readonly #options: ReadYourWritesOptions;

  constructor(options: ReadYourWritesOptions) {
    this.#options = options;
  }

  /** Resolves once the read models have applied the write at `position`; at once when nothing was appended. */
  async written(position: number | undefined): Promise<void> {
    if (position !== undefined) await this.#options.readModels.waitFor(position);
  }

  /** Resolves once the read models hold everything appended to the log until now. */
  async recorded(): Promise<void> {
    await this.#options.readModels.waitFor(await this.#options.log.headPosition());
  }
}
