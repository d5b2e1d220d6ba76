/**
 * Operations an API client asks for: the values a write or a create sets are checked against their
 * resources' validation rules before the operation is queued (agent guide, validation rules), so that
 * every entry point that queues operations gets the same refusal from the application, not from its
 * own code. A rule that compares with the device's current value reads the latest reported one.
 */
import type { LwM2mPath } from '../../domain/lwm2m/LwM2mPath.ts';
import { formatPath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { OperationSpec } from '../../domain/operations/OperationEvents.ts';
import { writesValues } from '../../domain/operations/OperationEvents.ts';
import type { ValidationRuleService, ValueToWrite } from '../protocols/ValidationRuleService.ts';
import type { DeviceManagementApi } from './DeviceManagementApi.ts';

export interface OperationRequestServiceOptions {
  readonly deviceManagement: Pick<DeviceManagementApi, 'requestOperation' | 'resources'>;
  readonly rules: Pick<ValidationRuleService, 'checkWrite'>;
}

export class OperationRequestService {
  readonly #options: OperationRequestServiceOptions;

  constructor(options: OperationRequestServiceOptions) {
    this.#options = options;
  }

  /** Checks the values the operation sets (none for a read) and queues the operation; answers with its id. */
  async request(endpoint: string, operation: OperationSpec, context: { readonly actor: string; readonly correlationId: string }): Promise<string> {
    const { deviceManagement, rules } = this.#options;
    await rules.checkWrite(writtenTexts(operation), (path) => currentValue(deviceManagement, endpoint, path));
    return deviceManagement.requestOperation(endpoint, operation, context.actor, context.correlationId);
  }
}

/** The texts a write sets; a value given by reference (a firmware package, a sealed text) has none a rule could check. */
function writtenTexts(operation: OperationSpec): ValueToWrite[] {
  return writesValues(operation) ? operation.content.values.flatMap((value) => ('text' in value ? [value] : [])) : [];
}

/** The device's latest reported value of a resource, as text; undefined when none was reported. */
export function currentValue(deviceManagement: Pick<DeviceManagementApi, 'resources'>, endpoint: string, path: LwM2mPath): string | undefined {
  const text = formatPath(path);
  return deviceManagement.resources(endpoint, text).find((value) => value.path === text)?.text;
}
