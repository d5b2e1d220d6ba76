/**
 * Applies the validation rules of the written resources to the values an operation sets (a write, a
 * write-composite, a create: the guide's "data a user enters in a resource") before it is queued:
 * every value must satisfy its resource's rule groups (`ValidationRuleEvaluator`). Every entry point
 * that queues operations (the API, the shell) is refused by this one check, in the same words.
 */
import { DomainError } from '../../DomainError.ts';
import type { LwM2mPath } from '../../lwm2m/LwM2mPath.ts';
import { formatPath, parsePath } from '../../lwm2m/LwM2mPath.ts';
import type { ResourceModel } from '../../lwm2m/ObjectModel.ts';
import type { OperationSpec } from '../../operations/OperationEvents.ts';
import { writesValues } from '../../operations/OperationEvents.ts';
import type { ValidationRuleGroup } from './ValidationRule.ts';
import type { GroupFailure } from './ValidationRuleEvaluator.ts';
import { evaluateValidationRules } from './ValidationRuleEvaluator.ts';

/** A value an operation would put on the device: its path and its text (as `parseTypedValue` reads it). */
export interface ValueToWrite {
  readonly path: string;
  readonly text: string;
}

export interface WriteRejection {
  readonly path: string;
  readonly value: string;
  /** Every group, with the rules of it that failed and why. */
  readonly groups: readonly GroupFailure[];
  readonly message: string;
}

export interface WriteRuleContext {
  /** The rule groups of a resource; empty when it has none. */
  readonly ruleGroups: (objectId: number, resourceId: number) => readonly ValidationRuleGroup[];
  /** The model of a resource the rules are checked against; undefined when not known. */
  readonly resource: (objectId: number, resourceId: number) => ResourceModel | undefined;
  /** The device's current value of a resource, as text; undefined when not known (a rule comparing with it then fails). */
  readonly currentValue: (path: LwM2mPath) => string | undefined;
}

export class WriteRefusedError extends DomainError {
  readonly rejections: readonly WriteRejection[];

  /** `refusedAs`: the request as its sender named it (a shell command, an operation kind). */
  constructor(refusedAs: string, rejections: readonly WriteRejection[]) {
    const reasons = rejections.map((rejection) => `${rejection.path}: ${rejection.message}`).join('; ');
    super('BAD_USER_INPUT', `${refusedAs} refused by validation rules: ${reasons}`, { rejections });
    this.rejections = rejections;
  }
}

/** The texts an operation sets; a value given by reference (a firmware package, a sealed text) has none a rule could check. */
export function valuesToWrite(operation: OperationSpec): ValueToWrite[] {
  return writesValues(operation) ? operation.content.values.flatMap((value) => ('text' in value ? [{ path: value.path, text: value.text }] : [])) : [];
}

/** Throws WriteRefusedError naming every value that no rule group of its resource accepts. */
export function checkWriteRules(refusedAs: string, values: readonly ValueToWrite[], context: WriteRuleContext): void {
  const rejections = values.flatMap((value) => {
    const rejection = rejectionOf(parsePath(value.path), value.text, context);
    return rejection === null ? [] : [rejection];
  });
  if (rejections.length > 0) throw new WriteRefusedError(refusedAs, rejections);
}

function rejectionOf(path: LwM2mPath, value: string, context: WriteRuleContext): WriteRejection | null {
  if (path.resourceId === undefined) return null;
  const groups = context.ruleGroups(path.objectId, path.resourceId);
  if (groups.length === 0) return null;
  const resource = context.resource(path.objectId, path.resourceId);
  // Rules exist only for resources of an uploaded protocol; without a model there is nothing to evaluate.
  if (resource === undefined) return null;
  const outcome = evaluateValidationRules(groups, value, { resource, currentValue: context.currentValue });
  if (outcome.valid) return null;
  return { path: formatPath(path), value, groups: outcome.groups, message: outcome.message };
}
