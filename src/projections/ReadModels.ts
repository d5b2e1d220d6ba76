/** Every read model the service keeps, in one list for the service, `lwm2m-hub replay` and the rebuild mutation. */
import type { Projection } from './Projection.ts';
import { devicesProjection } from './devices/DevicesProjection.ts';
import { deviceHistoryProjection } from './history/DeviceHistoryProjection.ts';

export const readModelProjections: readonly Projection[] = [devicesProjection, deviceHistoryProjection];
