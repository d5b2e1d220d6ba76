/**
 * Events of a device's LwM2M registration (LwM2M Core 1.1 section 6.2), on the stream
 * `registration-<endpoint>`. Each carries what came on the wire that matters: the source address
 * and port, the channel (plain CoAP, DTLS with a PSK or a certificate, TCP, TLS with a PSK), lifetime, binding, queue mode, LwM2M version and
 * the object links. Times are ISO 8601 strings.
 */
import type { RegisteredObjects } from './ObjectLinks.ts';

/**
 * Which server port the message came in on, and how DTLS or TLS authenticated it. Over UDP: 'plain'
 * CoAP, DTLS with a PSK ('psk') or with a certificate or raw public key bound to the endpoint
 * ('certificate'). Over TCP (RFC 8323, LwM2M binding T): plain 'tcp', and TLS with a PSK ('tls') or
 * with a certificate bound to the endpoint ('tls-certificate').
 */
export type RegistrationChannel = 'plain' | 'psk' | 'certificate' | 'tcp' | 'tls' | 'tls-certificate';

/** How a channel authenticates its peer: not at all, by a PSK identity, or by a certificate or raw public key. */
export type ChannelSecurity = 'none' | 'psk' | 'certificate';

const channelSecurities: Readonly<Record<RegistrationChannel, ChannelSecurity>> = {
  plain: 'none',
  psk: 'psk',
  certificate: 'certificate',
  tcp: 'none',
  tls: 'psk',
  'tls-certificate': 'certificate',
};

export function channelSecurity(channel: RegistrationChannel): ChannelSecurity {
  return channelSecurities[channel];
}

export interface RegistrationRecord {
  readonly endpoint: string;
  /** The random id of `/rd/{id}` (Location-Path of the 2.01 reply). */
  readonly registrationId: string;
  readonly address: string;
  readonly port: number;
  readonly channel: RegistrationChannel;
  /** The PSK identity of the DTLS session or TLS connection (the psk and tls channels); null on the others. */
  readonly pskIdentity: string | null;
  readonly lifetime: number;
  readonly lwm2mVersion: string;
  readonly binding: string;
  readonly queueMode: boolean;
  readonly smsNumber: string | null;
  readonly objectLinks: RegisteredObjects;
  readonly registeredAt: string;
  /** The last Register or Update: lifetime counts from here. */
  readonly lastUpdateAt: string;
  /**
   * The node (lwm2m-hub process sharing the event store) that holds the registration: the one the
   * device registered with, which alone sends it requests. Absent in registrations recorded before
   * nodes had ids, or by a node configured without one: those were made by a node alone, and
   * whichever node reads them holds them (isHeldBy).
   */
  readonly nodeId?: string;
}

/** Whether the node holds the registration: it recorded it, or the registration names no node. */
export function isHeldBy(registration: Pick<RegistrationRecord, 'nodeId'>, nodeId: string | undefined): boolean {
  return registration.nodeId === undefined || registration.nodeId === nodeId;
}

export type RejectionReason = 'unknown-endpoint' | 'security-mode' | 'identity-mismatch' | 'unsupported-version';

export type RegistrationEvent =
  | { readonly type: 'DeviceRegistered'; readonly data: DeviceRegistered }
  | { readonly type: 'RegistrationUpdated'; readonly data: RegistrationUpdated }
  | { readonly type: 'DeviceDeregistered'; readonly data: DeviceDeregistered }
  | { readonly type: 'RegistrationExpired'; readonly data: RegistrationExpired }
  | { readonly type: 'RegistrationRejected'; readonly data: RegistrationRejected };

export interface DeviceRegistered {
  readonly registration: RegistrationRecord;
  /** The registration this one replaces (a client that registers again without de-registering). */
  readonly replacedRegistrationId: string | null;
}

export interface RegistrationUpdated {
  readonly endpoint: string;
  readonly registrationId: string;
  readonly address: string;
  readonly port: number;
  /** Where the device was before, when the source address or port changed (NAT rebinding, roaming). */
  readonly previousAddress: { readonly address: string; readonly port: number } | null;
  /** Each field null when the Update did not change it; all null: a keep-alive. */
  readonly lifetime: number | null;
  readonly binding: string | null;
  readonly queueMode: boolean | null;
  readonly smsNumber: string | null;
  readonly objectLinks: RegisteredObjects | null;
  readonly updatedAt: string;
  /**
   * The node that took the registration over with this Update: present only when the registration
   * named no node before (recorded before nodes had ids), since an Update reaches only the holder.
   */
  readonly nodeId?: string;
}

export interface DeviceDeregistered {
  readonly endpoint: string;
  readonly registrationId: string;
  /** Where the De-register came from. */
  readonly address: string;
  readonly port: number;
  /**
   * Where the registration was, when the De-register came from another address or port (NAT
   * rebinding, or another host that knew the registration id); null when from the same. Absent in
   * events recorded before it was kept.
   */
  readonly previousAddress?: { readonly address: string; readonly port: number } | null;
  readonly deregisteredAt: string;
}

export interface RegistrationExpired {
  readonly endpoint: string;
  readonly registrationId: string;
  readonly lastUpdateAt: string;
  readonly lifetime: number;
  readonly graceSeconds: number;
  readonly expiredAt: string;
}

export interface RegistrationRejected {
  readonly endpoint: string;
  readonly reason: RejectionReason;
  /** The CoAP response code the client got. */
  readonly responseCode: string;
  readonly address: string;
  readonly port: number;
  readonly channel: RegistrationChannel;
  readonly lwm2mVersion: string;
  readonly rejectedAt: string;
}

export const registrationStreamPrefix = 'registration-';

export function registrationStream(endpoint: string): string {
  return `${registrationStreamPrefix}${endpoint}`;
}
