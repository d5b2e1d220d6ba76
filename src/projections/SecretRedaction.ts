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

export function redactSecrets(value: JsonValue): JsonValue {
  if (isSealedSecret(value)) return redactedSecret;
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value === 'object' && value !== null) {
    // Object.fromEntries defines own properties: an assignment loop would turn a "__proto__" key (legal
    // in JSON, and JSON.parse keeps it as an own property) into a prototype change and drop it.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactSecrets(item)]));
  }
  return value;
}
