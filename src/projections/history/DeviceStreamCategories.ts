/**
 * The streams that belong to a device: `<category>-<endpoint>`. A device's history is every event on
 * every one of them. A new per-device aggregate joins the history by adding its stream prefix here.
 * Telemetry and alarms streams are left out on purpose: they have read models of their own, and a
 * measurement per history row would bury the audit trail. The security audit (`security-<endpoint>`:
 * failed DTLS handshakes with the device's identity, identity mismatches) is part of that trail.
 */
import type { JsonValue } from '../../domain/Json.ts';
import { bootstrapStreamPrefix } from '../../domain/bootstrap/BootstrapEvents.ts';
import { deviceStreamPrefix } from '../../domain/devices/DeviceEvents.ts';
import { operationStreamPrefix } from '../../domain/operations/OperationEvents.ts';
import { registrationStreamPrefix } from '../../domain/registration/RegistrationEvents.ts';
import { securityStreamPrefix } from '../../domain/security/SecurityStreams.ts';

export const deviceStreamPrefixes: readonly string[] = [deviceStreamPrefix, registrationStreamPrefix, operationStreamPrefix, bootstrapStreamPrefix, securityStreamPrefix];

/** The category (the prefix without its dash) and the endpoint of a device's stream; undefined for other streams. */
export function endpointOfStream(stream: string): { category: string; endpoint: string } | undefined {
  for (const prefix of deviceStreamPrefixes) {
    if (stream.startsWith(prefix) && stream.length > prefix.length) return { category: prefix.slice(0, -1), endpoint: stream.slice(prefix.length) };
  }
  return undefined;
}

/**
 * The device an event belongs to. The security audit of a peer with no known identity is on
 * `security-peer-<address>`, which reads like the stream of a device named `peer-<address>`; so on the
 * security streams the event itself must name the device (`endpoint`, or `boundEndpoint` of a mismatch).
 */
export function deviceOfEvent(event: { readonly stream: string; readonly data: JsonValue }): { category: string; endpoint: string } | undefined {
  const owner = endpointOfStream(event.stream);
  if (owner?.category !== securityStreamPrefix.slice(0, -1)) return owner;
  const { data } = event;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const named = data['endpoint'] ?? data['boundEndpoint'];
  return named === owner.endpoint ? owner : undefined;
}
