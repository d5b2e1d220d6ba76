/**
 * What every resolver receives: who is calling, the id that ties together what the request causes,
 * and the services of the API. The same context serves HTTP and WebSocket operations.
 */
import type { DeviceDecommission } from '../app/devices/DeviceDecommission.ts';
import type { DeviceImportService } from '../app/devices/DeviceImportService.ts';
import type { DeviceProtocolService } from '../app/protocols/DeviceProtocolService.ts';
import type { DeviceManagementApi } from '../app/operations/DeviceManagementApi.ts';
import type { OperationRequestService } from '../app/operations/OperationRequestService.ts';
import type { FirmwareService } from '../app/firmware/FirmwareService.ts';
import type { RegistrationLookup } from '../app/registration/RegistrationLookup.ts';
import type { ValidationRuleService } from '../app/protocols/ValidationRuleService.ts';
import type { ShellService } from '../app/shell/ShellService.ts';
import type { TelemetryService } from '../app/telemetry/TelemetryService.ts';
import type { ReadYourWrites } from '../app/kernel/ReadYourWrites.ts';
import type { Logger } from '../adapters/logging/Logger.ts';
import type { ApiRole, Principal } from '../domain/auth/ApiTokens.ts';
import type { AlarmQueries } from '../projections/alarms/AlarmQueries.ts';
import type { BootstrapSessionQueries } from '../projections/bootstrap/BootstrapSessionQueries.ts';
import type { DeviceEventQueries } from '../projections/deviceevents/DeviceEventQueries.ts';
import type { DevicePropertyQueries } from '../projections/deviceproperties/DevicePropertyQueries.ts';
import type { AsOf } from '../projections/devices/DeviceAsOf.ts';
import type { DeviceQueries } from '../projections/devices/DeviceQueries.ts';
import type { DeviceView } from '../projections/devices/DeviceView.ts';
import type { MeasurementQueries } from '../projections/measurements/MeasurementQueries.ts';
import type { DeviceProtocolQueries } from '../projections/protocols/DeviceProtocolQueries.ts';
import type { DeviceHistoryQueries } from '../projections/history/DeviceHistoryQueries.ts';
import type { Projector } from '../projections/Projector.ts';

export interface ApiServices {
  /** Where a mutation waits, before it answers, for the read models to hold what it appended. */
  readonly readYourWrites: ReadYourWrites;
  /** The read models' state, their rebuild, and each event they project (the subscriptions' source). */
  readonly readModels: Pick<Projector, 'status' | 'rebuild' | 'onProjected'>;
  readonly devices: DeviceQueries;
  /** A device as the service knew it at a past time or position, from the log. */
  deviceAsOf(endpoint: string, asOf: AsOf): Promise<DeviceView | undefined>;
  readonly deviceDecommission: DeviceDecommission;
  readonly history: DeviceHistoryQueries;
  readonly deviceImport: DeviceImportService;
  readonly deviceProperties: DevicePropertyQueries;
  /** Uploads protocols and sets functionalities; `protocolQueries` reads them. */
  readonly protocols: DeviceProtocolService;
  readonly protocolQueries: DeviceProtocolQueries;
  readonly validationRules: ValidationRuleService;
  /** Acknowledges and clears alarms. */
  readonly telemetry: TelemetryService;
  readonly measurements: MeasurementQueries;
  readonly deviceEvents: DeviceEventQueries;
  readonly alarms: AlarmQueries;
  readonly bootstrapSessions: BootstrapSessionQueries;
  /** Where each device is registered now. */
  readonly registrations: Pick<RegistrationLookup, 'registration'>;
  /** Operations and the latest resource values. */
  readonly deviceManagement: DeviceManagementApi;
  /** Queues operations, a write's values checked against their validation rules first. */
  readonly operationRequests: OperationRequestService;
  /** The device shell: commands to queued operations, and the shell history. */
  readonly shell: ShellService;
  /** The firmware repository and firmware updates. */
  readonly firmware: FirmwareService;
  /** Issues API tokens; a new token is in the answer once, and only its sealed form is stored. */
  readonly tokens: {
    create(options: { readonly role: ApiRole; readonly actor: string; readonly description: string | null; readonly correlationId: string }): Promise<{ readonly tokenId: string; readonly role: ApiRole; readonly token: string }>;
  };
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

/** Who asks and why, as the application services take it. */
export function requestContextOf(context: GraphQLContext): { actor: string; correlationId: string } {
  return { actor: actorOf(context.principal), correlationId: context.correlationId };
}
