/**
 * Device protocols (the guide's "Creating LwM2M device protocols"): the object models users upload
 * from DDF files, one version after another, and the functionalities set on their resources. Run on
 * the stream `protocol-<objectId>`; the stream also holds validation rule events, which this decider
 * leaves to its own decider.
 *
 * Rules:
 * - Uploading a version the stream does not have creates it; uploading it again with the same model is
 *   a no-op (a file imported twice); with another model it is a CONFLICT: "LWM2M protocol resources
 *   cannot be edited" (guide), a changed object must come as a new ObjectVersion.
 * - Functionalities belong to one version: devices use the version they registered with (`ver` in
 *   their object links, LwM2M Core 1.1 section 6.2.1), so changing version 1.1's mapping leaves the
 *   devices on 1.0 alone.
 * - Auto-observe needs at least one other functionality on the resource (guide: "At least one
 *   functionality must be set to enable Auto observe"). Removing the last other one therefore removes
 *   auto-observe with it, in the same append, rather than being refused: the user asked to stop
 *   mapping the resource, and observing a resource whose values nobody maps is pure cost.
 * - Setting a functionality exactly as it is, or removing one that is not set, is a no-op.
 */
import type { Decider } from '../Decider.ts';
import { DomainError } from '../DomainError.ts';
import { findResource, isReadable, type ObjectModel, type ResourceModel } from '../lwm2m/ObjectModel.ts';
import { objectModelFromJson, objectModelToJson } from '../lwm2m/ObjectModelJson.ts';
import { checkCustomAction, checkLength, checkName } from './CustomActionRegistry.ts';
import type { DeviceProtocolEvent } from './DeviceProtocolEvents.ts';
import { isDeviceProtocolEvent } from './DeviceProtocolEvents.ts';
import type { Functionality, FunctionalityInput, FunctionalityKind, ResourceFunctionalities } from './Functionality.ts';
import {
  ALARM_SEVERITIES,
  ALARM_STATUSES,
  FUNCTIONALITY_KINDS,
  functionalityList,
  withFunctionality,
  withoutFunctionality,
} from './Functionality.ts';

export type DeviceProtocolCommand =
  | { readonly type: 'CreateDeviceProtocolVersion'; readonly model: ObjectModel; readonly at: string }
  | {
      readonly type: 'SetResourceFunctionality';
      readonly objectId: number;
      readonly version: string;
      readonly resourceId: number;
      readonly functionality: FunctionalityInput;
      readonly at: string;
    }
  | {
      readonly type: 'RemoveResourceFunctionality';
      readonly objectId: number;
      readonly version: string;
      readonly resourceId: number;
      readonly kind: FunctionalityKind;
      readonly at: string;
    };

export interface ProtocolVersionState {
  readonly model: ObjectModel;
  readonly createdAt: string;
  /** Per resource id; a resource without functionalities has no entry. */
  readonly functionalities: ReadonlyMap<number, ResourceFunctionalities>;
}

export interface DeviceProtocolState {
  readonly versions: ReadonlyMap<string, ProtocolVersionState>;
}

/** The resource types whose values are numbers a measurement can hold (booleans as 0 and 1). */
const MEASURABLE_TYPES: ReadonlySet<string> = new Set(['integer', 'unsigned', 'float', 'boolean', 'time']);

export const deviceProtocolDecider: Decider<DeviceProtocolCommand, DeviceProtocolEvent, DeviceProtocolState> = {
  initialState: { versions: new Map() },

  decide(command, state) {
    switch (command.type) {
      case 'CreateDeviceProtocolVersion': {
        const { model, at } = command;
        const json = objectModelToJson(model);
        const existing = state.versions.get(model.version);
        if (existing !== undefined) {
          if (JSON.stringify(objectModelToJson(existing.model)) === JSON.stringify(json)) return [];
          throw new DomainError(
            'CONFLICT',
            `object ${model.id} already has a device protocol version ${model.version} with another definition; resources cannot be edited, upload the changed object with a new ObjectVersion`,
            { objectId: model.id, version: model.version },
          );
        }
        return [
          {
            type: 'DeviceProtocolVersionCreated',
            data: {
              objectId: model.id,
              version: model.version,
              lwm2mVersion: model.lwm2mVersion,
              name: model.name,
              description: model.description,
              model: json,
              createdAt: at,
            },
          },
        ];
      }
      case 'SetResourceFunctionality': {
        const { objectId, version, resourceId, at } = command;
        const { resource, current, path } = target(state, objectId, version, resourceId);
        const functionality = completeFunctionality(command.functionality, resource, current, path);
        const existing = current[functionality.kind];
        if (existing !== undefined && JSON.stringify(existing) === JSON.stringify(functionality)) return [];
        return [{ type: 'ResourceFunctionalitySet', data: { objectId, version, resourceId, functionality, at } }];
      }
      case 'RemoveResourceFunctionality': {
        const { objectId, version, resourceId, kind, at } = command;
        const { current, path } = target(state, objectId, version, resourceId);
        if (!FUNCTIONALITY_KINDS.includes(kind)) {
          throw new DomainError('BAD_USER_INPUT', `"${kind}" is not a functionality (${FUNCTIONALITY_KINDS.join(', ')})`, { path });
        }
        if (current[kind] === undefined) return [];
        const events: DeviceProtocolEvent[] = [{ type: 'ResourceFunctionalityRemoved', data: { objectId, version, resourceId, kind, at } }];
        const remaining = withoutFunctionality(current, kind);
        if (remaining.autoObserve !== undefined && functionalityList(remaining).length === 1) {
          events.push({ type: 'ResourceFunctionalityRemoved', data: { objectId, version, resourceId, kind: 'autoObserve', at } });
        }
        return events;
      }
    }
  },

  evolve(state, event) {
    // The stream also carries validation rule events; they are not ours to fold.
    if (!isDeviceProtocolEvent(event)) return state;
    const versions = new Map(state.versions);
    switch (event.type) {
      case 'DeviceProtocolVersionCreated': {
        const parsed = objectModelFromJson(event.data.model);
        if (!parsed.ok) throw new Error(`stored device protocol ${event.data.objectId} ${event.data.version} is unreadable: ${parsed.error}`);
        versions.set(event.data.version, { model: parsed.model, createdAt: event.data.createdAt, functionalities: new Map() });
        return { versions };
      }
      case 'ResourceFunctionalitySet':
      case 'ResourceFunctionalityRemoved': {
        const { version, resourceId } = event.data;
        const protocol = versions.get(version);
        if (protocol === undefined) return state;
        const functionalities = new Map(protocol.functionalities);
        const current = functionalities.get(resourceId) ?? {};
        const next =
          event.type === 'ResourceFunctionalitySet' ? withFunctionality(current, event.data.functionality) : withoutFunctionality(current, event.data.kind);
        if (functionalityList(next).length === 0) functionalities.delete(resourceId);
        else functionalities.set(resourceId, next);
        versions.set(version, { ...protocol, functionalities });
        return { versions };
      }
    }
  },
};

/** The functionalities of one resource of one version; none when the version or resource has none. */
export function resourceFunctionalities(state: DeviceProtocolState, version: string, resourceId: number): ResourceFunctionalities {
  return state.versions.get(version)?.functionalities.get(resourceId) ?? {};
}

function target(
  state: DeviceProtocolState,
  objectId: number,
  version: string,
  resourceId: number,
): { resource: ResourceModel; current: ResourceFunctionalities; path: string } {
  const path = `/${objectId}/${resourceId}`;
  const protocol = state.versions.get(version);
  if (protocol === undefined) {
    throw new DomainError('NOT_FOUND', `object ${objectId} has no device protocol version ${version}`, { objectId, version });
  }
  const resource = findResource(protocol.model, resourceId);
  if (resource === undefined) {
    throw new DomainError('BAD_USER_INPUT', `resource ${path} does not exist in version ${version} of ${protocol.model.name}`, { path, version });
  }
  return { resource, current: resourceFunctionalities(state, version, resourceId), path };
}

/** Checks a functionality against the resource and fills in its defaults; throws BAD_USER_INPUT. */
function completeFunctionality(input: FunctionalityInput, resource: ResourceModel, current: ResourceFunctionalities, path: string): Functionality {
  switch (input.kind) {
    case 'sendMeasurement': {
      if (!MEASURABLE_TYPES.has(resource.type)) {
        throw new DomainError('BAD_USER_INPUT', `Send measurement needs a numeric or boolean resource; ${path} is ${resource.type}`, { path });
      }
      checkName(input.type, 'Send measurement: type', path);
      checkName(input.series, 'Send measurement: series', path);
      const unit = input.unit ?? resource.units;
      checkLength(unit, 'Send measurement: unit', path);
      return { kind: 'sendMeasurement', type: input.type, series: input.series, unit };
    }
    case 'createAlarm': {
      if (!ALARM_SEVERITIES.includes(input.severity)) {
        throw new DomainError('BAD_USER_INPUT', `Create alarm: severity must be one of ${ALARM_SEVERITIES.join(', ')}`, { path });
      }
      if (!ALARM_STATUSES.includes(input.status)) {
        throw new DomainError('BAD_USER_INPUT', `Create alarm: status must be one of ${ALARM_STATUSES.join(', ')}`, { path });
      }
      checkName(input.type, 'Create alarm: type', path);
      checkName(input.text, 'Create alarm: text', path);
      return { kind: 'createAlarm', severity: input.severity, type: input.type, status: input.status, text: input.text };
    }
    case 'sendEvent':
      checkName(input.type, 'Send event: type', path);
      checkName(input.text, 'Send event: text', path);
      return { kind: 'sendEvent', type: input.type, text: input.text };
    case 'customAction':
      return { kind: 'customAction', action: checkCustomAction(input.action, resource, path) };
    case 'autoObserve': {
      if (!isReadable(resource)) {
        throw new DomainError('BAD_USER_INPUT', `Auto-observe needs a readable resource; ${path} allows "${resource.operations}"`, { path });
      }
      if (functionalityList(withoutFunctionality(current, 'autoObserve')).length === 0) {
        throw new DomainError('BAD_USER_INPUT', `Auto-observe on ${path} needs at least one other functionality set first`, { path });
      }
      return { kind: 'autoObserve' };
    }
    default:
      throw new DomainError('BAD_USER_INPUT', `"${String((input as { kind: unknown }).kind)}" is not a functionality (${FUNCTIONALITY_KINDS.join(', ')})`, {
        path,
      });
  }
}
