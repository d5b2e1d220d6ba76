/**
 * The device shell (the guide's "Handling LwM2M shell commands"): parses an input
 * of one command per line, refuses it unless the device's SHELL column enabled the shell, checks every
 * command against the object model, the objects the device announced and the validation rules of the
 * resources it writes, and only then queues one operation per command, in order, each recorded as a
 * line of the device's shell history (`shell-<endpoint>`). A `fwupdate` line starts the firmware
 * update process instead (`../firmware/FirmwareService.ts`), which queues operations of its own; its
 * line shows the update's step and outcome.
 *
 * The whole input is checked before anything is queued: an operator who pastes five lines where the
 * third is wrong gets nothing half-done.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import { DomainError } from '../../domain/DomainError.ts';
import { deviceStream } from '../../domain/devices/DeviceEvents.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';
import type { ObjectModel } from '../../domain/lwm2m/ObjectModel.ts';
import type { StaticObjectModelCatalog } from '../../domain/lwm2m/StaticObjectModelCatalog.ts';
import type { ShellCommand } from '../../domain/shell/ShellCommand.ts';
import { checkShellCommand } from '../../domain/shell/ShellCommandChecker.ts';
import type { ShellScriptCommand, ShellSyntaxError } from '../../domain/shell/ShellCommandParser.ts';
import { parseShellScript } from '../../domain/shell/ShellCommandParser.ts';
import type { ShellFirmwareUpdateLine, ShellHistoryEvent, ShellOperationLine } from '../../domain/shell/ShellHistoryEvents.ts';
import { shellStream } from '../../domain/shell/ShellHistoryEvents.ts';
import type { ShellOperationResult } from '../../domain/shell/ShellOperationSpec.ts';
import { shellOperationSpec } from '../../domain/shell/ShellOperationSpec.ts';
import type { FirmwareUpdateView } from '../../projections/firmware/FirmwareQueries.ts';
import type { ShellHistoryQueries, ShellLineRecord } from '../../projections/shell/ShellHistoryQueries.ts';
import type { Projector } from '../../projections/Projector.ts';
import { operationsProjection } from '../../projections/operations/OperationsProjection.ts';
import { shellHistoryProjection } from '../../projections/shell/ShellHistoryProjection.ts';
import type { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import type { ReadYourWrites } from '../kernel/ReadYourWrites.ts';
import { KeyedSerializer } from '../kernel/KeyedSerializer.ts';
import { ImportCommits } from '../kernel/ImportCommits.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { FirmwareService } from '../firmware/FirmwareService.ts';
import type { DeviceManagementApi } from '../operations/DeviceManagementApi.ts';
import type { OperationRequestService } from '../operations/OperationRequestService.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';
import type { ShellNaming } from './ShellResultText.ts';
import { firmwareUpdateResultText, shellResultText } from './ShellResultText.ts';

export interface ShellServiceOptions {
  readonly store: EventStore;
  /** Reads the device's registration, as commands on it decide on it. */
  readonly runner: Pick<AggregateCommandRunner, 'load'>;
  /** The shipped object models; `uploadedModels` (the device protocols) are added to them at each call. */
  readonly catalog: StaticObjectModelCatalog;
  readonly uploadedModels?: () => Promise<readonly ObjectModel[]>;
  readonly registrations: RegistrationLookup;
  /** Checks each command's operation against the validation rules, and queues it. */
  readonly operationRequests: Pick<OperationRequestService, 'check' | 'request'>;
  /** Each change of an operation: the end of a line's operation. */
  readonly deviceManagement: Pick<DeviceManagementApi, 'onOperationUpdated'>;
  /** Runs `fwupdate`. */
  readonly firmware: Pick<FirmwareService, 'updateFromUrl' | 'updates' | 'onUpdateChanged'>;
  readonly history: ShellHistoryQueries;
  /** Each event the read models project: the shell history's live updates. */
  readonly readModels: Pick<Projector, 'onProjected'>;
  readonly readYourWrites: ReadYourWrites;
  readonly clock: Clock;
}

export interface ShellRequestContext {
  readonly actor: string;
  readonly correlationId: string;
}

export type ShellLineStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'cancelled';

/**
 * A line of the shell history as the API shows it. A `fwupdate` line is `sent` while its firmware
 * update runs, and ends with it.
 */
export interface ShellLineView extends Omit<ShellLineRecord, 'operation' | 'firmwareUpdate'> {
  readonly status: ShellLineStatus;
  readonly responseCode: string | null;
  readonly completedAt: Date | null;
  /** Readable: values named by the object model, the created location, the update's step, or why it failed; null while under way. */
  readonly result: string | null;
  /** The firmware update of a `fwupdate` line. */
  readonly firmwareUpdate: FirmwareUpdateView | null;
}

export interface ShellRun {
  readonly endpoint: string;
  readonly runId: string;
  readonly lines: readonly ShellLineView[];
}

export interface ShellRunOptions {
  /** How long to wait for the lines' operations (and firmware updates) to end before answering; 0 answers once they are queued. */
  readonly waitMs?: number;
}

/** Grammar errors of a shell input: each with its line, column, the expected form and the command's usage. */
export class ShellGrammarError extends DomainError {
  constructor(errors: readonly ShellSyntaxError[]) {
    super('BAD_USER_INPUT', errors.map((error) => error.message).join('; '), {
      errors: errors.map(({ line, column, expected, usage }) => ({ line, column, expected, usage })),
    });
  }
}

const MAX_WAIT_MS = 120_000;
const MAX_INPUT_LINES = 100;

export class ShellService {
  readonly #options: ShellServiceOptions;
  /** The shipped models with the device protocols as last read: names the results of later changes. */
  #catalog: StaticObjectModelCatalog;
  readonly #serializer = new KeyedSerializer();
  readonly #commits: ImportCommits;

  constructor(options: ShellServiceOptions) {
    this.#options = options;
    this.#catalog = options.catalog;
    this.#commits = new ImportCommits(options.store);
  }

  async run(endpoint: string, input: string, context: ShellRequestContext, runOptions: ShellRunOptions = {}): Promise<ShellRun> {
    const commands = parseInput(input);
    // One input at a time per device: its operations are queued together, in the order of its lines.
    const { runId, position, naming } = await this.#serializer.run(endpoint, () => this.#queue(endpoint, commands, context));
    // Read your writes: the history holds the lines before the answer.
    await this.#options.readYourWrites.written(position);
    const waitMs = Math.min(Math.max(runOptions.waitMs ?? 0, 0), MAX_WAIT_MS);
    const lines = (): ShellLineView[] => this.#options.history.run(runId).map((line) => toView(line, naming));
    if (waitMs > 0) await this.#waitUntilEnded(endpoint, () => lines().every(isEnded), waitMs);
    return { endpoint, runId, lines: lines() };
  }

  async #queue(endpoint: string, commands: readonly ShellScriptCommand[], context: ShellRequestContext): Promise<{ runId: string; position: number; naming: ShellNaming }> {
    await this.#requireShellEnabled(endpoint);
    const { store, operationRequests, clock } = this.#options;
    await this.#refreshCatalog();
    const naming = this.#naming(endpoint);
    const steps = await this.#checkAll(endpoint, commands, naming);
    const runId = randomUUID();
    let position = 0;
    for (const [index, step] of steps.entries()) {
      const command = commands[index] as ShellScriptCommand;
      let carrier: ShellOperationLine | ShellFirmwareUpdateLine;
      try {
        carrier =
          step.kind === 'operation'
            ? { operationId: (await operationRequests.request(endpoint, step.operation, { ...context, refusedAs: command.command.kind })).operationId, operationKind: step.operation.kind }
            : { firmwareUpdateId: (await this.#options.firmware.updateFromUrl(endpoint, step.firmwareUpdate, context.actor)).updateId };
      } catch (error) {
        // The queue refused it (full), a validation rule changed since the check, or the update could not start (object 5 unreadable): the lines
        // before it stay queued and in the history.
        throw onLine(command.line, error);
      }
      const event: ShellHistoryEvent = {
        type: 'ShellCommandQueued',
        data: {
          endpoint,
          runId,
          line: command.line,
          text: command.text,
          command: command.command.kind,
          ...carrier,
          requestedBy: context.actor,
          requestedAt: clock.now().toISOString(),
        },
      };
      const appended = await store.appendToStream(shellStream(endpoint), [{ type: event.type, data: { ...event.data }, metadata: { actor: context.actor, correlationId: context.correlationId } }], 'any');
      position = appended.position;
    }
    return { runId, position, naming };
  }

  /** The device's shell history, oldest line first, after position `afterPosition`. */
  async history(endpoint: string, first: number, afterPosition: number): Promise<{ lines: readonly ShellLineView[]; hasNextPage: boolean; totalCount: number }> {
    await this.#refreshCatalog();
    const page = this.#options.history.page(endpoint, first, afterPosition);
    const naming = this.#naming(endpoint);
    return { lines: page.lines.map((line) => toView(line, naming)), hasNextPage: page.hasNextPage, totalCount: page.totalCount };
  }

  /** Each change of a shell line of the device (queued, sent, answered; a firmware update's steps). Returns the unsubscribe. */
  onLineUpdated(endpoint: string, listener: (line: ShellLineView) => void): () => void {
    const { history, readModels, firmware } = this.#options;
    const emit = (line: ShellLineRecord | undefined): void => {
      if (line !== undefined && line.endpoint === endpoint) listener(toView(line, this.#naming(endpoint)));
    };
    const stopLines = readModels.onProjected(({ projection, event }) => {
      const data = event.data;
      if ((projection !== operationsProjection.name && projection !== shellHistoryProjection.name) || data === null || typeof data !== 'object' || Array.isArray(data)) return;
      const { operationId, firmwareUpdateId } = data;
      if (typeof operationId === 'string') emit(history.byOperation(operationId));
      else if (projection === shellHistoryProjection.name && typeof firmwareUpdateId === 'string') emit(history.byFirmwareUpdate(firmwareUpdateId));
    });
    const stopUpdates = firmware.onUpdateChanged(endpoint, (update) => emit(history.byFirmwareUpdate(update.updateId)));
    return () => {
      stopLines();
      stopUpdates();
    };
  }

  async #requireShellEnabled(endpoint: string): Promise<void> {
    const { state } = await this.#options.runner.load(deviceStream(endpoint), deviceRegistrationDecider, { counted: this.#commits.counted });
    if (state.status === 'unknown') throw new DomainError('NOT_FOUND', `no device ${endpoint}`, { endpoint });
    if (state.status === 'decommissioned') throw new DomainError('FORBIDDEN', `device ${endpoint} is decommissioned: its shell is closed`, { endpoint });
    if (!state.registration.shellEnabled) {
      throw new DomainError('FORBIDDEN', `the shell is disabled for device ${endpoint}: set its SHELL column to 1 in the device CSV and import it again`, { endpoint });
    }
  }

  /**
   * Every command's operation or firmware update, or the first refusal (naming its line): of the model,
   * of the validation rules (the operation request service's check), of a second firmware update.
   * Nothing is queued before all pass.
   */
  async #checkAll(endpoint: string, commands: readonly ShellScriptCommand[], naming: ShellNaming): Promise<ShellOperationResult[]> {
    // One firmware update at a time per device (the update process refuses a second one).
    let updating = this.#options.firmware.updates(endpoint).some((update) => update.status === 'running');
    const steps: ShellOperationResult[] = [];
    for (const { line, command } of commands) {
      try {
        const step = this.#stepOf(endpoint, command, naming);
        if (step.kind === 'firmware-update') {
          if (updating) throw new DomainError('CONFLICT', `fwupdate refused: ${endpoint} is already updating its firmware`, { command: command.kind });
          updating = true;
        } else {
          await this.#options.operationRequests.check(endpoint, step.operation, command.kind);
        }
        steps.push(step);
      } catch (error) {
        throw onLine(line, error);
      }
    }
    return steps;
  }

  /** The command's operation or firmware update; throws the refusal of the model. */
  #stepOf(endpoint: string, command: ShellCommand, naming: ShellNaming): ShellOperationResult {
    const context = { catalog: naming.catalog, ...(naming.deviceObjects === undefined ? {} : { deviceObjects: naming.deviceObjects }) };
    checkShellCommand(command, context);
    const registration = this.#options.registrations.registration(endpoint);
    return shellOperationSpec(command, {
      ...context,
      ...(registration === undefined ? {} : { lwm2mVersion: registration.lwm2mVersion }),
      announcedInstances: (objectId) =>
        (registration?.objectLinks.objects ?? []).flatMap((link) => (link.objectId === objectId && link.instanceId !== null ? [link.instanceId] : [])),
    });
  }

  async #refreshCatalog(): Promise<void> {
    const { catalog, uploadedModels } = this.#options;
    if (uploadedModels !== undefined) this.#catalog = catalog.withObjects(await uploadedModels());
  }

  #naming(endpoint: string): ShellNaming {
    const registration = this.#options.registrations.registration(endpoint);
    if (registration === undefined) return { catalog: this.#catalog };
    const deviceObjects = new Map<number, string>();
    // Core 1.1 section 6.2.1: an object without `ver` is at version 1.0.
    for (const link of registration.objectLinks.objects) if (link.instanceId === null || !deviceObjects.has(link.objectId)) deviceObjects.set(link.objectId, link.version ?? '1.0');
    return { catalog: this.#catalog, deviceObjects };
  }

  async #waitUntilEnded(endpoint: string, ended: () => boolean, waitMs: number): Promise<void> {
    const { deviceManagement, firmware } = this.#options;
    if (ended()) return;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        stopOperations();
        stopUpdates();
        resolve();
      };
      const check = (): void => {
        if (ended()) finish();
      };
      const timer = setTimeout(finish, waitMs);
      const stopOperations = deviceManagement.onOperationUpdated(check);
      const stopUpdates = firmware.onUpdateChanged(endpoint, check);
    });
  }
}

function parseInput(input: string): readonly ShellScriptCommand[] {
  const parsed = parseShellScript(input);
  if (!parsed.ok) throw new ShellGrammarError(parsed.errors);
  if (parsed.commands.length === 0) throw new DomainError('BAD_USER_INPUT', 'the input holds no command', {});
  if (parsed.commands.length > MAX_INPUT_LINES) {
    throw new DomainError('BAD_USER_INPUT', `at most ${MAX_INPUT_LINES} commands per input (got ${parsed.commands.length})`, { commands: parsed.commands.length });
  }
  return parsed.commands;
}

/** Names the input line in a refusal, so that a multi-line input says which command failed. */
function onLine(line: number, error: unknown): unknown {
  return error instanceof DomainError ? new DomainError(error.code, `line ${line}: ${error.message}`, { ...error.details, line }) : error;
}

function isEnded(line: ShellLineView): boolean {
  return line.status === 'succeeded' || line.status === 'failed' || line.status === 'cancelled';
}

function toView(record: ShellLineRecord, naming: ShellNaming): ShellLineView {
  const { operation, firmwareUpdate, ...line } = record;
  if (record.firmwareUpdateId !== null) {
    return {
      ...line,
      status: firmwareUpdate === undefined ? 'pending' : firmwareUpdate.status === 'running' ? 'sent' : firmwareUpdate.status,
      responseCode: null,
      completedAt: firmwareUpdate?.endedAt ?? null,
      result: firmwareUpdateResultText(firmwareUpdate),
      firmwareUpdate: firmwareUpdate ?? null,
    };
  }
  return {
    ...line,
    status: operation?.status ?? 'pending',
    responseCode: operation?.responseCode ?? null,
    completedAt: operation?.completedAt ?? null,
    result: shellResultText(operation, naming),
    firmwareUpdate: null,
  };
}
