/**
 * Turns a checked shell command into the LwM2M operation that is queued for it (the `OperationSpec`
 * of `operations/OperationEvents.ts`, whose content forms `app/operations/OperationRequests.ts`
 * documents), or for `fwupdate` into the firmware update to start: that is a process of several
 * operations (read /5/0, observe, deliver the package, execute Update once Downloaded; see
 * `firmware/FirmwareUpdateDecider.ts`), not one. Pure: the object model and the device's announced
 * objects come in.
 *
 * Decisions where the guide is silent:
 * - `cancelobservation` is the passive cancel: a Cancel Observation by Reset (nothing is sent; the
 *   observation is forgotten and its next notification answered with a Reset, RFC 7641 section 3.6);
 *   `cancelobserve` the active one, the Observe again with Observe 1. Several paths (or "/") name an
 *   Observe-Composite by its set.
 * - `create /O` without an instance id (Core 1.1 section 6.3.6 lets the server leave it to the device,
 *   but our content formats carry it) gets the first instance id above those the device announced
 *   in its registration, 0 when it announced none.
 * - `writeattr ... cancel` removes every attribute the path level allows (Core 1.1 section 5.1.2:
 *   gt, lt and st only on a resource) and the device's version knows (edge, con and hqmax only for
 *   a device registered with 1.2, Core 1.2 section 5.1.2), each sent without a value.
 */
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import { formatCompositePath, formatPath } from '../lwm2m/LwM2mPath.ts';
import type { ObjectModelCatalog } from '../lwm2m/ObjectModel.ts';
import { findResource } from '../lwm2m/ObjectModel.ts';
import type { AttributeContent, OperationSpec, WrittenValue } from '../operations/OperationEvents.ts';
import { NOTIFICATION_ATTRIBUTE_NAMES, attributesRefusedFor, isResourceOnlyAttribute } from '../lwm2m/NotificationAttributes.ts';
import type { NotificationAttributeName, NotificationAttributes } from '../lwm2m/NotificationAttributes.ts';
import type { ExecuteArgument, ShellCommand, ShellResourceEntry } from './ShellCommand.ts';

export interface ShellOperationContext {
  readonly catalog: ObjectModelCatalog;
  /** Object id -> object version, from the device's registration; absent when not known yet. */
  readonly deviceObjects?: ReadonlyMap<number, string>;
  /** The instance ids of an object the device announced in its registration. */
  readonly announcedInstances: (objectId: number) => readonly number[];
  /** The LwM2M version the device registered with; absent when it is not registered (then taken as 1.0). */
  readonly lwm2mVersion?: string;
}

/** The firmware of a `fwupdate`: found in the repository by name and version, or added with the URL. */
export interface ShellFirmwareUpdate {
  readonly name: string;
  readonly version: string;
  readonly url: string;
}

export type ShellOperationResult =
  | { readonly kind: 'operation'; readonly operation: OperationSpec }
  | { readonly kind: 'firmware-update'; readonly firmwareUpdate: ShellFirmwareUpdate };

export function shellOperationSpec(command: ShellCommand, context: ShellOperationContext): ShellOperationResult {
  const formatted = 'format' in command && command.format !== undefined ? { format: command.format } : {};
  const operation = (spec: OperationSpec): ShellOperationResult => ({ kind: 'operation', operation: spec });
  const target = (path: LwM2mPath): string[] => [formatPath(path)];
  switch (command.kind) {
    case 'read':
      return operation({ kind: 'read', paths: target(command.path), content: null, ...formatted });
    case 'observe':
      return operation({
        kind: 'observe',
        paths: target(command.path),
        content: command.attributes === undefined ? null : attributeContent(command.path, command.attributes, false, context.lwm2mVersion ?? '1.0'),
        ...formatted,
      });
    case 'cancelobservation':
      return operation({ kind: 'cancel-observation', paths: command.paths.map(formatCompositePath), content: { reset: true } });
    case 'cancelobserve':
      return operation({ kind: 'cancel-observation', paths: command.paths.map(formatCompositePath), content: null });
    case 'discover':
      return operation({ kind: 'discover', paths: target(command.path), content: command.depth === undefined ? null : { depth: command.depth } });
    case 'delete':
      return operation({ kind: 'delete', paths: target(command.path), content: null });
    case 'execute':
      return operation({ kind: 'execute', paths: target(command.path), content: command.arguments.length === 0 ? null : formatExecuteArguments(command.arguments) });
    case 'writeattr':
      return operation({
        kind: 'write-attributes',
        paths: target(command.path),
        content: attributeContent(command.path, command.attributes, command.cancel, context.lwm2mVersion ?? '1.0'),
      });
    case 'write':
      return operation({ kind: 'write-replace', paths: target(command.path), content: { values: [typedValue(command.path, command.value, context)] }, ...formatted });
    case 'writep':
      return operation({ kind: 'write-partial', paths: target(command.path), content: { values: entryValues(command.path, command.resources, context) }, ...formatted });
    case 'create': {
      const instanceId = command.path.instanceId ?? nextInstanceId(context.announcedInstances(command.path.objectId));
      return operation({
        kind: 'create',
        paths: target({ objectId: command.path.objectId }),
        content: { values: entryValues({ objectId: command.path.objectId, instanceId }, command.resources, context) },
        ...formatted,
      });
    }
    case 'cread':
      return operation({ kind: 'read-composite', paths: command.paths.map(formatCompositePath), content: null, ...formatted });
    case 'cobserve':
      return operation({ kind: 'observe-composite', paths: command.paths.map(formatCompositePath), content: null, ...formatted });
    case 'cwrite':
      return operation({
        kind: 'write-composite',
        paths: command.assignments.map((assignment) => formatPath(assignment.path)),
        content: { values: command.assignments.map((assignment) => typedValue(assignment.path, assignment.value, context)) },
        ...formatted,
      });
    case 'fwupdate':
      return { kind: 'firmware-update', firmwareUpdate: { name: command.name, version: command.version, url: command.url } };
  }
}

/** LwM2M Core 1.1 section 5.4.5: `0='abc',1`. */
export function formatExecuteArguments(argumentList: readonly ExecuteArgument[]): string {
  return argumentList.map((argument) => (argument.value === null ? String(argument.digit) : `${argument.digit}='${argument.value}'`)).join(',');
}

function attributeContent(path: LwM2mPath, attributes: NotificationAttributes, cancel: boolean, lwm2mVersion: string): AttributeContent {
  const content: { [Name in NotificationAttributeName]?: number | null } = {};
  for (const name of NOTIFICATION_ATTRIBUTE_NAMES) {
    const value = attributes[name];
    if (value !== undefined) content[name] = value;
  }
  if (cancel) {
    const atLevel = NOTIFICATION_ATTRIBUTE_NAMES.filter((name) => path.resourceId !== undefined || !isResourceOnlyAttribute(name));
    const unknown = attributesRefusedFor(lwm2mVersion, atLevel);
    for (const name of atLevel) {
      if (!(name in content) && !unknown.includes(name)) content[name] = null;
    }
  }
  return content;
}

/** A value with the type of its resource, so that the encoder need not guess it. */
function typedValue(path: LwM2mPath, text: string, context: ShellOperationContext): WrittenValue {
  const type = resourceType(path, context);
  return type === undefined ? { path: formatPath(path), text } : { path: formatPath(path), type, text };
}

function entryValues(instancePath: LwM2mPath, entries: readonly ShellResourceEntry[], context: ShellOperationContext): WrittenValue[] {
  return entries.flatMap((entry) => {
    const resourcePath: LwM2mPath = { ...instancePath, resourceId: entry.resourceId };
    if (typeof entry.value !== 'object') return [typedValue(resourcePath, String(entry.value), context)];
    return entry.value.map((instance) => typedValue({ ...resourcePath, resourceInstanceId: instance.resourceInstanceId }, String(instance.value), context));
  });
}

function resourceType(path: LwM2mPath, context: ShellOperationContext): string | undefined {
  if (path.resourceId === undefined) return undefined;
  const version = context.deviceObjects?.get(path.objectId);
  const object = context.catalog.object(path.objectId, version) ?? context.catalog.object(path.objectId);
  const type = object === undefined ? undefined : findResource(object, path.resourceId)?.type;
  return type === undefined || type === 'none' ? undefined : type;
}

function nextInstanceId(announced: readonly number[]): number {
  return announced.length === 0 ? 0 : Math.max(...announced) + 1;
}
