/**
 * The streams that belong to a device: `<category>-<endpoint>`. A device's history is every event on
 * every one of them. A new per-device aggregate joins the history by adding its stream prefix here.
 * Telemetry and alarms streams are left out on purpose: they have read models of their own, and a
 * measurement per history row would bury the audit trail.
 */
import { bootstrapStreamPrefix } from '../../domain/bootstrap/BootstrapEvents.ts';
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import { operationStreamPrefix } from '../../domain/operations/OperationEvents.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';

export const deviceStreamPrefixes: readonly string[] = [deviceStreamPrefix, registrationStreamPrefix, operationStreamPrefix, bootstrapStreamPrefix];

/** The category (the prefix without its dash) and the endpoint of a device's stream; undefined for other streams. */
export function endpointOfStream(stream: string): { category: string; endpoint: string } | undefined {
  for (const prefix of deviceStreamPrefixes) {
    if (stream.startsWith(prefix) && stream.length > prefix.length) return { category: prefix.slice(0, -1), endpoint: stream.slice(prefix.length) };
  }
  return undefined;
}
