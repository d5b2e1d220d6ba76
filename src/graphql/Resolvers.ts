/** Every resolver of `schema.graphql`, typed by the generated types. */
import type { Resolvers } from './generated/resolvers-types.ts';
import { bootstrapQueryResolvers, bootstrapSessionTypeResolvers, bootstrapSubscriptionResolvers } from './resolvers/BootstrapResolvers.ts';
import { callerMutationResolvers, callerQueryResolvers } from './resolvers/CallerResolvers.ts';
import {
  deviceManagementDeviceResolvers,
  deviceManagementMutationResolvers,
  deviceManagementQueryResolvers,
  deviceManagementSubscriptionResolvers,
  operationTypeResolvers,
  registrationTypeResolvers,
  resourceValueTypeResolvers,
} from './resolvers/DeviceManagementResolvers.ts';
import { devicePropertyTypeResolvers, deviceQueryResolvers, deviceTypeResolvers } from './resolvers/DeviceResolvers.ts';
import { mutationResolvers } from './resolvers/MutationResolvers.ts';
import {
  customActionTypeResolvers,
  deviceProtocolTypeResolvers,
  protocolMutationResolvers,
  protocolQueryResolvers,
  protocolResourceTypeResolvers,
  resourceFunctionalitiesTypeResolvers,
  validationRuleTypeResolvers,
} from './resolvers/ProtocolResolvers.ts';
import { firmwareMutationResolvers, firmwareQueryResolvers, firmwareSubscriptionResolvers, firmwareTypeResolvers, firmwareUpdateTypeResolvers } from './resolvers/FirmwareResolvers.ts';
import { objectModelQueryResolvers } from './resolvers/ObjectModelResolvers.ts';
import { readModelQueryResolvers } from './resolvers/ReadModelResolvers.ts';
import { shellLineTypeResolvers, shellMutationResolvers, shellQueryResolvers, shellSubscriptionResolvers } from './resolvers/ShellResolvers.ts';
import { subscriptionResolvers } from './resolvers/SubscriptionResolvers.ts';
import {
  alarmTypeResolvers,
  deviceEventTypeResolvers,
  measurementTypeResolvers,
  telemetryMutationResolvers,
  telemetryQueryResolvers,
  telemetrySubscriptionResolvers,
} from './resolvers/TelemetryResolvers.ts';
import { dateTimeScalar, jsonScalar, positionScalar } from './Scalars.ts';

export const resolvers: Resolvers = {
  DateTime: dateTimeScalar,
  Position: positionScalar,
  JSON: jsonScalar,
  Query: { ...deviceQueryResolvers, ...readModelQueryResolvers, ...protocolQueryResolvers, ...telemetryQueryResolvers, ...bootstrapQueryResolvers, ...deviceManagementQueryResolvers, ...shellQueryResolvers, ...firmwareQueryResolvers, ...callerQueryResolvers, ...objectModelQueryResolvers },
  Mutation: { ...mutationResolvers, ...protocolMutationResolvers, ...telemetryMutationResolvers, ...deviceManagementMutationResolvers, ...shellMutationResolvers, ...firmwareMutationResolvers, ...callerMutationResolvers },
  Subscription: { ...subscriptionResolvers, ...telemetrySubscriptionResolvers, ...bootstrapSubscriptionResolvers, ...deviceManagementSubscriptionResolvers, ...shellSubscriptionResolvers, ...firmwareSubscriptionResolvers },
  Device: { ...deviceTypeResolvers, ...deviceManagementDeviceResolvers },
  DeviceProperty: devicePropertyTypeResolvers,
  DeviceProtocol: deviceProtocolTypeResolvers,
  ProtocolResource: protocolResourceTypeResolvers,
  ResourceFunctionalities: resourceFunctionalitiesTypeResolvers,
  CustomAction: customActionTypeResolvers,
  ValidationRule: validationRuleTypeResolvers,
  Measurement: measurementTypeResolvers,
  DeviceEvent: deviceEventTypeResolvers,
  Alarm: alarmTypeResolvers,
  BootstrapSession: bootstrapSessionTypeResolvers,
  Registration: registrationTypeResolvers,
  ResourceValue: resourceValueTypeResolvers,
  Operation: operationTypeResolvers,
  ShellLine: shellLineTypeResolvers,
  Firmware: firmwareTypeResolvers,
  FirmwareUpdate: firmwareUpdateTypeResolvers,
};
