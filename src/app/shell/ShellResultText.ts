/**
 * The readable result of a shell line: its operation's outcome, with reported values named by the
 * object model ("/3/0/0 Manufacturer = Acme"), discovered links with their resource names, the
 * location of a created instance, or why it failed; for `fwupdate`, its firmware update's step or
 * outcome ("firmware update to app 2.0: failed: integrity check failure for new downloaded package").
 */
import type { JsonValue } from '../../domain/Json.ts';
import { parsePath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { LwM2mPath } from '../../domain/lwm2m/LwM2mPath.ts';
import type { ObjectModelCatalog } from '../../domain/lwm2m/ObjectModel.ts';
import { findResource } from '../../domain/lwm2m/ObjectModel.ts';
import type { FirmwareUpdateView } from '../../projections/firmware/FirmwareQueries.ts';
import type { OperationView } from '../../projections/operations/OperationQueries.ts';

export interface ShellNaming {
  readonly catalog: ObjectModelCatalog;
  /** Object id -> object version, from the device's registration; absent when not known. */
  readonly deviceObjects?: ReadonlyMap<number, string>;
}

/** Null while the operation is under way (nothing to show yet). */
export function shellResultText(operation: OperationView | undefined, naming: ShellNaming): string | null {
  if (operation === undefined) return null;
  switch (operation.status) {
    case 'pending':
      // A timed-out attempt puts the operation back in the queue with the reason.
      return operation.reason === null ? null : `waiting for the device: ${operation.reason}`;
    case 'sent':
      return null;
    case 'failed':
      return operation.reason ?? `failed${operation.responseCode === null ? '' : ` (${operation.responseCode})`}`;
    case 'cancelled':
      return `cancelled: ${operation.reason ?? 'no reason given'}`;
    case 'succeeded':
      return successText(operation, naming);
  }
}

/** Null until the update reaches its first step. */
export function firmwareUpdateResultText(update: FirmwareUpdateView | undefined): string | null {
  if (update === undefined) return null;
  const what = `firmware update to ${update.name} ${update.version}`;
  switch (update.status) {
    case 'running':
      return update.step === null ? null : `${what} (${update.method}): ${update.step}`;
    case 'succeeded':
      return `${what}: succeeded`;
    case 'failed':
      return `${what}: failed: ${update.reason ?? 'no reason given'}`;
  }
}

function successText(operation: OperationView, naming: ShellNaming): string {
  const result = asObject(operation.result);
  const code = operation.responseCode ?? '2.xx';
  switch (operation.kind) {
    case 'read':
    case 'observe':
    case 'read-composite':
    case 'observe-composite': {
      const lines = arrayOf(result?.['values']).flatMap((value) => {
        const entry = asObject(value);
        const path = entry?.['path'];
        const text = entry?.['text'];
        return typeof path === 'string' && typeof text === 'string' ? [`${path} ${nameOf(path, naming)}= ${text}${unitsOf(path, naming)}`] : [];
      });
      const prefix = operation.kind.startsWith('observe') ? [`observing (${code})`] : [];
      return [...prefix, ...(lines.length === 0 ? ['no values'] : lines)].join('\n');
    }
    case 'discover': {
      const lines = arrayOf(result?.['links']).flatMap((value) => {
        const link = asObject(value);
        const target = link?.['target'];
        if (typeof target !== 'string') return [];
        const attributes = Object.entries(asObject(link?.['attributes']) ?? {}).map(([name, attribute]) => (typeof attribute === 'string' || typeof attribute === 'number' ? `;${name}=${attribute}` : `;${name}`));
        return [`<${target}>${attributes.join('')} ${nameOf(target, naming)}`.trimEnd()];
      });
      return lines.length === 0 ? 'no links' : lines.join('\n');
    }
    case 'create': {
      const location = result?.['location'];
      return typeof location === 'string' ? `created ${location} (${code})` : `created (${code})`;
    }
    case 'cancel-observation':
      // No response code: the passive cancel, which sent nothing (RFC 7641 section 3.6).
      return operation.responseCode === null ? 'observation forgotten: its next notification is answered with a Reset' : `observation cancelled (${code})`;
    case 'delete':
      return `deleted (${code})`;
    case 'execute':
      return `executed (${code})`;
    case 'write-attributes':
      return `attributes written (${code})`;
    default:
      return `written (${code})`;
  }
}

/** "Manufacturer " for /3/0/0, "Power Source[1] " for /3/0/6/1, "Device " for /3/0; '' when unknown. */
function nameOf(pathText: string, naming: ShellNaming): string {
  const path = tryParse(pathText);
  if (path === undefined) return '';
  const object = naming.catalog.object(path.objectId, naming.deviceObjects?.get(path.objectId)) ?? naming.catalog.object(path.objectId);
  if (object === undefined) return '';
  if (path.resourceId === undefined) return `${object.name} `;
  const resource = findResource(object, path.resourceId);
  if (resource === undefined) return '';
  return path.resourceInstanceId === undefined ? `${resource.name} ` : `${resource.name}[${path.resourceInstanceId}] `;
}

function unitsOf(pathText: string, naming: ShellNaming): string {
  const path = tryParse(pathText);
  if (path?.resourceId === undefined) return '';
  const object = naming.catalog.object(path.objectId, naming.deviceObjects?.get(path.objectId)) ?? naming.catalog.object(path.objectId);
  const units = object === undefined ? '' : (findResource(object, path.resourceId)?.units ?? '');
  return units === '' ? '' : ` ${units}`;
}

function tryParse(text: string): LwM2mPath | undefined {
  try {
    return parsePath(text);
  } catch {
    return undefined;
  }
}

function asObject(value: JsonValue | null | undefined): { readonly [key: string]: JsonValue } | undefined {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function arrayOf(value: JsonValue | undefined): readonly JsonValue[] {
  return Array.isArray(value) ? value : [];
}
