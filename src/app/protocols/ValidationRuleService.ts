/**
 * The application service of validation rules (the guide's "Adding validation rules to resources"):
 * adds and removes rule groups of a resource, and lists them. The groups live on the device
 * protocol's stream `protocol-<objectId>`, beside the protocol's own events, so the decider here
 * folds only the validation rule events of that stream.
 *
 * The rules belong to the object's resource, whatever the protocol version: the resource's model
 * (its type and operations, which the rules are checked against) is taken from the newest version
 * that defines the resource.
 *
 * `checkWrite` applies them to the values an operation sets before it is queued (the guide: a value
 * that breaks the rules is not written), for every entry point (`../operations/OperationRequestService.ts`).
 */
import type { Decider } from '../../domain/Decider.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { LwM2mPath } from '../../domain/lwm2m/LwM2mPath.ts';
import { parsePath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { ResourceModel } from '../../domain/lwm2m/ObjectModel.ts';
import { compareObjectVersions, findResource } from '../../domain/lwm2m/ObjectModel.ts';
import { protocolStream } from '../../domain/protocols/DeviceProtocolEvents.ts';
import type { ValidationRule, ValidationRuleGroup } from '../../domain/protocols/validation/ValidationRule.ts';
import type { ValidationRuleEvent } from '../../domain/protocols/validation/ValidationRuleEvents.ts';
import { isValidationRuleEvent } from '../../domain/protocols/validation/ValidationRuleEvents.ts';
import type { ValidationRuleSetCommand, ValidationRuleSetState } from '../../domain/protocols/validation/ValidationRuleSetDecider.ts';
import { ruleGroupsOf, validationRuleSetDecider } from '../../domain/protocols/validation/ValidationRuleSetDecider.ts';
import type { ValueToWrite } from '../../domain/protocols/validation/WriteValidation.ts';
import { checkWriteRules } from '../../domain/protocols/validation/WriteValidation.ts';
import type { DeviceProtocolService, RequestContext } from './DeviceProtocolService.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';

export interface AddRuleGroupRequest {
  readonly objectId: number;
  readonly resourceId: number;
  readonly groupId: string;
  readonly rules: readonly ValidationRule[];
}

export interface RemoveRuleGroupRequest {
  readonly objectId: number;
  readonly resourceId: number;
  readonly groupId: string;
}

export interface RuleGroupChange {
  /** The resource's groups after the change, in the order they were added. */
  readonly groups: readonly ValidationRuleGroup[];
  readonly position: number | undefined;
}

/** The validation rule decider on the protocol stream: the protocol's own events leave its state alone. */
const onProtocolStream: Decider<ValidationRuleSetCommand, ValidationRuleEvent, ValidationRuleSetState> = {
  initialState: validationRuleSetDecider.initialState,
  decide: (command, state) => validationRuleSetDecider.decide(command, state),
  evolve: (state, event) => (isValidationRuleEvent(event) ? validationRuleSetDecider.evolve(state, event) : state),
};

export interface ValidationRuleServiceOptions {
  readonly store: EventStore;
  readonly protocols: DeviceProtocolService;
  /** The process's command runner; a service built alone (a test, the CLI) runs its own. */
  readonly runner?: AggregateCommandRunner;
}

export class ValidationRuleService {
  readonly #runner: AggregateCommandRunner;
  readonly #protocols: DeviceProtocolService;

  constructor(options: ValidationRuleServiceOptions) {
    this.#runner = options.runner ?? new AggregateCommandRunner({ store: options.store });
    this.#protocols = options.protocols;
  }

  /** Every resource's groups of one object (read from its stream). */
  async ruleSet(objectId: number): Promise<ValidationRuleSetState> {
    return (await this.#runner.load(protocolStream(objectId), onProtocolStream)).state;
  }

  async ruleGroups(objectId: number, resourceId: number): Promise<readonly ValidationRuleGroup[]> {
    return ruleGroupsOf(await this.ruleSet(objectId), objectId, resourceId);
  }

  /** Throws NOT_FOUND without a protocol or resource, BAD_USER_INPUT for rules that cannot apply, CONFLICT for a taken group id. */
  async addRuleGroup(request: AddRuleGroupRequest, context: RequestContext): Promise<RuleGroupChange> {
    const resource = await this.#resourceModel(request.objectId, request.resourceId);
    const result = await this.#runner.run(
      protocolStream(request.objectId),
      onProtocolStream,
      { type: 'AddValidationRuleGroup', objectId: request.objectId, resource, groupId: request.groupId, rules: request.rules },
      { metadata: { actor: context.actor, correlationId: context.correlationId, schemaVersion: 1 } },
    );
    return { groups: ruleGroupsOf(result.state, request.objectId, request.resourceId), position: result.position };
  }

  /** Throws NOT_FOUND when the resource has no group of that id. */
  async removeRuleGroup(request: RemoveRuleGroupRequest, context: RequestContext): Promise<RuleGroupChange> {
    const result = await this.#runner.run(
      protocolStream(request.objectId),
      onProtocolStream,
      { type: 'RemoveValidationRuleGroup', objectId: request.objectId, resourceId: request.resourceId, groupId: request.groupId },
      { metadata: { actor: context.actor, correlationId: context.correlationId, schemaVersion: 1 } },
    );
    return { groups: ruleGroupsOf(result.state, request.objectId, request.resourceId), position: result.position };
  }

  /**
   * Throws WriteRefusedError (BAD_USER_INPUT, every rejection in `details.rejections`) when a value
   * breaks its resource's rules; `refusedAs` names the request in its message. `currentValue` gives
   * the device's current value of a resource that a rule compares with.
   */
  async checkWrite(refusedAs: string, values: readonly ValueToWrite[], currentValue: (path: LwM2mPath) => string | undefined): Promise<void> {
    const groups = new Map<string, readonly ValidationRuleGroup[]>();
    const resources = new Map<string, ResourceModel | undefined>();
    const ruleSets = new Map<number, ValidationRuleSetState>();
    for (const value of values) {
      const { objectId, resourceId } = parsePath(value.path);
      if (resourceId === undefined || groups.has(`${objectId}/${resourceId}`)) continue;
      const ruleSet = ruleSets.get(objectId) ?? (await this.ruleSet(objectId));
      ruleSets.set(objectId, ruleSet);
      const resourceGroups = ruleGroupsOf(ruleSet, objectId, resourceId);
      groups.set(`${objectId}/${resourceId}`, resourceGroups);
      if (resourceGroups.length > 0) resources.set(`${objectId}/${resourceId}`, await this.#findResourceModel(objectId, resourceId));
    }
    checkWriteRules(refusedAs, values, {
      ruleGroups: (objectId, resourceId) => groups.get(`${objectId}/${resourceId}`) ?? [],
      resource: (objectId, resourceId) => resources.get(`${objectId}/${resourceId}`),
      currentValue,
    });
  }

  async #resourceModel(objectId: number, resourceId: number): Promise<ResourceModel> {
    const resource = await this.#findResourceModel(objectId, resourceId);
    if (resource !== undefined) return resource;
    if ((await this.#protocols.protocolState(objectId)).versions.size === 0) {
      throw new DomainError('NOT_FOUND', `no device protocol for object ${objectId}`, { objectId });
    }
    throw new DomainError('NOT_FOUND', `no version of the device protocol of object ${objectId} has a resource ${resourceId}`, { objectId, resourceId });
  }

  /** The resource's model in the newest protocol version that defines it. */
  async #findResourceModel(objectId: number, resourceId: number): Promise<ResourceModel | undefined> {
    const versions = [...(await this.#protocols.protocolState(objectId)).versions].sort(([a], [b]) => compareObjectVersions(b, a));
    for (const [, protocol] of versions) {
      const resource = findResource(protocol.model, resourceId);
      if (resource !== undefined) return resource;
    }
    return undefined;
  }
}
