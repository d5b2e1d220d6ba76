/** Reading devices: the Device type, the device queries and the history connection. */
import { DomainError } from '../../domain/DomainError.ts';
import type { DeviceStatus as ViewStatus } from '../../projections/devices/DeviceView.ts';
import type { AsOf } from '../../projections/devices/DeviceAsOf.ts';
import type { DeviceHistoryRecord } from '../../projections/history/DeviceHistoryQueries.ts';
import { connection } from '../Connections.ts';
import { decodeCursor, decodePositionCursor, encodeCursor, pageSize } from '../Cursors.ts';
import type { GraphQLContext } from '../GraphQLContext.ts';
import type {
  AsOf as AsOfInput,
  DevicePropertyResolvers,
  DeviceResolvers,
  DeviceStatus,
  QueryResolvers,
  ResolversTypes,
} from '../generated/resolvers-types.ts';

const deviceCursorKind = 'device';
const historyCursorKind = 'history';

export const statusToApi: Record<ViewStatus, DeviceStatus> = { active: 'ACTIVE', decommissioned: 'DECOMMISSIONED' };
const statusFromApi: Record<DeviceStatus, ViewStatus> = { ACTIVE: 'active', DECOMMISSIONED: 'decommissioned' };

function toAsOf(input: AsOfInput): AsOf {
  const hasTime = input.time !== null && input.time !== undefined;
  const hasPosition = input.position !== null && input.position !== undefined;
  if (hasTime === hasPosition) throw new DomainError('BAD_USER_INPUT', 'asOf needs exactly one of time and position', {});
  return input.time ? { time: input.time } : { position: input.position ?? 0 };
}

export function historyConnection(
  context: GraphQLContext,
  endpoint: string,
  first: number | null | undefined,
  after: string | null | undefined,
  defaultSize: number,
  category?: string | null,
): ResolversTypes['DeviceHistoryConnection'] {
  const size = pageSize(first, defaultSize);
  const afterPosition = after ? decodePositionCursor(historyCursorKind, after) : 0;
  const page = context.services.history.page(endpoint, size, afterPosition, category ?? undefined);
  return connection(page.entries, page.hasNextPage, page.totalCount, after, (entry: DeviceHistoryRecord) => encodeCursor(historyCursorKind, String(entry.position)));
}

export const deviceQueryResolvers: QueryResolvers = {
  async device(_parent, { endpoint, asOf }, context) {
    if (asOf) return (await context.services.deviceAsOf(endpoint, toAsOf(asOf))) ?? null;
    return context.services.devices.get(endpoint) ?? null;
  },
  devices(_parent, { filter, first, after }, context) {
    const size = pageSize(first, 50);
    const afterEndpoint = after ? decodeCursor(deviceCursorKind, after) : undefined;
    const page = context.services.devices.page(
      { status: filter?.status ? statusFromApi[filter.status] : null, securityMode: filter?.securityMode ?? null, search: filter?.search ?? null },
      size,
      afterEndpoint,
    );
    return connection(page.devices, page.hasNextPage, page.totalCount, after, (device) => encodeCursor(deviceCursorKind, device.endpoint));
  },
  deviceHistory(_parent, { endpoint, category, first, after }, context) {
    return historyConnection(context, endpoint, first, after, 50, category);
  },
};

export const deviceTypeResolvers: DeviceResolvers = {
  status: (device) => statusToApi[device.status],
  history: (device, { first, after }, context) => historyConnection(context, device.endpoint, first, after, 20),
  properties: (device, _args, context) => [...context.services.deviceProperties.properties(device.endpoint)],
  location: (device, _args, context) => context.services.deviceProperties.position(device.endpoint) ?? null,
};

export const devicePropertyTypeResolvers: DevicePropertyResolvers = {
  name: (property) => property.property,
};
