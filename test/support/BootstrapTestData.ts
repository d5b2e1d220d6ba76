/** CSV rows and helpers shared by the bootstrap server's integration and end-to-end tests. */
import type { EventStore, RecordedEvent } from '../../src/adapters/eventstore/EventStore.ts';
import { bootstrapStream } from '../../src/domain/bootstrap/BootstrapEvents.ts';

export const CSV_HEADER = [
  'ID',
  'IDTYPE',
  'CREDENTIALS',
  'NAME',
  'TYPE',
  'SHELL',
  'com_cumulocity_model_Agent',
  'endpoint id',
  'lwm2m server uri',
  'securityMode',
  'lwm2m psk_id',
  'lwm2m psk_key',
  'bootstrap psk_id',
  'bootstrap psk_key',
  'serverPublicKey',
  'generateBootstrapServerConfig',
  'securityInstanceOffset',
  'bootstrapShortServerId',
  'lwm2mShortServerId',
  'registrationLifetime',
  'defaultMinimumPeriod',
  'defaultMaximumPeriod',
  'bindingMode',
  'notificationIfDisabled',
  'disableTimeout',
  'external-c8y_BootstrapPskId',
].join(';');

/** A NO_SEC row with only the mandatory columns (the server URI may be empty: the service's default). */
export function noSecRow(endpoint: string, serverUri = ''): string {
  return `${endpoint};c8y_Serial;;${endpoint};c8y_lwm2m;0;1;${endpoint};${serverUri};NO_SEC;;;;;;;;;;;;;;;;`;
}

export const FULL_PSK = {
  lwm2mPskId: 'psk-full-id',
  lwm2mPskKey: '00112233445566778899aabbccddeeff',
  bootstrapPskId: 'psk-full-bs-id',
  bootstrapPskKey: 'f0e1d2c3b4a59687',
  externalBootstrapPskId: 'ext-psk-full',
} as const;

/** A PSK row with every optional column set. */
export function fullPskRow(endpoint: string, serverUri: string): string {
  const p = FULL_PSK;
  return `${endpoint};c8y_Serial;;Full ${endpoint};c8y_lwm2m;1;1;${endpoint};${serverUri};PSK;${p.lwm2mPskId};${p.lwm2mPskKey};${p.bootstrapPskId};${p.bootstrapPskKey};;true;3;100;101;3600;10;900;UQ;false;7200;${p.externalBootstrapPskId}`;
}

/** One PSK device's credentials as a CSV row carries them (keys in hex). */
export interface PskRowCredentials {
  readonly endpoint: string;
  readonly lwm2mPskId: string;
  readonly lwm2mPskKey: string;
  readonly bootstrapPskId: string;
  readonly bootstrapPskKey: string;
}

/** A PSK row with only the mandatory columns: the service writes its own coaps:// server URI. */
export function minimalPskRow(device: PskRowCredentials): string {
  const d = device;
  return `${d.endpoint};c8y_Serial;;${d.endpoint};c8y_lwm2m;0;1;${d.endpoint};;PSK;${d.lwm2mPskId};${d.lwm2mPskKey};${d.bootstrapPskId};${d.bootstrapPskKey};;;;;;;;;;;;`;
}

/** A NO_SEC row with every optional column that NO_SEC allows set. */
export function fullNoSecRow(endpoint: string, serverUri: string): string {
  return `${endpoint};c8y_Serial;;Full ${endpoint};c8y_lwm2m;1;1;${endpoint};${serverUri};NO_SEC;;;;;;true;2;100;101;120;5;600;U;true;300;ext-${endpoint}`;
}

export function csv(...rows: string[]): string {
  return [CSV_HEADER, ...rows].join('\n') + '\n';
}

export function hexBytes(text: string): Uint8Array {
  return Uint8Array.from((text.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
}

/** The events of the endpoint's bootstrap stream. */
export async function bootstrapEvents(store: EventStore, endpoint: string): Promise<readonly RecordedEvent[]> {
  const result = await store.readStream(bootstrapStream(endpoint));
  return result.status === 'found' ? result.events : [];
}

/** Waits, with a deadline, until the stream holds `count` session endings (finished, failed or refused). */
export async function waitForSessionEnds(store: EventStore, endpoint: string, count = 1, ms = 5_000): Promise<readonly RecordedEvent[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const events = await bootstrapEvents(store, endpoint);
    const ends = events.filter((event) => ['BootstrapSessionFinished', 'BootstrapSessionFailed', 'BootstrapRequestRefused'].includes(event.type));
    if (ends.length >= count) return events;
    if (Date.now() > deadline) throw new Error(`bootstrap-${endpoint}: ${ends.length} of ${count} session endings within ${ms} ms: ${events.map((e) => e.type).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
