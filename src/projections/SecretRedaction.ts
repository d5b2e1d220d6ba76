/**
 * Removes secrets from event data before it leaves the event store for a read model or the API.
 *
 * Secrets only ever appear in events as SealedSecrets, so the redaction recognises them by shape
 * (an object with exactly `sealed` and `fingerprint` strings) wherever they sit: new event types with
 * secrets are redacted without being listed here. A redacted secret becomes the marker string, so the
 * audit trail still shows that a secret was set or changed, never what it was.
 */
import type { JsonValue } from '../domain/Json.ts';
import { isSealedSecret } from '../domain/SealedSecret.ts';

export const redactedSecret = '[redacted]';

/**
 * The value as JSON text, each sealed secret replaced by the marker: one pass of JSON.stringify with a
 * replacer, rather than a redacted copy of the value to serialise afterwards (several times faster on
 * a device registration, which a read-model rebuild writes for every event). JSON.stringify visits own
 * properties only, so a "__proto__" key (legal in JSON, and JSON.parse keeps it as an own property)
 * stays data.
 */
export function redactedJson(value: JsonValue): string {
  return JSON.stringify(value, (_key, item: unknown) => (isSealedSecret(item) ? redactedSecret : item));
}
