/**
 * One line in plain words for the events an operator reads most in a device's history (its
 * registrations and its operations); other events show their data as it is stored.
 */
import type { HistoryEntry } from '../../api/DeviceDocuments.ts';

/** The value at a path of keys in an event's JSON data, or undefined. */
function at(data: unknown, ...keys: readonly string[]): unknown {
  let value = data;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '');

export function summaryOf(entry: HistoryEntry): string | undefined {
  const data = entry.data;
  switch (entry.type) {
    case 'DeviceRegistered': {
      const registration = at(data, 'registration');
      return `registered from ${text(at(registration, 'address'))}:${text(at(registration, 'port'))} over ${text(at(registration, 'channel'))}, lifetime ${text(at(registration, 'lifetime'))} s, binding ${text(at(registration, 'binding'))}, LwM2M ${text(at(registration, 'lwm2mVersion'))}`;
    }
    case 'RegistrationUpdated': {
      const lifetime = at(data, 'lifetime');
      return `updated its registration${lifetime === null || lifetime === undefined ? '' : `, lifetime ${text(lifetime)} s`}`;
    }
    case 'DeviceDeregistered':
      return 'de-registered';
    case 'RegistrationExpired':
      return 'its registration expired (no update within its lifetime)';
    case 'RegistrationRejected':
      return `registration refused (${text(at(data, 'reason'))}, ${text(at(data, 'responseCode'))}) from ${text(at(data, 'address'))}:${text(at(data, 'port'))}`;
    case 'OperationRequested': {
      const paths = at(data, 'operation', 'paths');
      return `${text(at(data, 'operation', 'kind'))} ${Array.isArray(paths) ? paths.map(text).join(' ') : ''} requested by ${text(at(data, 'requestedBy'))}`;
    }
    case 'OperationSent':
      return `sent (attempt ${text(at(data, 'attempt'))})`;
    case 'OperationSucceeded':
      return `the device answered ${text(at(data, 'responseCode'))}`;
    case 'OperationFailed':
      return `failed: ${text(at(data, 'reason'))}${at(data, 'responseCode') ? ` (${text(at(data, 'responseCode'))})` : ''}`;
    case 'OperationCancelled':
      return `cancelled by ${text(at(data, 'cancelledBy'))}${at(data, 'reason') ? `: ${text(at(data, 'reason'))}` : ''}`;
    default:
      return undefined;
  }
}

/** The operation an event is about, if any: its answer and retries carry no correlation id, but this. */
export function operationIdOf(entry: HistoryEntry): string | undefined {
  const id = at(entry.data, 'operationId');
  return typeof id === 'string' ? id : undefined;
}

/**
 * The events of one request: those that carry its correlation id, and every event of the operations
 * it queued (sent, answered, failed, cancelled), which the service records under their operation id.
 */
export function eventsOfRequest(entries: readonly HistoryEntry[], correlationId: string): HistoryEntry[] {
  const operations = new Set(entries.filter((entry) => entry.correlationId === correlationId).flatMap((entry) => operationIdOf(entry) ?? []));
  return entries.filter((entry) => {
    const operationId = operationIdOf(entry);
    return entry.correlationId === correlationId || (operationId !== undefined && operations.has(operationId));
  });
}
