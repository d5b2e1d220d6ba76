/**
 * The firmware application API for GraphQL and the shell: the repository, starting an
 * update, each device's updates, and their changes as the projector commits them, so that a
 * subscriber sees exactly what the queries then return.
 */
import { DomainError } from '../../domain/DomainError.ts';
import type { Projector } from '../../projections/Projector.ts';
import type { FirmwareQueries, FirmwareUpdateView, FirmwareView } from '../../projections/firmware/FirmwareQueries.ts';
import type { FirmwareRepository, NewFirmware } from './FirmwareRepository.ts';
import type { FirmwareUpdateRunner } from './FirmwareUpdateRunner.ts';
import type { ReadYourWrites } from '../kernel/ReadYourWrites.ts';

export interface FirmwareServiceOptions {
  readonly repository: FirmwareRepository;
  readonly runner: FirmwareUpdateRunner;
  readonly queries: FirmwareQueries;
  /** Each event the read models project: the updates' live changes. */
  readonly projector: Pick<Projector, 'onProjected'>;
  /** An answer that follows a change is read once the read models hold it. */
  readonly readYourWrites: Pick<ReadYourWrites, 'written'>;
}

export class FirmwareService {
  readonly #options: FirmwareServiceOptions;

  constructor(options: FirmwareServiceOptions) {
    this.#options = options;
  }

  firmwares(): readonly FirmwareView[] {
    return this.#options.queries.firmwares();
  }

  firmware(firmwareId: string): FirmwareView | undefined {
    return this.#options.queries.firmware(firmwareId);
  }

  async add(firmware: NewFirmware, actor: string): Promise<FirmwareView> {
    const { firmware: added, position } = await this.#options.repository.add(firmware, actor);
    await this.#options.readYourWrites.written(position);
    return this.#found(this.#options.queries.firmware(added.firmwareId), `firmware ${added.firmwareId}`);
  }

  async remove(firmwareId: string, actor: string): Promise<void> {
    const { position } = await this.#options.repository.remove(firmwareId, actor);
    await this.#options.readYourWrites.written(position);
  }

  async startUpdate(endpoint: string, firmwareId: string, actor: string): Promise<FirmwareUpdateView> {
    const { updateId, position } = await this.#options.runner.start(endpoint, firmwareId, actor);
    await this.#options.readYourWrites.written(position);
    return this.#found(this.#options.queries.update(updateId), `firmware update ${updateId}`);
  }

  /**
   * The shell's `fwupdate NAME VERSION URL`: the repository's firmware of that name and version, or a
   * new external one with the URL, then an update to it.
   */
  async updateFromUrl(endpoint: string, firmware: { readonly name: string; readonly version: string; readonly url: string }, actor: string): Promise<FirmwareUpdateView> {
    const known = this.firmwares().find((each) => each.name === firmware.name.trim() && each.version === firmware.version.trim());
    const firmwareId = known ? known.firmwareId : (await this.add(firmware, actor)).firmwareId;
    return this.startUpdate(endpoint, firmwareId, actor);
  }

  updates(endpoint: string): readonly FirmwareUpdateView[] {
    return this.#options.queries.updates(endpoint);
  }

  /** Every change of an update (of `endpoint`, or of every device), as the read model has it after the change. */
  onUpdateChanged(endpoint: string | undefined, listener: (update: FirmwareUpdateView) => void): () => void {
    return this.#options.projector.onProjected(({ projection, event }) => {
      if (projection !== 'firmware' || !event.type.startsWith('FirmwareUpdate')) return;
      const data = event.data;
      const updateId = data !== null && typeof data === 'object' && !Array.isArray(data) ? data['updateId'] : undefined;
      if (typeof updateId !== 'string') return;
      const view = this.#options.queries.update(updateId);
      if (view && (endpoint === undefined || view.endpoint === endpoint)) listener(view);
    });
  }

  #found<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new DomainError('NOT_FOUND', `${what} is not in the read model`);
    return value;
  }
}
