/**
 * Device management: a device's registration and latest values, its operations, one mutation per
 * LwM2M operation (each queues it and answers with the operation as projected), and the live views
 * of operations and reported values.
 */
import { DomainError } from '../../domain/DomainError.ts';
import { NOTIFICATION_ATTRIBUTE_NAMES, isNotificationAttributeName } from '../../domain/lwm2m/NotificationAttributes.ts';
import type { NotificationAttributeName } from '../../domain/lwm2m/NotificationAttributes.ts';
import type { AttributeContent, FormattedOperation, OperationKind as DomainOperationKind, OperationSpec, WrittenValues } from '../../domain/operations/OperationEvents.ts';
import type { OperationStatus as ViewStatus, OperationView } from '../../projections/operations/OperationQueries.ts';
import { requireRole } from '../Authorization.ts';
import { pageSize } from '../Cursors.ts';
import type { GraphQLContext } from '../GraphQLContext.ts';
import { actorOf, requestContextOf } from '../GraphQLContext.ts';
import type {
  DeviceResolvers,
  MutationResolvers,
  NotificationAttributesInput,
  OperationKind,
  OperationResolvers,
  OperationStatus,
  QueryResolvers,
  RegistrationResolvers,
  ResourceValueInput,
  ResourceValueResolvers,
  SubscriptionResolvers,
} from '../generated/resolvers-types.ts';
import { listenerFeed } from '../ProjectionFeed.ts';
import { resourceValueJson } from '../ResourceValueJson.ts';

const kindToApi: Readonly<Record<DomainOperationKind, OperationKind>> = {
  read: 'READ',
  discover: 'DISCOVER',
  'write-replace': 'WRITE_REPLACE',
  'write-partial': 'WRITE_PARTIAL',
  'write-attributes': 'WRITE_ATTRIBUTES',
  execute: 'EXECUTE',
  create: 'CREATE',
  delete: 'DELETE',
  observe: 'OBSERVE',
  'cancel-observation': 'CANCEL_OBSERVATION',
  'read-composite': 'READ_COMPOSITE',
  'write-composite': 'WRITE_COMPOSITE',
  'observe-composite': 'OBSERVE_COMPOSITE',
};

const statusToApi: Readonly<Record<ViewStatus, OperationStatus>> = {
  pending: 'PENDING',
  sent: 'SENT',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

/**
 * Queues the operation as the caller and answers with it once the operations read model has it. The
 * values of a write are checked against their resources' validation rules first.
 */
async function requestOperation(context: GraphQLContext, endpoint: string, spec: OperationSpec): Promise<OperationView> {
  requireRole(context, 'operator');
  const { deviceManagement, operationRequests, readYourWrites } = context.services;
  const { operationId, position } = await operationRequests.request(endpoint, spec, requestContextOf(context));
  await readYourWrites.written(position);
  const operation = deviceManagement.operation(operationId);
  if (!operation) throw new Error(`operation ${operationId} was queued but is not in the read model`);
  return operation;
}

/** The content of writes and creates (see OperationRequests: `{ values: [{ path, type, text }] }`). */
function valuesContent(values: readonly ResourceValueInput[]): WrittenValues {
  return { values: values.map((value) => ({ path: value.path, type: value.type, text: value.text })) };
}

/** The operation with the content format the operator chose, if any (absent or null: chosen from the registration). */
function withFormat<Spec extends FormattedOperation>(spec: Spec, format: number | null | undefined): Spec {
  return format === null || format === undefined ? spec : { ...spec, format };
}

/** The observation a cancel names: one path, or the set of paths of an Observe-Composite. */
function observedPaths(path: string | null | undefined, paths: readonly string[] | null | undefined): string[] {
  const single = path === null || path === undefined ? undefined : path;
  const set = paths === null || paths === undefined ? undefined : paths;
  if ((single === undefined) === (set === undefined)) throw new DomainError('BAD_USER_INPUT', 'give either path or paths (the set of an Observe-Composite)', {});
  return single === undefined ? [...(set ?? [])] : [single];
}

/** The attributes given, a null one included (it removes the attribute); absent ones left out. */
function attributesContent(attributes: NotificationAttributesInput): AttributeContent {
  const content: { [Name in NotificationAttributeName]?: number | null } = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && isNotificationAttributeName(name)) content[name] = value;
  }
  if (Object.keys(content).length === 0) throw new DomainError('BAD_USER_INPUT', `give at least one attribute (${NOTIFICATION_ATTRIBUTE_NAMES.join(', ')})`, {});
  return content;
}

export const deviceManagementQueryResolvers: QueryResolvers = {
  operations(_parent, { endpoint, first, newest }, context) {
    requireRole(context, 'viewer');
    const size = pageSize(first, 100);
    const { deviceManagement } = context.services;
    return [...(newest === true ? deviceManagement.latestOperations(endpoint, size) : deviceManagement.operations(endpoint).slice(0, size))];
  },
  operation(_parent, { id }, context) {
    requireRole(context, 'viewer');
    return context.services.deviceManagement.operation(id) ?? null;
  },
};

export const deviceManagementMutationResolvers: MutationResolvers = {
  readResource: (_parent, { endpoint, path, format }, context) => requestOperation(context, endpoint, withFormat({ kind: 'read', paths: [path], content: null }, format)),
  discover: (_parent, { endpoint, path, depth }, context) =>
    requestOperation(context, endpoint, { kind: 'discover', paths: [path], content: depth === null || depth === undefined ? null : { depth } }),
  writeResource: (_parent, { endpoint, path, values, replace, format }, context) =>
    requestOperation(context, endpoint, withFormat({ kind: replace === false ? 'write-partial' : 'write-replace', paths: [path], content: valuesContent(values) }, format)),
  execute: (_parent, { endpoint, path, arguments: args }, context) =>
    requestOperation(context, endpoint, { kind: 'execute', paths: [path], content: args ?? null }),
  createInstance: (_parent, { endpoint, path, values, format }, context) =>
    requestOperation(context, endpoint, withFormat({ kind: 'create', paths: [path], content: valuesContent(values) }, format)),
  deleteInstance: (_parent, { endpoint, path }, context) => requestOperation(context, endpoint, { kind: 'delete', paths: [path], content: null }),
  writeAttributes: (_parent, { endpoint, path, attributes }, context) =>
    requestOperation(context, endpoint, { kind: 'write-attributes', paths: [path], content: attributesContent(attributes) }),
  observe: (_parent, { endpoint, path, format, attributes }, context) =>
    requestOperation(context, endpoint, withFormat({ kind: 'observe', paths: [path], content: attributes ? attributesContent(attributes) : null }, format)),
  cancelObservation: (_parent, { endpoint, path, paths, byReset }, context) =>
    requestOperation(context, endpoint, { kind: 'cancel-observation', paths: observedPaths(path, paths), content: byReset === true ? { reset: true } : null }),
  readComposite: (_parent, { endpoint, paths, format }, context) => requestOperation(context, endpoint, withFormat({ kind: 'read-composite', paths, content: null }, format)),
  observeComposite: (_parent, { endpoint, paths, format }, context) => requestOperation(context, endpoint, withFormat({ kind: 'observe-composite', paths, content: null }, format)),
  writeComposite: (_parent, { endpoint, values, format }, context) =>
    requestOperation(context, endpoint, withFormat({ kind: 'write-composite', paths: values.map((value) => value.path), content: valuesContent(values) }, format)),

  async cancelOperation(_parent, { endpoint, id, reason }, context) {
    requireRole(context, 'operator');
    const { deviceManagement, readYourWrites } = context.services;
    const { position } = await deviceManagement.cancelOperation(endpoint, id, actorOf(context.principal), reason ?? null);
    await readYourWrites.written(position);
    const operation = deviceManagement.operation(id);
    if (!operation) throw new DomainError('NOT_FOUND', `no operation ${id}`, { operationId: id });
    return operation;
  },
};

export const deviceManagementSubscriptionResolvers: SubscriptionResolvers = {
  operationUpdated: {
    subscribe(_parent, { endpoint }, context) {
      requireRole(context, 'viewer');
      const { deviceManagement } = context.services;
      return listenerFeed((emit) =>
        deviceManagement.onOperationUpdated((operation) => {
          if (!endpoint || operation.endpoint === endpoint) emit({ operationUpdated: operation });
        }),
      );
    },
  },
  resourceValues: {
    subscribe(_parent, { endpoint, path }, context) {
      requireRole(context, 'viewer');
      const { deviceManagement } = context.services;
      return listenerFeed((emit) => deviceManagement.onResourceValues(endpoint, path ?? '/', (values) => emit({ resourceValues: [...values] })));
    },
  },
};

export const deviceManagementDeviceResolvers: DeviceResolvers = {
  online: (device, _args, context) => context.services.registrations.registration(device.endpoint) !== undefined,
  registration: (device, _args, context) => context.services.registrations.registration(device.endpoint) ?? null,
  lastSeen: (device, _args, context) => {
    const registration = context.services.registrations.registration(device.endpoint);
    return registration ? new Date(registration.lastUpdateAt) : null;
  },
  resources: (device, { path }, context) => [...context.services.deviceManagement.resources(device.endpoint, path ?? '/')],
  operations: (device, { first }, context) => context.services.deviceManagement.operations(device.endpoint).slice(0, pageSize(first, 100)),
};

export const registrationTypeResolvers: RegistrationResolvers = {
  registeredAt: (registration) => new Date(registration.registeredAt),
  lastUpdateAt: (registration) => new Date(registration.lastUpdateAt),
  rootPath: (registration) => registration.objectLinks.rootPath,
  contentFormats: (registration) => [...registration.objectLinks.contentFormats],
  objectLinks: (registration) => [...registration.objectLinks.objects],
};

export const resourceValueTypeResolvers: ResourceValueResolvers = {
  value: (value) => resourceValueJson(value.type, value.text),
};

export const operationTypeResolvers: OperationResolvers = {
  id: (operation) => operation.operationId,
  kind: (operation) => {
    const kind = kindToApi[operation.kind as DomainOperationKind];
    if (kind === undefined) throw new Error(`operation ${operation.operationId} has an unknown kind "${operation.kind}"`);
    return kind;
  },
  status: (operation) => statusToApi[operation.status],
  paths: (operation) => [...operation.paths],
};
