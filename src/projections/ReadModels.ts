/** Every read model the service keeps, in one list for the service, `lwm2m-hub replay` and the rebuild mutation. */
import type { Projection } from './Projection.ts';
import { devicesProjection } from './devices/DevicesProjection.ts';
import { deviceHistoryProjection } from './history/DeviceHistoryProjection.ts';
import { deviceProtocolsProjection } from './protocols/DeviceProtocolsProjection.ts';
import { measurementsProjection } from './measurements/MeasurementsProjection.ts';
import { deviceEventsProjection } from './deviceevents/DeviceEventsProjection.ts';
import { alarmsProjection } from './alarms/AlarmsProjection.ts';
import { devicePropertiesProjection } from './deviceproperties/DevicePropertiesProjection.ts';
import { operationsProjection } from './operations/OperationsProjection.ts';
import { resourcesProjection } from './resources/ResourcesProjection.ts';
import { bootstrapSessionsProjection } from './bootstrap/BootstrapSessionsProjection.ts';
import { shellHistoryProjection } from './shell/ShellHistoryProjection.ts';
import { firmwareProjection } from './firmware/FirmwareProjection.ts';

export const readModelProjections: readonly Projection[] = [
  devicesProjection,
  deviceHistoryProjection,
  deviceProtocolsProjection,
  measurementsProjection,
  deviceEventsProjection,
  alarmsProjection,
  devicePropertiesProjection,
  operationsProjection,
  resourcesProjection,
  bootstrapSessionsProjection,
  shellHistoryProjection,
  firmwareProjection,
];
