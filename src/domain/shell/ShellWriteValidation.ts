/**
 * Applies the validation rules of the written resources to a shell write (`write`, `cwrite`,
 * `writep`) before it is queued: every value must satisfy its resource's rule set (see
 * `protocols/validation`). Run it after `checkShellCommand`, which has refused unknown paths and
 * values the resource's type cannot hold.
 */
import { DomainError } from '../DomainError.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import { formatPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectModelCatalog } from '../lwm2m/ObjectModel.ts';
import { findResource } from '../lwm2m/ObjectModel.ts';
import type { ValidationRuleGroup } from '../protocols/validation/ValidationRule.ts';
import type { GroupFailure } from '../protocols/validation/ValidationRuleEvaluator.ts';
import { evaluateValidationRules } from '../protocols/validation/ValidationRuleEvaluator.ts';
import type { ShellCommand } from './ShellCommand.ts';

export interface ShellWriteValidationContext {
  readonly catalog: ObjectModelCatalog;
  /** Object id -> object version, from the device's registration; absent when not known yet. */
  readonly deviceObjects?: ReadonlyMap<number, string>;
  /** The rule groups of a resource (from the device protocol of its object); empty when it has none. */
  readonly ruleGroups: (objectId: number, resourceId: number) => readonly ValidationRuleGroup[];
  /** The current value of a resource of the device, as text; undefined when not known. */
  readonly currentValue: (path: LwM2mPath) => string | undefined;
}

export interface ShellWriteRejection {
  readonly path: string;
  readonly value: string;
  readonly groups: readonly GroupFailure[];
  readonly message: string;
}

export class ShellWriteRejectedError extends DomainError {
  readonly rejections: readonly ShellWriteRejection[];

  constructor(command: ShellCommand['kind'], rejections: readonly ShellWriteRejection[]) {
    const reasons = rejections.map((rejection) => `${rejection.path}: ${rejection.message}`).join('; ');
    super('BAD_USER_INPUT', `${command} refused by validation rules: ${reasons}`, { command, rejections });
    this.rejections = rejections;
  }
}

/** Throws ShellWriteRejectedError naming every written value that no rule group of its resource accepts. */
export function checkShellWriteRules(command: ShellCommand, context: ShellWriteValidationContext): void {
  const rejections = shellWrittenValues(command).flatMap(({ path, value }) => {
    const rejection = rejectionOf(path, value, context);
    return rejection === null ? [] : [rejection];
  });
  if (rejections.length > 0) throw new ShellWriteRejectedError(command.kind, rejections);
}

export interface WrittenValue {
  readonly path: LwM2mPath;
  readonly value: string;
}

/** The values a command writes, each with the path of its resource (or resource instance). */
export function shellWrittenValues(command: ShellCommand): WrittenValue[] {
  switch (command.kind) {
    case 'write':
      return [{ path: command.path, value: command.value }];
    case 'cwrite':
      return command.assignments.map((assignment) => ({ path: assignment.path, value: assignment.value }));
    case 'writep':
      return command.resources.flatMap((entry) => {
        const resourcePath = { ...command.path, resourceId: entry.resourceId };
        if (typeof entry.value !== 'object') return [{ path: resourcePath, value: String(entry.value) }];
        return entry.value.map((instance) => ({
          path: { ...resourcePath, resourceInstanceId: instance.resourceInstanceId },
          value: String(instance.value),
        }));
      });
    // Create sets initial values; the guide's rules guard changes to existing resources.
    case 'create':
    case 'read':
    case 'observe':
    case 'cancelobservation':
    case 'cancelobserve':
    case 'execute':
    case 'delete':
    case 'discover':
    case 'writeattr':
    case 'fwupdate':
    case 'cread':
    case 'cobserve':
      return [];
  }
}

function rejectionOf(path: LwM2mPath, value: string, context: ShellWriteValidationContext): ShellWriteRejection | null {
  if (path.resourceId === undefined) return null;
  const groups = context.ruleGroups(path.objectId, path.resourceId);
  if (groups.length === 0) return null;
  const version = context.deviceObjects?.get(path.objectId);
  const object = context.catalog.object(path.objectId, version) ?? context.catalog.object(path.objectId);
  const resource = object === undefined ? undefined : findResource(object, path.resourceId);
  // checkShellCommand refuses unknown resources first; without a model there is nothing to evaluate.
  if (resource === undefined) return null;
  const outcome = evaluateValidationRules(groups, value, { resource, currentValue: context.currentValue });
  if (outcome.valid) return null;
  return { path: formatPath(path), value, groups: outcome.groups, message: outcome.message };
}
