/**
 * What every resolver receives: who is calling, the id that ties together what the request causes,
 * and the services of the API. The same context serves HTTP and WebSocket operations.
 */
import type { DeviceImportService } from '../adapters/csv/DeviceImportService.ts';
import type { EventStore } from '../adapters/eventstore/EventStore.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import type { Principal } from '../domain/auth/ApiTokens.ts';
import type { DeviceQueries } from '../projections/devices/DeviceQueries.ts';
import type { DeviceHistoryQueries } from '../projections/history/DeviceHistoryQueries.ts';
import type { Projector } from '../projections/Projector.ts';

export interface ApiServices {
  readonly store: EventStore;
  readonly projector: Projector;
  readonly devices: DeviceQueries;
  readonly history: DeviceHistoryQueries;
  readonly deviceImport: DeviceImportService;
  readonly logger: Logger;
}

export interface GraphQLContext {
  readonly principal: Principal;
  /** Becomes the correlation id of every event the operation appends. */
  readonly correlationId: string;
  readonly services: ApiServices;
}

/** The actor of events caused by an API call: the token's id, never the token. */
export function actorOf(principal: Principal): string {
  return `user:${principal.tokenId}`;
}
