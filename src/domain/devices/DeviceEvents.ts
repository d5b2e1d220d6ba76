/**
 * Events of a device's registration data (the operator's CSV), on the stream `device-<endpoint>`.
 * They are the source of truth for who may bootstrap and register, and with which credentials.
 */
import type { SealedSecret } from '../SealedSecret.ts';

/**
 * The LwM2M server account's security (Core 1.1 Appendix E.1, resource /0/x/2): no security, a
 * pre-shared key, an X.509 certificate, or a raw public key (RFC 7250).
 */
export type SecurityMode = 'NO_SEC' | 'PSK' | 'X509' | 'RPK';
export type BindingMode = 'U' | 'UQ';

/** One device's registration data, as imported from one CSV row. */
export interface DeviceRegistrationData {
  /** "endpoint id": the LwM2M client's Endpoint Name. The identity of the device everywhere. */
  readonly endpoint: string;
  /** "ID": the operator's unique id of the device (IMEI, serial number). */
  readonly externalId: string;
  /** "IDTYPE". */
  readonly idType: string;
  /** "NAME"; defaults to the endpoint. */
  readonly name: string;
  /** "TYPE": always c8y_lwm2m. */
  readonly type: 'c8y_lwm2m';
  /** "SHELL": 1 enables the device shell. */
  readonly shellEnabled: boolean;
  /** "com_cumulocity_model_Agent". */
  readonly agent: boolean;
  /** "lwm2m server uri" / "lwm2m server url": written to the device during bootstrap. */
  readonly serverUri: string | null;
  readonly securityMode: SecurityMode;
  readonly lwm2mPskId: string | null;
  readonly lwm2mPskKey: SealedSecret | null;
  readonly bootstrapPskId: string | null;
  readonly bootstrapPskKey: SealedSecret | null;
  /**
   * "serverPublicKey": for X509 the server's certificate, for RPK its SubjectPublicKeyInfo, as base64
   * DER (null: the service's own); for NO_SEC and PSK the text as given, never used.
   */
  readonly serverPublicKey: string | null;
  /**
   * "publicKey": an RPK device's SubjectPublicKeyInfo (secp256r1), base64 DER; it binds the key to this
   * endpoint. Absent in registrations imported before raw public keys, and in rows without one.
   */
  readonly publicKey?: string | null;
  /**
   * "certificate": an X509 device's own certificate, base64 DER, pinned: the device must present exactly
   * this one. Absent (or null) when the device is bound by its certificate's name alone.
   */
  readonly certificate?: string | null;
  readonly generateBootstrapServerConfig: boolean;
  readonly securityInstanceOffset: number;
  readonly bootstrapShortServerId: number;
  readonly lwm2mShortServerId: number;
  /** Seconds; null: the service's global default. */
  readonly registrationLifetime: number | null;
  readonly defaultMinimumPeriod: number | null;
  readonly defaultMaximumPeriod: number | null;
  readonly bindingMode: BindingMode;
  /** Server object /1/x/7 "Notification Storing When Disabled or Offline"; null: not configured. */
  readonly notificationIfDisabled: boolean | null;
  /** Server object /1/x/5 "Disable Timeout", in seconds; null: not configured. */
  readonly disableTimeout: number | null;
  /** "external-c8y_BootstrapPskId": finds the device during bootstrap. */
  readonly externalBootstrapPskId: string | null;
}

export type DeviceRegistrationField = keyof DeviceRegistrationData;

export type DeviceEvent =
  | { readonly type: 'DeviceRegistrationImported'; readonly data: DeviceRegistrationImported }
  | { readonly type: 'DeviceRegistrationUpdated'; readonly data: DeviceRegistrationUpdated }
  | { readonly type: 'DeviceDecommissioned'; readonly data: DeviceDecommissioned };

export interface DeviceRegistrationImported {
  readonly registration: DeviceRegistrationData;
  /** Where it came from: the import's id and the CSV line, for the audit trail. */
  readonly importId: string;
  readonly line: number;
  /** True: the event counts only once its import is committed (StagedImports.ts). Absent in older logs. */
  readonly staged?: boolean;
}

export interface DeviceRegistrationUpdated {
  readonly endpoint: string;
  /** Only the fields that changed, with their new values. */
  readonly changes: Partial<DeviceRegistrationData>;
  readonly importId: string;
  readonly line: number;
  /** As in DeviceRegistrationImported. */
  readonly staged?: boolean;
}

export interface DeviceDecommissioned {
  readonly endpoint: string;
  readonly reason: string | null;
}

export const deviceStreamPrefix = 'device-';

export function deviceStream(endpoint: string): string {
  return `${deviceStreamPrefix}${endpoint}`;
}
