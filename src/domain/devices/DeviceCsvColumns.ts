/**
 * The columns of the device registration CSV: every field of both tables of the guide ("Registering
 * LwM2M devices"). A header cell names a column without regard to case, surrounding spaces or runs of
 * inner spaces; "lwm2m server url" (first table) and "lwm2m server uri" (second table) are one column.
 */
import type { DeviceRegistrationField } from './DeviceEvents.ts';

/** Which registration field a column fills; `credentials` is read and ignored (it may hold secrets). */
export type DeviceCsvField = DeviceRegistrationField | 'credentials';

export interface DeviceCsvColumn {
  /** The name as the guide spells it, used in messages. */
  readonly name: string;
  /** Every accepted spelling, normalised (see normaliseHeaderName). */
  readonly aliases: readonly string[];
  readonly field: DeviceCsvField;
  /** A file without this column cannot describe a device. */
  readonly required: boolean;
}

function column(name: string, field: DeviceCsvField, options: { aliases?: readonly string[]; required?: boolean } = {}): DeviceCsvColumn {
  return {
    name,
    aliases: [name, ...(options.aliases ?? [])].map(normaliseHeaderName),
    field,
    required: options.required ?? false,
  };
}

export const deviceCsvColumns: readonly DeviceCsvColumn[] = [
  column('ID', 'externalId'),
  column('IDTYPE', 'idType'),
  column('CREDENTIALS', 'credentials'),
  column('NAME', 'name'),
  column('TYPE', 'type'),
  column('SHELL', 'shellEnabled'),
  column('com_cumulocity_model_Agent', 'agent'),
  column('endpoint id', 'endpoint', { required: true }),
  column('lwm2m server uri', 'serverUri', { aliases: ['lwm2m server url'] }),
  column('securityMode', 'securityMode', { required: true }),
  column('lwm2m psk_id', 'lwm2mPskId'),
  column('lwm2m psk_key', 'lwm2mPskKey'),
  column('bootstrap psk_id', 'bootstrapPskId'),
  column('bootstrap psk_key', 'bootstrapPskKey'),
  column('serverPublicKey', 'serverPublicKey'),
  column('publicKey', 'publicKey'),
  column('certificate', 'certificate'),
  column('generateBootstrapServerConfig', 'generateBootstrapServerConfig'),
  column('securityInstanceOffset', 'securityInstanceOffset'),
  column('bootstrapShortServerId', 'bootstrapShortServerId'),
  column('lwm2mShortServerId', 'lwm2mShortServerId'),
  column('registrationLifetime', 'registrationLifetime'),
  column('defaultMinimumPeriod', 'defaultMinimumPeriod'),
  column('defaultMaximumPeriod', 'defaultMaximumPeriod'),
  column('bindingMode', 'bindingMode'),
  column('notificationIfDisabled', 'notificationIfDisabled'),
  column('disableTimeout', 'disableTimeout'),
  column('external-c8y_BootstrapPskId', 'externalBootstrapPskId'),
];

export function normaliseHeaderName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

const columnsByAlias = new Map<string, DeviceCsvColumn>(
  deviceCsvColumns.flatMap((c) => c.aliases.map((alias) => [alias, c] as const)),
);

export function findDeviceCsvColumn(headerName: string): DeviceCsvColumn | undefined {
  return columnsByAlias.get(normaliseHeaderName(headerName));
}
