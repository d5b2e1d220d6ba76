/** The firmware repository and firmware updates: read (viewer), change and start (operator), follow (viewer). */
import { DomainError } from '../../domain/DomainError.ts';
import { requireRole } from '../Authorization.ts';
import { actorOf } from '../GraphQLContext.ts';
import type {
  FirmwareDeliveryMethod,
  FirmwareKind,
  FirmwareResolvers as FirmwareTypeResolvers,
  FirmwareUpdateResolvers,
  FirmwareUpdateStatus,
  MutationResolvers,
  QueryResolvers,
  SubscriptionResolvers,
} from '../generated/resolvers-types.ts';
import { listenerFeed } from '../ProjectionFeed.ts';

/** RFC 4648 section 4 base64, padded; whitespace (line breaks of a pasted file) is ignored. */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const firmwareQueryResolvers: QueryResolvers = {
  firmwares(_parent, _args, context) {
    requireRole(context, 'viewer');
    return [...context.services.firmware.firmwares()];
  },
  firmwareUpdates(_parent, { endpoint }, context) {
    requireRole(context, 'viewer');
    return [...context.services.firmware.updates(endpoint)];
  },
};

export const firmwareMutationResolvers: MutationResolvers = {
  addFirmware(_parent, { name, version, url, binaryBase64 }, context) {
    requireRole(context, 'operator');
    const actor = actorOf(context.principal);
    const hasUrl = url !== null && url !== undefined;
    const hasBinary = binaryBase64 !== null && binaryBase64 !== undefined;
    if (hasUrl === hasBinary) throw new DomainError('BAD_USER_INPUT', 'give exactly one of url and binaryBase64');
    if (hasUrl) return context.services.firmware.add({ name, version, url }, actor);
    const text = (binaryBase64 ?? '').replace(/\s+/g, '');
    if (!base64Pattern.test(text)) throw new DomainError('BAD_USER_INPUT', 'binaryBase64 is not base64 (RFC 4648 section 4)');
    return context.services.firmware.add({ name, version, binary: Buffer.from(text, 'base64') }, actor);
  },
  async removeFirmware(_parent, { id }, context) {
    requireRole(context, 'operator');
    await context.services.firmware.remove(id, actorOf(context.principal));
    return true;
  },
  startFirmwareUpdate(_parent, { endpoint, firmwareId }, context) {
    requireRole(context, 'operator');
    return context.services.firmware.startUpdate(endpoint, firmwareId, actorOf(context.principal));
  },
};

export const firmwareSubscriptionResolvers: SubscriptionResolvers = {
  firmwareUpdateChanged: {
    subscribe(_parent, { endpoint }, context) {
      requireRole(context, 'viewer');
      return listenerFeed((emit) => context.services.firmware.onUpdateChanged(endpoint ?? undefined, (update) => emit({ firmwareUpdateChanged: update })));
    },
  },
};

const kinds: Readonly<Record<string, FirmwareKind>> = { stored: 'STORED', external: 'EXTERNAL' };
const methods: Readonly<Record<string, FirmwareDeliveryMethod>> = { pull: 'PULL', push: 'PUSH' };
const statuses: Readonly<Record<string, FirmwareUpdateStatus>> = { running: 'RUNNING', succeeded: 'SUCCEEDED', failed: 'FAILED' };

export const firmwareTypeResolvers: FirmwareTypeResolvers = {
  id: (firmware) => firmware.firmwareId,
  kind: (firmware) => kinds[firmware.kind] ?? 'STORED',
};

export const firmwareUpdateTypeResolvers: FirmwareUpdateResolvers = {
  id: (update) => update.updateId,
  firmware: (update, _args, context) => context.services.firmware.firmware(update.firmwareId) ?? null,
  method: (update) => methods[update.method] ?? 'PULL',
  status: (update) => statuses[update.status] ?? 'RUNNING',
  steps: (update) => [...update.steps],
};
