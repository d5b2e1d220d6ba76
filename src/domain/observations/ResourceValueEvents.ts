/**
 * Values a device reported (LwM2M Core 1.1 section 6.3 Read, section 6.4 Notify and Send), on the
 * stream `resources-<endpoint>`: one event per message, carrying every value of it with its path,
 * LwM2M type, value (as `LwM2mValueJson`) and the device's time of the value where it gave one.
 */
import type { LwM2mValueJson } from '../lwm2m/LwM2mValueJson.ts';

export type ResourceValueSource = 'read' | 'notification' | 'send';

export interface ReportedValue {
  readonly path: string;
  readonly value: LwM2mValueJson;
  /** The device's time of the value (ISO 8601); null when it gave none. */
  readonly time: string | null;
}

export interface ResourceValuesReported {
  readonly endpoint: string;
  readonly source: ResourceValueSource;
  /** The Read or Observe operation that asked for them; null for Send. */
  readonly operationId: string | null;
  /** The observation (token, hex) a notification belongs to; null otherwise. */
  readonly observationToken: string | null;
  readonly values: readonly ReportedValue[];
  readonly receivedAt: string;
}

export type ResourceValueEvent = { readonly type: 'ResourceValuesReported'; readonly data: ResourceValuesReported };

export const resourceStreamPrefix = 'resources-';

export function resourceStream(endpoint: string): string {
  return `${resourceStreamPrefix}${endpoint}`;
}
