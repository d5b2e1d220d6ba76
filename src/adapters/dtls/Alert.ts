/** Alerts (RFC 5246 section 7.2; unknown_psk_identity from RFC 4279 section 2). */
import { ByteReader } from './ByteReader.ts';
import type { ParseResult } from './ByteReader.ts';

export const AlertLevel = { warning: 1, fatal: 2 } as const;

export const AlertDescription = {
  closeNotify: 0,
  unexpectedMessage: 10,
  badRecordMac: 20,
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateExpired: 45,
  illegalParameter: 47,
  unknownCa: 48,
  accessDenied: 49,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  internalError: 80,
  noRenegotiation: 100,
  unknownPskIdentity: 115,
} as const;

export interface Alert {
  readonly level: number;
  readonly description: number;
}

export function parseAlert(fragment: Buffer): ParseResult<Alert> {
  const reader = new ByteReader(fragment);
  const level = reader.uint8('alert level');
  const description = reader.uint8('alert description');
  if (reader.error === undefined && reader.remaining > 0) reader.fail('trailing bytes after alert');
  if (reader.error === undefined && level !== AlertLevel.warning && level !== AlertLevel.fatal) reader.fail(`unknown alert level ${level}`, 0);
  if (reader.error !== undefined) return { ok: false, error: reader.error };
  return { ok: true, value: { level, description } };
}

export function serializeAlert(alert: Alert): Buffer {
  return Buffer.from([alert.level, alert.description]);
}

/** A readable name for logs and failure reasons. */
export function alertName(description: number): string {
  const entry = Object.entries(AlertDescription).find(([, value]) => value === description);
  return entry?.[0] ?? `alert ${description}`;
}

/** The name of an alert that ends a handshake (a fatal one or close_notify), or undefined for any other (RFC 5246 section 7.2). */
export function handshakeEndingAlert(fragment: Buffer): string | undefined {
  const alert = parseAlert(fragment);
  if (!alert.ok) return undefined;
  return alert.value.level === AlertLevel.fatal || alert.value.description === AlertDescription.closeNotify ? alertName(alert.value.description) : undefined;
}
