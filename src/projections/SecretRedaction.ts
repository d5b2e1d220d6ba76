/**
 * Removes secrets from event data before it leaves the event store for a read model or the API.
 *
 * Secrets only ever appear in events as SealedSecrets, so the redaction recognises them by shape
 * (an object with exactly `sealed` and `fingerprint` strings) wherever they sit: new event types with
 * secrets are redacted without being listed here. A redacted secret becomes the marker string, so the
 * audit trail still shows that a secret was set or changed, never what it was.
 */
import type { JsonValue } from '../domain/Json.ts';

export const redactedSecret = '[redacted]';

/**
 * The value as JSON text, each sealed secret replaced by the marker: JSON.stringify without a replacer,
 * then the secrets replaced in the text. A replacer function, called for every key and value, made
 * the serialisation several times dearer, and a read-model rebuild writes the data of every device
 * event it reads (BENCHMARKS.md, "Read model rebuild").
 */
export function redactedJson(value: JsonValue): string {
  return redactedJsonText(JSON.stringify(value));
}

/**
 * `redactedJson(JSON.parse(text))` for text that JSON.stringify wrote, without parsing it. JSON.stringify
 * writes a sealed secret as `{"sealed":"…","fingerprint":"…"}` (or the other key first: an object keeps
 * its insertion order) and nothing else as that: outside a string literal `{"` opens an object whose
 * first key follows, and inside one every quote is escaped (RFC 8259 section 7), so a match never
 * starts within a string; the closing brace right after the second string means the object has no
 * other key. A `"__proto__"` key (legal in JSON, and JSON.parse keeps it as an own property) stays data.
 */
export function redactedJsonText(text: string): string {
  // Most events carry no secret: one substring search instead of the pattern's scan.
  if (!text.includes('"sealed":"')) return text;
  return text.replace(sealedSecretText, redactedSecretText);
}

/** A JSON string literal: unescaped characters in runs, each escape (`\"`, `\\`, `\u0041`...) taken whole. */
const jsonString = String.raw`"[^"\\]*(?:\\.[^"\\]*)*"`;
const sealedSecretText = new RegExp(String.raw`\{(?:"sealed":${jsonString},"fingerprint":${jsonString}|"fingerprint":${jsonString},"sealed":${jsonString})\}`, 'g');
const redactedSecretText = JSON.stringify(redactedSecret);
