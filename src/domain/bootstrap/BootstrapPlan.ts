/**
 * The client-initiated bootstrap sequence of one device, as data (LwM2M Core 1.1 section 6.1, the
 * Bootstrap Interface): built from the device's registration data (the operator's CSV), the
 * service's defaults and what the server knows of the accounts the device keeps, run step by step by
 * the bootstrap server adapter, recorded step by step by the session decider.
 *
 * The sequence:
 * 1. Bootstrap-Discover of "/" (Core 1.1 section 6.1, Bootstrap-Discover; new in 1.1), only when the
 *    client announced a preferred content format (`pct`, which only 1.1 and later clients send). Its
 *    answer tells which Security instances the device keeps (BootstrapDiscovery.ts), and the plan is
 *    built again with that knowledge before the first write.
 * 2. Bootstrap-Delete of /0 and /1 (Core 1.1 section 6.1, Bootstrap-Delete): the client deletes every
 *    instance except the LwM2M Bootstrap-Server Account (the Security instance whose Bootstrap-Server
 *    resource is true), which it must keep, so that it can bootstrap again. The server never deletes
 *    that account itself: it names no instance of /0 in a Delete.
 * 3. Bootstrap-Write of the LwM2M server's Security instance.
 * 4. Bootstrap-Write of the LwM2M server's Server instance (the Security instance's id).
 * 5. With `generateBootstrapServerConfig`, Bootstrap-Write of the bootstrap server's own Security
 *    instance over the device's Bootstrap-Server account (the first kept instance), so that the device
 *    is left with one such account, the operator's, rather than two to choose from; at the next free
 *    id when the device keeps none.
 * 6. With a Discover in step 1, a second Bootstrap-Discover of "/": the accounts as the device now holds
 *    them, recorded before Bootstrap-Finish (the sequence of the OMA LwM2M interoperability test cases
 *    for client-initiated bootstrap).
 * 7. Bootstrap-Finish.
 *
 * A Bootstrap-Pack (Core 1.2 section 6.1.7, Bootstrap-Pack-Request; `GET /bspack`, Transport 1.2) is
 * the same writes in one answer instead: `buildBootstrapPack` makes a plan of one 'pack' step that
 * holds them, in SenML CBOR (full paths, so one pack carries instances of several objects). There is
 * no Discover (the client asks and is answered; the server sends no request), so the instance ids
 * are those of the assumption below, and no Bootstrap-Finish: the client applies the pack and then
 * registers.
 *
 * Instance ids: the writes start at `securityInstanceOffset` (the guide's "first instance to which
 * entries are written") and skip every Security instance the device keeps, so that the device's
 * Bootstrap-Server account survives (a write of an existing instance overwrites it, Core 1.1 section
 * 6.1, Bootstrap-Write). The kept instances are the Bootstrap-Server accounts its Bootstrap-Discover
 * lists (BootstrapDiscovery.ts); without an answer (a 1.0 client, which has no Bootstrap-Discover, or
 * one that answered with an error) the plan assumes the account at /0/0, where the factory bootstrap
 * account of the common client stacks (Leshan, Wakaama, Zephyr) is: offset 0 then writes from /0/1
 * upward. An operator whose 1.0 devices keep their account elsewhere sets the offset past it.
 *
 * Resource ids and types follow the Security (0) and Server (1) object definitions (Core 1.1
 * Appendix E.1 and E.2): integers are 'integer', the PSK identity and key are 'opaque' (the identity as
 * its UTF-8 bytes, RFC 4279 section 5.1), Bootstrap-Server and Notification Storing are 'boolean',
 * the URI and the Binding are 'string'.
 *
 * X509 and RPK devices (Security Mode 2 and 1): "Public Key or Identity" (/0/x/3) is the device's
 * certificate or SubjectPublicKeyInfo when the CSV gives it, and "Server Public Key" (/0/x/4) the
 * server's certificate or SubjectPublicKeyInfo (the CSV's serverPublicKey, else the service's own), all
 * DER as 'opaque'. "Secret Key" (/0/x/5) is never written for them: it would be the device's private
 * key, which the CSV does not hold, because a private key belongs to the device alone (generated on it,
 * or provisioned at the factory): carried in an operator's file and written over the network, it
 * would no longer authenticate the device.
 *
 * Throws IncompleteBootstrapData when the data cannot make a plan.
 *
 * Pure: the clear PSK keys arrive as bytes (the adapter opens the sealed CSV values); the plan holds
 * them only in its write nodes, and `describeStep` never includes a payload.
 */
import { DomainError } from '../DomainError.ts';
import type { DeviceRegistrationData } from '../devices/DeviceEvents.ts';
import type { LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import {
  booleanValue,
  integerValue,
  opaqueValue,
  stringValue,
  type LwM2mValue,
  type ObjectInstanceNode,
  type ResourceNode,
} from '../lwm2m/LwM2mValue.ts';
import { CONTENT_FORMAT } from '../lwm2m/content/ContentFormat.ts';

/** Security Mode resource values, Core 1.1 Appendix E.1 (resource 2 of object 0). */
export const SECURITY_MODE = { psk: 0, rawPublicKey: 1, certificate: 2, noSec: 3 } as const;

/** Object instance ids are 0 to 65534; 65535 is reserved. */
const MAX_INSTANCE_ID = 65534;

/** Resource ids of the Security object (0), Core 1.1 Appendix E.1. */
export const SECURITY_RESOURCE = {
  serverUri: 0,
  bootstrapServer: 1,
  securityMode: 2,
  publicKeyOrIdentity: 3,
  serverPublicKey: 4,
  secretKey: 5,
  shortServerId: 10,
} as const;

/** Resource ids of the Server object (1), Core 1.1 Appendix E.2. */
export const SERVER_RESOURCE = {
  shortServerId: 0,
  lifetime: 1,
  defaultMinimumPeriod: 2,
  defaultMaximumPeriod: 3,
  disableTimeout: 5,
  notificationStoring: 6,
  binding: 7,
} as const;

/** The registration data cannot make a complete plan (a PSK device without its key). */
export class IncompleteBootstrapData extends DomainError {
  constructor(endpoint: string, reason: string) {
    super('BAD_USER_INPUT', `cannot bootstrap "${endpoint}": ${reason}`, { endpoint });
  }
}

/** What the service writes when the CSV leaves it out. */
export interface BootstrapDefaults {
  /** The LwM2M server's own URIs: `coap://` for NO_SEC devices, `coaps://` for PSK devices. */
  readonly lwm2mServerUri: { readonly plain: string; readonly secure: string };
  /** The bootstrap server's URIs, for its own Security instance (generateBootstrapServerConfig). */
  readonly bootstrapServerUri: { readonly plain: string; readonly secure: string };
  /** Registration lifetime in seconds when the CSV has none. */
  readonly lifetime: number;
  /**
   * The LwM2M server's own credential, DER, for X509 and RPK devices whose CSV gives no serverPublicKey;
   * absent when the service has no certificate.
   */
  readonly serverCredential?: { readonly certificate: Uint8Array; readonly publicKeyInfo: Uint8Array };
}

/** The clear PSK keys of the device, opened from the sealed CSV values by the adapter. */
export interface BootstrapKeys {
  readonly lwm2mPskKey: Uint8Array | null;
  readonly bootstrapPskKey: Uint8Array | null;
}

export type WritePurpose = 'lwm2m-server-security' | 'lwm2m-server' | 'bootstrap-server-security';

export interface BootstrapWrite {
  readonly kind: 'write';
  readonly target: LwM2mPath;
  readonly purpose: WritePurpose;
  readonly node: ObjectInstanceNode;
}

export type BootstrapStep =
  | { readonly kind: 'discover'; readonly target: '/' }
  | { readonly kind: 'delete'; readonly target: LwM2mPath }
  | BootstrapWrite
  /** A Bootstrap-Pack: the answer to the client's `GET /bspack`, every write at once. */
  | { readonly kind: 'pack'; readonly writes: readonly BootstrapWrite[] }
  | { readonly kind: 'finish' };

export type BootstrapStepKind = BootstrapStep['kind'];

/** The Security instances the device keeps through Bootstrap-Delete (its Bootstrap-Server accounts), and how the server knows. */
export interface KeptAccounts {
  /** 'discovered': its Bootstrap-Discover listed them; 'assumed': no answer, the factory account at /0/0. */
  readonly basis: 'discovered' | 'assumed';
  readonly securityInstances: readonly number[];
}

/** What the plan assumes without a Bootstrap-Discover answer (see the header). */
export const ASSUMED_KEPT_ACCOUNTS: KeptAccounts = { basis: 'assumed', securityInstances: [0] };

export interface BootstrapPlan {
  /** The format of every Bootstrap-Write. */
  readonly contentFormat: number;
  readonly kept: KeptAccounts;
  readonly steps: readonly BootstrapStep[];
}

/** A step as events and read models show it: never its payload. */
export interface BootstrapStepDescription {
  readonly kind: BootstrapStepKind;
  /** "/", "/0", "/0/1"; the Bootstrap-Finish request's own path "/bs"; a Bootstrap-Pack's "/bspack". */
  readonly target: string;
  readonly purpose: WritePurpose | null;
}

/** The formats a Bootstrap-Write of an object instance may use when the client prefers them. */
const WRITABLE_FORMATS: readonly number[] = [CONTENT_FORMAT.tlv, CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.senmlJson, CONTENT_FORMAT.lwm2mCbor];

/**
 * The format of the writes. No `pct` means the client did not say, which 1.0 clients never do: TLV,
 * the one format every 1.0 client supports (Core 1.0 section 6.4). With `pct` (Core 1.1 section 6.1,
 * Bootstrap-Request: the client's preferred format), that format when it can carry an object
 * instance, else SenML CBOR, the compact format 1.1 clients support.
 */
export function bootstrapContentFormat(preferredContentFormat: number | null): number {
  if (preferredContentFormat === null) return CONTENT_FORMAT.tlv;
  return WRITABLE_FORMATS.includes(preferredContentFormat) ? preferredContentFormat : CONTENT_FORMAT.senmlCbor;
}

export function buildBootstrapPlan(
  device: DeviceRegistrationData,
  keys: BootstrapKeys,
  defaults: BootstrapDefaults,
  preferredContentFormat: number | null,
  kept: KeptAccounts = ASSUMED_KEPT_ACCOUNTS,
): BootstrapPlan {
  const writes = bootstrapWrites(device, keys, defaults, kept);
  const steps: BootstrapStep[] = [];
  const discovers = preferredContentFormat !== null;
  if (discovers) steps.push({ kind: 'discover', target: '/' });
  steps.push({ kind: 'delete', target: { objectId: 0 } }, { kind: 'delete', target: { objectId: 1 } });
  steps.push(...writes);
  if (discovers) steps.push({ kind: 'discover', target: '/' });
  steps.push({ kind: 'finish' });
  return { contentFormat: bootstrapContentFormat(preferredContentFormat), kept, steps };
}

/** The plan of a Bootstrap-Pack-Request: one 'pack' step with the writes, in SenML CBOR (see the header). */
export function buildBootstrapPack(device: DeviceRegistrationData, keys: BootstrapKeys, defaults: BootstrapDefaults): BootstrapPlan {
  const writes = bootstrapWrites(device, keys, defaults, ASSUMED_KEPT_ACCOUNTS);
  return { contentFormat: CONTENT_FORMAT.senmlCbor, kept: ASSUMED_KEPT_ACCOUNTS, steps: [{ kind: 'pack', writes }] };
}

/** The Security and Server instances the device is given, at ids that avoid the `kept` accounts. */
function bootstrapWrites(device: DeviceRegistrationData, keys: BootstrapKeys, defaults: BootstrapDefaults, kept: KeptAccounts): BootstrapWrite[] {
  const [serverId, nextFreeId] = freeInstanceIds(device.securityInstanceOffset, kept.securityInstances, 2);
  const bootstrapId = kept.securityInstances[0] ?? nextFreeId;
  if (serverId === undefined || bootstrapId === undefined) throw new IncompleteBootstrapData(device.endpoint, 'the device keeps every Security instance id');
  const writes: BootstrapWrite[] = [
    { kind: 'write', target: { objectId: 0, instanceId: serverId }, purpose: 'lwm2m-server-security', node: lwm2mServerSecurity(device, keys, defaults, serverId) },
    { kind: 'write', target: { objectId: 1, instanceId: serverId }, purpose: 'lwm2m-server', node: lwm2mServer(device, defaults, serverId) },
  ];
  if (device.generateBootstrapServerConfig) {
    writes.push({
      kind: 'write',
      target: { objectId: 0, instanceId: bootstrapId },
      purpose: 'bootstrap-server-security',
      node: bootstrapServerSecurity(device, keys, defaults, bootstrapId),
    });
  }
  return writes;
}

/** The first `count` instance ids from `offset` upward that are not `kept`, wrapping to 0 after the last id. */
export function freeInstanceIds(offset: number, kept: readonly number[], count: number): number[] {
  const taken = new Set(kept);
  const ids: number[] = [];
  for (let step = 0; step <= MAX_INSTANCE_ID && ids.length < count; step++) {
    const id = (offset + step) % (MAX_INSTANCE_ID + 1);
    if (!taken.has(id)) ids.push(id);
  }
  return ids;
}

export function describeStep(step: BootstrapStep): BootstrapStepDescription {
  switch (step.kind) {
    case 'discover':
      return { kind: 'discover', target: step.target, purpose: null };
    case 'delete':
      return { kind: 'delete', target: `/${step.target.objectId}`, purpose: null };
    case 'write':
      return { kind: 'write', target: `/${step.target.objectId}/${String(step.target.instanceId)}`, purpose: step.purpose };
    case 'pack':
      return { kind: 'pack', target: '/bspack', purpose: null };
    case 'finish':
      return { kind: 'finish', target: '/bs', purpose: null };
  }
}

const securityModeValues: Record<DeviceRegistrationData['securityMode'], number> = {
  NO_SEC: SECURITY_MODE.noSec,
  PSK: SECURITY_MODE.psk,
  X509: SECURITY_MODE.certificate,
  RPK: SECURITY_MODE.rawPublicKey,
};

function lwm2mServerSecurity(device: DeviceRegistrationData, keys: BootstrapKeys, defaults: BootstrapDefaults, instanceId: number): ObjectInstanceNode {
  const psk = device.securityMode === 'PSK';
  const uri = device.serverUri ?? (device.securityMode === 'NO_SEC' ? defaults.lwm2mServerUri.plain : defaults.lwm2mServerUri.secure);
  const resources: [number, LwM2mValue][] = [
    [SECURITY_RESOURCE.serverUri, stringValue(uri)],
    [SECURITY_RESOURCE.bootstrapServer, booleanValue(false)],
    [SECURITY_RESOURCE.securityMode, integerValue(BigInt(securityModeValues[device.securityMode]))],
  ];
  if (device.securityMode === 'X509' || device.securityMode === 'RPK') resources.push(...certifiedCredentials(device, defaults));
  if (psk) {
    // The CSV validator makes both mandatory for PSK; a registration without them cannot be written.
    if (device.lwm2mPskId === null || keys.lwm2mPskKey === null) throw new IncompleteBootstrapData(device.endpoint, 'a PSK device needs its lwm2m psk_id and psk_key');
    resources.push(
      [SECURITY_RESOURCE.publicKeyOrIdentity, opaqueValue(new TextEncoder().encode(device.lwm2mPskId))],
      [SECURITY_RESOURCE.secretKey, opaqueValue(keys.lwm2mPskKey)],
    );
  }
  resources.push([SECURITY_RESOURCE.shortServerId, integerValue(BigInt(device.lwm2mShortServerId))]);
  return instance(instanceId, resources);
}

/** /0/x/3 and /0/x/4 of an X509 or RPK device (see the header); the CSV's values are base64 DER. */
function certifiedCredentials(device: DeviceRegistrationData, defaults: BootstrapDefaults): [number, LwM2mValue][] {
  const x509 = device.securityMode === 'X509';
  const own = x509 ? device.certificate : device.publicKey;
  const fallback = x509 ? defaults.serverCredential?.certificate : defaults.serverCredential?.publicKeyInfo;
  const server = device.serverPublicKey === null ? fallback : base64Bytes(device.serverPublicKey);
  if (server === undefined) throw new IncompleteBootstrapData(device.endpoint, 'an X509 or RPK device needs a serverPublicKey, and the service has no certificate of its own');
  const resources: [number, LwM2mValue][] = [];
  if (own !== undefined && own !== null) resources.push([SECURITY_RESOURCE.publicKeyOrIdentity, opaqueValue(base64Bytes(own))]);
  resources.push([SECURITY_RESOURCE.serverPublicKey, opaqueValue(server)]);
  return resources;
}

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function lwm2mServer(device: DeviceRegistrationData, defaults: BootstrapDefaults, instanceId: number): ObjectInstanceNode {
  const resources: [number, LwM2mValue][] = [
    [SERVER_RESOURCE.shortServerId, integerValue(BigInt(device.lwm2mShortServerId))],
    [SERVER_RESOURCE.lifetime, integerValue(BigInt(device.registrationLifetime ?? defaults.lifetime))],
  ];
  // Optional resources are written only when the CSV sets them: otherwise the client keeps its own
  // defaults (Core 1.1 Appendix E.2: "Default Minimum Period", "Disable Timeout" ... are optional).
  if (device.defaultMinimumPeriod !== null) resources.push([SERVER_RESOURCE.defaultMinimumPeriod, integerValue(BigInt(device.defaultMinimumPeriod))]);
  if (device.defaultMaximumPeriod !== null) resources.push([SERVER_RESOURCE.defaultMaximumPeriod, integerValue(BigInt(device.defaultMaximumPeriod))]);
  if (device.disableTimeout !== null) resources.push([SERVER_RESOURCE.disableTimeout, integerValue(BigInt(device.disableTimeout))]);
  // Notification Storing is mandatory in the object definition; the CSV's "not configured" writes
  // the definition's recommended value, true.
  resources.push([SERVER_RESOURCE.notificationStoring, booleanValue(device.notificationIfDisabled ?? true)]);
  resources.push([SERVER_RESOURCE.binding, stringValue(serverBinding(device))]);
  return instance(instanceId, resources);
}

/**
 * The Server object's Binding: the CSV's (U, or UQ with queue mode) over UDP, and T in place of U when
 * the device's server URI is CoAP over TCP or TLS (Core 1.1 Appendix E.2, Transport 1.1 section 5,
 * RFC 8323 section 8), so that the client connects by the transport the URI names.
 */
function serverBinding(device: DeviceRegistrationData): string {
  const overTcp = device.serverUri?.startsWith('coap+tcp:') === true || device.serverUri?.startsWith('coaps+tcp:') === true;
  return overTcp ? device.bindingMode.replace('U', 'T') : device.bindingMode;
}

function bootstrapServerSecurity(device: DeviceRegistrationData, keys: BootstrapKeys, defaults: BootstrapDefaults, instanceId: number): ObjectInstanceNode {
  const identity = device.bootstrapPskId;
  const key = keys.bootstrapPskKey;
  const psk = identity !== null && key !== null;
  const resources: [number, LwM2mValue][] = [
    [SECURITY_RESOURCE.serverUri, stringValue(psk ? defaults.bootstrapServerUri.secure : defaults.bootstrapServerUri.plain)],
    [SECURITY_RESOURCE.bootstrapServer, booleanValue(true)],
    [SECURITY_RESOURCE.securityMode, integerValue(BigInt(psk ? SECURITY_MODE.psk : SECURITY_MODE.noSec))],
  ];
  if (psk) {
    resources.push(
      [SECURITY_RESOURCE.publicKeyOrIdentity, opaqueValue(new TextEncoder().encode(identity))],
      [SECURITY_RESOURCE.secretKey, opaqueValue(key)],
    );
  }
  resources.push([SECURITY_RESOURCE.shortServerId, integerValue(BigInt(device.bootstrapShortServerId))]);
  return instance(instanceId, resources);
}

function instance(id: number, resources: readonly [number, LwM2mValue][]): ObjectInstanceNode {
  return {
    kind: 'objectInstance',
    id,
    resources: new Map<number, ResourceNode>(resources.map(([resourceId, value]) => [resourceId, { kind: 'resource', id: resourceId, value }])),
  };
}
