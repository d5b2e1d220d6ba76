/**
 * The firmware repository: the `firmwares` stream through its decider, and the
 * uploaded binaries on disk under `<dataDir>/firmware/`, one file per firmware named by its id, with
 * their SHA-256 in the event. A binary is written (to a temporary name, then renamed, so that a crash
 * never leaves a half file under a firmware's name) before the event that refers to it is appended,
 * and deleted when the append is refused or the firmware removed. Whatever the event store, packages
 * stay here: events refer to them by firmware id and SHA-256 (a pushed package is read from here when
 * the write is sent), so no event carries a package's bytes.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../domain/Clock.ts';
import { firmwareRepositoryDecider, FirmwareRepositoryError } from '../../domain/firmware/FirmwareRepositoryDecider.ts';
import type { FirmwareAdded, FirmwareSource } from '../../domain/firmware/FirmwareRepositoryEvents.ts';
import { firmwareRepositoryStream } from '../../domain/firmware/FirmwareRepositoryEvents.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import type { PackageReference } from '../../domain/operations/OperationEvents.ts';
import type { PackageSource } from '../observations/ContentReferences.ts';

export interface FirmwareRepositoryOptions {
  readonly store: EventStore;
  readonly dataDir: string;
  readonly clock: Clock;
  /** New firmware ids (random UUIDs in the service). */
  readonly newId: () => string;
  /** The process's command runner; a repository built alone (a test) runs its own. */
  readonly runner?: AggregateCommandRunner;
}

/** A firmware to add: an uploaded binary, or an external URL. */
export type NewFirmware =
  | { readonly name: string; readonly version: string; readonly binary: Uint8Array }
  | { readonly name: string; readonly version: string; readonly url: string };

export class FirmwareRepository implements PackageSource {
  readonly #options: FirmwareRepositoryOptions;
  readonly #directory: string;
  readonly #runner: AggregateCommandRunner;

  constructor(options: FirmwareRepositoryOptions) {
    this.#options = options;
    this.#runner = options.runner ?? new AggregateCommandRunner({ store: options.store });
    this.#directory = join(options.dataDir, 'firmware');
  }

  /** Stores the firmware; returns it as recorded, and the log position of its record. */
  async add(firmware: NewFirmware, actor: string): Promise<{ readonly firmware: FirmwareAdded; readonly position: number | undefined }> {
    const firmwareId = this.#options.newId();
    let source: FirmwareSource;
    let stored: string | undefined;
    if ('binary' in firmware) {
      if (firmware.binary.length === 0) throw new FirmwareRepositoryError('BAD_USER_INPUT', 'a stored firmware cannot be empty');
      const fileName = `${firmwareId}.bin`;
      stored = join(this.#directory, fileName);
      await mkdir(this.#directory, { recursive: true });
      await writeFile(`${stored}.partial`, firmware.binary);
      await rename(`${stored}.partial`, stored);
      source = { kind: 'stored', fileName, sha256: sha256Hex(firmware.binary), size: firmware.binary.length };
    } else {
      source = { kind: 'external', url: firmware.url };
    }
    try {
      const result = await this.#runner.run(firmwareRepositoryStream, firmwareRepositoryDecider, {
        type: 'AddFirmware',
        firmwareId,
        name: firmware.name,
        version: firmware.version,
        source,
        addedBy: actor,
        addedAt: this.#options.clock.now().toISOString(),
      }, { metadata: { actor } });
      const added = result.state.firmwares.get(firmwareId);
      if (!added) throw new Error(`firmware ${firmwareId} was not recorded`);
      return { firmware: added, position: result.position };
    } catch (error) {
      if (stored !== undefined) await rm(stored, { force: true });
      throw error;
    }
  }

  /** Returns the log position of the removal. */
  async remove(firmwareId: string, actor: string): Promise<{ readonly position: number | undefined }> {
    const firmware = await this.get(firmwareId);
    const { position } = await this.#runner.run(firmwareRepositoryStream, firmwareRepositoryDecider, {
      type: 'RemoveFirmware',
      firmwareId,
      removedBy: actor,
      removedAt: this.#options.clock.now().toISOString(),
    }, { metadata: { actor } });
    if (firmware?.source.kind === 'stored') await rm(join(this.#directory, firmware.source.fileName), { force: true });
    return { position };
  }

  async list(): Promise<readonly FirmwareAdded[]> {
    const { state } = await this.#runner.load(firmwareRepositoryStream, firmwareRepositoryDecider);
    return [...state.firmwares.values()];
  }

  async get(firmwareId: string): Promise<FirmwareAdded | undefined> {
    const { state } = await this.#runner.load(firmwareRepositoryStream, firmwareRepositoryDecider);
    return state.firmwares.get(firmwareId);
  }

  /**
   * The binary of a stored firmware, checked against its SHA-256 (a file changed on disk must not
   * reach devices); undefined when there is no such stored firmware.
   */
  async binary(firmwareId: string): Promise<Uint8Array | undefined> {
    const firmware = await this.get(firmwareId);
    if (firmware?.source.kind !== 'stored') return undefined;
    const bytes = await readFile(join(this.#directory, firmware.source.fileName));
    if (sha256Hex(bytes) !== firmware.source.sha256) throw new Error(`the stored binary of firmware ${firmwareId} does not match its SHA-256`);
    return bytes;
  }

  /**
   * The bytes an operation refers to: the stored firmware's binary, when its SHA-256 is the one the
   * reference names (a package replaced since would otherwise reach the device unannounced).
   */
  async packageBytes(reference: PackageReference): Promise<Uint8Array | undefined> {
    const firmware = await this.get(reference.firmwareId);
    if (firmware?.source.kind !== 'stored' || firmware.source.sha256 !== reference.sha256) return undefined;
    return this.binary(reference.firmwareId);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
