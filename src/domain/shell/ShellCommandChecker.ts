/**
 * Refuses a parsed shell command before anything is queued, from the object model: unknown objects
 * and resources, and operations a resource does not allow (LwM2M Core 1.1, Appendix D: a resource's
 * Operations are R, W, RW, E or none). Pure: the catalog and the device's object versions come in.
 *
 * When the device's registration names an object version the catalog does not hold, the newest known
 * model of that object is used: refusing every command on such a device would be worse than checking
 * it against a neighbouring version.
 *
 * A `--format` must be one this server reads or writes for the command's path (`usableContentFormats`:
 * a single-value format such as text/plain or CBOR only for a resource). The root "/" of a composite
 * command names no object and has nothing to check.
 */
import { DomainError } from '../DomainError.ts';
import type { CompositePath, LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import { formatCompositePath } from '../lwm2m/LwM2mPath.ts';
import type { ContentOperation } from '../lwm2m/content/ContentFormat.ts';
import { contentFormatName, usableContentFormats } from '../lwm2m/content/ContentFormat.ts';
import type { ObjectModel, ObjectModelCatalog, ResourceModel } from '../lwm2m/ObjectModel.ts';
import { findResource, isExecutable, isReadable, isWritable } from '../lwm2m/ObjectModel.ts';
import { parseTypedValue } from '../lwm2m/TypedValueText.ts';
import type { ShellCommand, ShellResourceEntry, ShellScalar } from './ShellCommand.ts';

export interface ShellCheckContext {
  readonly catalog: ObjectModelCatalog;
  /** Object id -> object version, from the device's registration; absent when not known yet. */
  readonly deviceObjects?: ReadonlyMap<number, string>;
}

export interface ShellCommandRefusal {
  /** The path the reason is about, e.g. "/3/0/4". */
  readonly path: string;
  readonly reason: string;
}

export class ShellCommandRefusedError extends DomainError {
  readonly refusals: readonly ShellCommandRefusal[];

  constructor(command: ShellCommand['kind'], refusals: readonly ShellCommandRefusal[]) {
    const reasons = refusals.map((refusal) => `${refusal.path}: ${refusal.reason}`).join('; ');
    super('BAD_USER_INPUT', `${command} refused: ${reasons}`, { command, refusals });
    this.refusals = refusals;
  }
}

/** The object id of the Firmware Update object (LwM2M Core 1.1, Appendix E.6). */
const FIRMWARE_UPDATE_OBJECT_ID = 5;

/** Throws ShellCommandRefusedError naming every path that fails and why. */
export function checkShellCommand(command: ShellCommand, context: ShellCheckContext): void {
  const refusals = new ShellCommandInspection(context).inspect(command);
  if (refusals.length > 0) throw new ShellCommandRefusedError(command.kind, refusals);
}

type ResourceOperation = 'read' | 'observe' | 'execute' | 'write' | 'writeattr' | 'none';

class ShellCommandInspection {
  readonly context: ShellCheckContext;
  readonly refusals: ShellCommandRefusal[] = [];

  constructor(context: ShellCheckContext) {
    this.context = context;
  }

  inspect(command: ShellCommand): ShellCommandRefusal[] {
    switch (command.kind) {
      case 'read':
        this.path(command.path, 'read');
        this.format(command.format, { kind: 'read', path: command.path }, command.path);
        break;
      case 'observe':
        this.path(command.path, 'observe');
        this.format(command.format, { kind: 'read', path: command.path }, command.path);
        break;
      case 'cancelobservation':
      case 'cancelobserve':
        for (const path of command.paths) this.compositePath(path, 'observe');
        break;
      case 'cobserve':
        for (const path of command.paths) this.compositePath(path, 'observe');
        this.format(command.format, { kind: 'composite' }, command.paths[0]);
        break;
      case 'cread':
        for (const path of command.paths) this.compositePath(path, 'read');
        this.format(command.format, { kind: 'composite' }, command.paths[0]);
        break;
      case 'discover':
      case 'delete':
        this.path(command.path, 'none');
        break;
      case 'execute':
        this.path(command.path, 'execute');
        break;
      case 'write':
        this.writeValue(command.path, command.value);
        this.format(command.format, { kind: 'write', path: command.path }, command.path);
        break;
      case 'cwrite':
        for (const assignment of command.assignments) this.writeValue(assignment.path, assignment.value);
        this.format(command.format, { kind: 'composite' }, command.assignments[0]?.path);
        break;
      case 'writep':
        this.resourceValues(command.path, command.resources, 'writep');
        this.format(command.format, { kind: 'write', path: command.path }, command.path);
        break;
      case 'create':
        this.create(command.path, command.resources);
        this.format(command.format, { kind: 'write', path: command.path }, command.path);
        break;
      case 'writeattr':
        this.writeAttributes(command);
        break;
      case 'fwupdate':
        this.object({ objectId: FIRMWARE_UPDATE_OBJECT_ID });
        break;
    }
    return this.refusals;
  }

  private refuse(path: CompositePath, reason: string): void {
    this.refusals.push({ path: formatCompositePath(path), reason });
  }

  /** The root names every object: nothing to check; any other path as `path` checks it. */
  private compositePath(path: CompositePath, operation: ResourceOperation): void {
    if (!('root' in path)) this.path(path, operation);
  }

  private format(format: number | undefined, operation: ContentOperation, path: CompositePath | undefined): void {
    if (format === undefined || path === undefined) return;
    const usable = usableContentFormats(operation);
    if (!usable.some((known) => known === format)) {
      this.refuse(path, `${contentFormatName(format)} (${format}) cannot carry this content; usable: ${usable.join(', ')}`);
    }
  }

  private object(path: LwM2mPath): ObjectModel | undefined {
    const { catalog, deviceObjects } = this.context;
    const objectId = path.objectId;
    const objectOnly = { objectId };
    if (deviceObjects !== undefined && !deviceObjects.has(objectId)) {
      this.refuse(objectOnly, `the device does not report object ${objectId} in its registration`);
      return undefined;
    }
    const version = deviceObjects?.get(objectId);
    const model = catalog.object(objectId, version) ?? catalog.object(objectId);
    if (model === undefined) this.refuse(objectOnly, `object ${objectId} is unknown: there is no object model for it`);
    return model;
  }

  /** Resolves the path in the model and checks that its resource (if it names one) allows `operation`. */
  private path(path: LwM2mPath, operation: ResourceOperation): ResourceModel | undefined {
    const object = this.object(path);
    if (object === undefined) return undefined;
    if (path.instanceId !== undefined && !object.multiple && path.instanceId !== 0) {
      this.refuse(path, `object ${describeObject(object)} is single-instance: its only instance is 0`);
      return undefined;
    }
    if (path.resourceId === undefined) return undefined;
    const resource = findResource(object, path.resourceId);
    if (resource === undefined) {
      this.refuse(path, `resource ${path.resourceId} is not defined by object ${describeObject(object)}`);
      return undefined;
    }
    if (path.resourceInstanceId !== undefined && !resource.multiple) {
      this.refuse(path, `resource ${describeResource(resource)} is single-instance: it has no resource instances`);
      return undefined;
    }
    const refusal = operationRefusal(resource, operation);
    if (refusal !== null) {
      this.refuse(path, refusal);
      return undefined;
    }
    return resource;
  }

  private writeValue(path: LwM2mPath, value: string): void {
    const resource = this.path(path, 'write');
    if (resource === undefined) return;
    if (resource.multiple && path.resourceInstanceId === undefined) {
      this.refuse(path, `resource ${describeResource(resource)} has multiple instances: write one instance (/O/I/R/RI) or use writep`);
      return;
    }
    this.value(path, resource, value);
  }

  private value(path: LwM2mPath, resource: ResourceModel, value: ShellScalar): void {
    if (resource.type === 'none') return;
    if (typeof value === 'number' && (resource.type === 'integer' || resource.type === 'unsigned') && !Number.isSafeInteger(value)) {
      this.refuse(path, `${value} is not an exact integer in JSON: write integers beyond 2^53 as strings`);
      return;
    }
    const parsed = parseTypedValue(String(value), resource.type);
    if (!parsed.ok) this.refuse(path, `resource ${describeResource(resource)}: ${parsed.error.message}`);
  }

  /** The JSON of writep (an instance path) or create (an object path; the device picks the instance id). */
  private resourceValues(path: LwM2mPath, entries: readonly ShellResourceEntry[], command: 'writep' | 'create'): void {
    const object = this.object(path);
    if (object === undefined) return;
    if (path.instanceId !== undefined && !object.multiple && path.instanceId !== 0) {
      this.refuse(path, `object ${describeObject(object)} is single-instance: its only instance is 0`);
      return;
    }
    const instancePath = { objectId: path.objectId, instanceId: path.instanceId ?? 0 };
    for (const entry of entries) {
      const resourcePath = { ...instancePath, resourceId: entry.resourceId };
      const resource = findResource(object, entry.resourceId);
      if (resource === undefined) {
        this.refuse(resourcePath, `resource ${entry.resourceId} is not defined by object ${describeObject(object)}`);
        continue;
      }
      // Create sets the new instance's initial values, read-only ones included (Core 1.1 section
      // 5.4.6); writep changes values, so it needs W.
      const refusal = operationRefusal(resource, command === 'writep' ? 'write' : 'none');
      if (refusal !== null || isExecutable(resource)) {
        this.refuse(resourcePath, refusal ?? `resource ${describeResource(resource)} is executable: it holds no value`);
        continue;
      }
      if (typeof entry.value === 'object') {
        if (!resource.multiple) {
          this.refuse(resourcePath, `resource ${describeResource(resource)} is single-instance: give it one value, not instances`);
          continue;
        }
        for (const instance of entry.value) {
          this.value({ ...resourcePath, resourceInstanceId: instance.resourceInstanceId }, resource, instance.value);
        }
      } else if (resource.multiple) {
        this.refuse(resourcePath, `resource ${describeResource(resource)} has multiple instances: give {"INSTANCE": VALUE, ...}`);
      } else {
        this.value(resourcePath, resource, entry.value);
      }
    }
  }

  private create(path: LwM2mPath, entries: readonly ShellResourceEntry[]): void {
    const object = this.object(path);
    if (object === undefined) return;
    if (!object.multiple) {
      this.refuse(path, `object ${describeObject(object)} is single-instance: its one instance cannot be created`);
      return;
    }
    this.resourceValues(path, entries, 'create');
  }

  private writeAttributes(command: Extract<ShellCommand, { kind: 'writeattr' }>): void {
    const resource = this.path(command.path, 'writeattr');
    if (resource === undefined) return;
    const { gt, lt, st } = command.attributes;
    const numeric = resource.type === 'integer' || resource.type === 'unsigned' || resource.type === 'float';
    if ((gt !== undefined || lt !== undefined || st !== undefined) && !numeric) {
      this.refuse(
        command.path,
        `gt, lt and st apply to numeric resources only (Core 1.1 section 5.1.2); ${describeResource(resource)} is ${resource.type}`,
      );
    }
  }
}

function operationRefusal(resource: ResourceModel, operation: ResourceOperation): string | null {
  const name = describeResource(resource);
  const allowed = resource.operations === '' ? 'none' : resource.operations;
  switch (operation) {
    case 'read':
      return isReadable(resource) ? null : `resource ${name} is not readable (operations: ${allowed})`;
    case 'observe':
      return isReadable(resource) ? null : `resource ${name} cannot be observed: it is not readable (operations: ${allowed})`;
    case 'writeattr':
      return isReadable(resource)
        ? null
        : `resource ${name} takes no notification attributes: it is not readable (operations: ${allowed})`;
    case 'execute':
      return isExecutable(resource) ? null : `resource ${name} is not executable (operations: ${allowed})`;
    case 'write':
      return isWritable(resource) ? null : `resource ${name} is not writable (operations: ${allowed})`;
    case 'none':
      return null;
  }
}

function describeObject(object: ObjectModel): string {
  return `${object.id} (${object.name}) version ${object.version}`;
}

function describeResource(resource: ResourceModel): string {
  return `${resource.id} (${resource.name})`;
}
