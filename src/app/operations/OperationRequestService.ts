/**
 * Operations an operator asks for, from any entry point (the GraphQL API, the device shell, the
 * console): the values a write or a create sets are checked against their resources' validation
 * rules before the operation is queued (agent guide, validation rules), here and only here, so that
 * every entry point gets the same refusal from the application, not from its own code. A rule that
 * compares with the device's current value reads the latest reported one.
 */
import type { LwM2mPath } from '../../domain/lwm2m/LwM2mPath.ts';
import { formatPath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { OperationSpec } from '../../domain/operations/OperationEvents.ts';
import { valuesToWrite } from '../../domain/protocols/validation/WriteValidation.ts';
import type { ReadYourWrites } from '../kernel/ReadYourWrites.ts';
import type { ValidationRuleService } from '../protocols/ValidationRuleService.ts';
import type { DeviceManagementApi } from './DeviceManagementApi.ts';
import type { RequestedOperation } from './OperationDispatcher.ts';

export interface OperationRequestServiceOptions {
  readonly deviceManagement: Pick<DeviceManagementApi, 'requestOperation' | 'resources'>;
  readonly rules: Pick<ValidationRuleService, 'checkWrite'>;
  /** The latest reported values a rule compares with are read once the read models hold everything recorded so far. */
  readonly readYourWrites: Pick<ReadYourWrites, 'recorded'>;
}

export interface OperationRequestContext {
  readonly actor: string;
  readonly correlationId: string;
  /** The request as its sender named it (a shell command), for a refusal's message; the operation's kind when absent. */
  readonly refusedAs?: string;
}

export class OperationRequestService {
  readonly #options: OperationRequestServiceOptions;

  constructor(options: OperationRequestServiceOptions) {
    this.#options = options;
  }

  /**
   * Checks the values the operation sets (none for a read) against their validation rules, without
   * queueing it: an entry point that queues several operations together (the shell's input) checks
   * them all first. Throws WriteRefusedError.
   */
  async check(endpoint: string, operation: OperationSpec, refusedAs: string = operation.kind): Promise<void> {
    const values = valuesToWrite(operation);
    if (values.length === 0) return;
    const { deviceManagement, rules, readYourWrites } = this.#options;
    // Rules compare with the device's last known values: read them as of this request.
    await readYourWrites.recorded();
    await rules.checkWrite(refusedAs, values, (path) => currentValue(deviceManagement, endpoint, path));
  }

  /** Checks the operation (see `check`) and queues it; answers with its id and the position a reader of it waits for. */
  async request(endpoint: string, operation: OperationSpec, context: OperationRequestContext): Promise<RequestedOperation> {
    await this.check(endpoint, operation, context.refusedAs);
    return this.#options.deviceManagement.requestOperation(endpoint, operation, context.actor, context.correlationId);
  }
}

/** The device's latest reported value of a resource, as text; undefined when none was reported. */
function currentValue(deviceManagement: Pick<DeviceManagementApi, 'resources'>, endpoint: string, path: LwM2mPath): string | undefined {
  const text = formatPath(path);
  return deviceManagement.resources(endpoint, text).find((value) => value.path === text)?.text;
}
