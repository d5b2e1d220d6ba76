/**
 * The LwM2M registration lifecycle of one device (LwM2M Core 1.1 section 6.2; Transport 1.1 section
 * 6.4), as a decider over the stream `registration-<endpoint>`. Pure: the adapter puts the time, the
 * random registration id, the source address and the device's registration data into the command.
 *
 * Rules:
 * - Only devices registered from the CSV may register; an unknown (or decommissioned) endpoint gets
 *   4.03, and so does a PSK device on the plain UDP or TCP port (the guide's security modes).
 * - On the DTLS port and the TLS port (CoAP over TLS, RFC 8323), the PSK identity the session authenticated must be the device's own
 *   (`lwm2m psk_id`), as Leshan's Authorizer requires: otherwise one device's key would let it register,
 *   update or de-register as another endpoint. 4.03 "identity-mismatch" otherwise. Likewise a session
 *   authenticated by a certificate or raw public key ('certificate' channel) acts only as the endpoint
 *   its credential is bound to, and an X509 or RPK device registers only over such a session.
 * - Versions: the policy lists what this server serves, 1.0, 1.1 and 1.2 by default, each served as
 *   registered (content formats, notification attributes). A client asking for another version (1.3,
 *   2.0) gets 4.12 Precondition Failed (Transport 1.1 section 6.4.3: "Supported LwM2M versions of the
 *   Server and the Client are not compatible"), after which it may retry with an older version.
 * - Rejections are audit events, at most one per endpoint per `rejectionAuditSeconds` (default 60 s),
 *   so that a misconfigured or hostile device retrying cannot flood the log; the 4.03 is sent anyway.
 * - A Register replaces any registration of the same endpoint (Core 1.1 section 6.2.1).
 * - Update and De-register name the registration by its id; an unknown or stale id gets 4.04 (the
 *   client then registers again, Core 1.1 section 6.2.2), and so does a registration that expired.
 *   They must come on the channel, and with the PSK identity, the registration was made with (4.03
 *   otherwise).
 * - The source address of an Update or De-register is not checked against the registration's: NAT
 *   rebinding and a client's new socket after sleeping change it legitimately (Transport 1.1 section
 *   6.4 names the registration by its location alone, and the OMA interoperability test
 *   LightweightM2M-1.1-int-105 accepts it). What authorizes the request is the registration id, 96
 *   random bits the device alone was given, and on the DTLS channel the PSK identity as well. Both
 *   events record the address the request came from and, when it differs, where the registration was
 *   (`previousAddress`); an Update moves the registration there.
 * - Several nodes (lwm2m-hub processes) may share one event store. A registration is held by the node
 *   the device registered with, recorded in DeviceRegistered (`nodeId`); a Register on another node
 *   replaces it there, as any Register does. An Update for a registration another node holds gets 4.04
 *   (Core 1.1 section 6.2.2, Transport 1.1 section 6.4: on 4.04 Not Found the client registers again), so that the
 *   device registers with the node its datagrams now reach, which then observes it afresh. A
 *   De-register is accepted on any node: the device leaves, and nothing needs to be set up again.
 *   A registration recorded without a node id (before nodes had ids) is held by whichever node serves
 *   it, and its first Update records that node.
 * - Expiry: a registration not updated within its lifetime plus `expiryGraceSeconds` (default 45 s,
 *   RFC 7252's MAX_TRANSMIT_SPAN: an Update sent at the last moment may need that long to get through
 *   its retransmissions) expires, as an event.
 */
import type { Decider } from '../Decider.ts';
import type { SecurityMode } from '../devices/DeviceEvents.ts';
import { DomainError } from '../DomainError.ts';
import type { RegisteredObjects } from './ObjectLinks.ts';
import type { RegisterParameters, UpdateParameters } from './RegistrationParameters.ts';
import type { RegistrationChannel, RegistrationEvent, RegistrationRecord, RejectionReason } from './RegistrationEvents.ts';
import { channelSecurity, isHeldBy } from './RegistrationEvents.ts';

/** What the registration needs to know of the device's registration data (the CSV). */
export interface DeviceAccess {
  readonly securityMode: SecurityMode;
  /** The device's `lwm2m psk_id` (PSK devices); null for NO_SEC devices. */
  readonly pskIdentity: string | null;
}

export interface RegistrationPolicy {
  readonly supportedVersions: readonly string[];
  readonly expiryGraceSeconds: number;
  readonly rejectionAuditSeconds: number;
}

export const defaultRegistrationPolicy: RegistrationPolicy = {
  supportedVersions: ['1.0', '1.1', '1.2'],
  expiryGraceSeconds: 45,
  rejectionAuditSeconds: 60,
};

export interface Source {
  readonly address: string;
  readonly port: number;
  readonly channel: RegistrationChannel;
  /** The PSK identity of the DTLS session the message came in; null on the plain channel. */
  readonly pskIdentity: string | null;
  /** On the certificate channel: the endpoint the session's certificate or raw public key is bound to. */
  readonly certifiedEndpoint?: string;
}

export type RegistrationCommand =
  | {
      readonly type: 'Register';
      readonly registrationId: string;
      readonly source: Source;
      readonly parameters: RegisterParameters;
      readonly objectLinks: RegisteredObjects;
      /** The device's registration data, or undefined when the endpoint is not registered. */
      readonly device: DeviceAccess | undefined;
      /** The node the Register came to, which holds the registration; absent for a node alone. */
      readonly nodeId?: string;
      readonly now: Date;
    }
  | {
      readonly type: 'Update';
      readonly registrationId: string;
      readonly source: Source;
      readonly parameters: UpdateParameters;
      readonly objectLinks: RegisteredObjects | null;
      /** The node the Update came to: it must hold the registration. */
      readonly nodeId?: string;
      readonly now: Date;
    }
  | { readonly type: 'Deregister'; readonly registrationId: string; readonly source: Source; readonly now: Date }
  | { readonly type: 'Expire'; readonly registrationId: string; readonly now: Date };

export interface RegistrationState {
  readonly registration: RegistrationRecord | null;
  readonly lastRejectedAt: string | null;
}

export type ResponseCode = '4.00' | '4.03' | '4.04' | '4.12';

/** A registration request the LwM2M interface refuses, with the CoAP code the client gets. */
export class RegistrationRefused extends DomainError {
  readonly responseCode: ResponseCode;

  constructor(responseCode: ResponseCode, message: string) {
    super(responseCode === '4.04' ? 'NOT_FOUND' : responseCode === '4.03' ? 'FORBIDDEN' : 'BAD_USER_INPUT', message, { responseCode });
    this.responseCode = responseCode;
  }
}

export type RegisterVerdict = { readonly accepted: true } | { readonly accepted: false; readonly reason: RejectionReason; readonly responseCode: ResponseCode };

/** Whether a Register is accepted; the adapter replies from this, the decider records from it. */
export function judgeRegister(device: DeviceAccess | undefined, source: Source, endpoint: string, lwm2mVersion: string, policy: RegistrationPolicy): RegisterVerdict {
  if (!device) return { accepted: false, reason: 'unknown-endpoint', responseCode: '4.03' };
  const security = channelSecurity(source.channel);
  if (device.securityMode === 'PSK' && security !== 'psk') return { accepted: false, reason: 'security-mode', responseCode: '4.03' };
  const certified = device.securityMode === 'X509' || device.securityMode === 'RPK';
  if (certified && security !== 'certificate') return { accepted: false, reason: 'security-mode', responseCode: '4.03' };
  if (security === 'psk' && (source.pskIdentity === null || source.pskIdentity !== device.pskIdentity)) {
    return { accepted: false, reason: 'identity-mismatch', responseCode: '4.03' };
  }
  if (security === 'certificate' && source.certifiedEndpoint !== endpoint) return { accepted: false, reason: 'identity-mismatch', responseCode: '4.03' };
  if (!policy.supportedVersions.includes(lwm2mVersion)) return { accepted: false, reason: 'unsupported-version', responseCode: '4.12' };
  return { accepted: true };
}

/** The moment a registration expires unless updated. */
export function registrationDeadline(registration: RegistrationRecord, policy: RegistrationPolicy): Date {
  return new Date(Date.parse(registration.lastUpdateAt) + (registration.lifetime + policy.expiryGraceSeconds) * 1000);
}

export function registrationDecider(policy: RegistrationPolicy = defaultRegistrationPolicy): Decider<RegistrationCommand, RegistrationEvent, RegistrationState> {
  return {
    initialState: { registration: null, lastRejectedAt: null },
    decide: (command, state) => decide(command, state, policy),
    evolve,
  };
}

function decide(command: RegistrationCommand, state: RegistrationState, policy: RegistrationPolicy): RegistrationEvent[] {
  const now = command.now.toISOString();
  switch (command.type) {
    case 'Register': {
      const { parameters, source } = command;
      const verdict = judgeRegister(command.device, source, parameters.endpoint, parameters.lwm2mVersion, policy);
      if (!verdict.accepted) {
        const last = state.lastRejectedAt === null ? undefined : Date.parse(state.lastRejectedAt);
        if (last !== undefined && command.now.getTime() - last < policy.rejectionAuditSeconds * 1000) return [];
        return [
          {
            type: 'RegistrationRejected',
            data: {
              endpoint: parameters.endpoint,
              reason: verdict.reason,
              responseCode: verdict.responseCode,
              address: source.address,
              port: source.port,
              channel: source.channel,
              lwm2mVersion: parameters.lwm2mVersion,
              rejectedAt: now,
            },
          },
        ];
      }
      return [
        {
          type: 'DeviceRegistered',
          data: {
            registration: {
              endpoint: parameters.endpoint,
              registrationId: command.registrationId,
              address: source.address,
              port: source.port,
              channel: source.channel,
              pskIdentity: source.pskIdentity,
              lifetime: parameters.lifetime,
              lwm2mVersion: parameters.lwm2mVersion,
              binding: parameters.binding,
              queueMode: parameters.queueMode,
              smsNumber: parameters.smsNumber,
              objectLinks: command.objectLinks,
              registeredAt: now,
              lastUpdateAt: now,
              ...(command.nodeId === undefined ? {} : { nodeId: command.nodeId }),
            },
            replacedRegistrationId: state.registration?.registrationId ?? null,
          },
        },
      ];
    }
    case 'Update': {
      const current = requireRegistration(state, command.registrationId, command.source, command.now, policy);
      if (!isHeldBy(current, command.nodeId)) throw new RegistrationRefused('4.04', `registration ${command.registrationId} is held by another node: register again`);
      const { parameters, source } = command;
      const moved = current.address !== source.address || current.port !== source.port;
      return [
        {
          type: 'RegistrationUpdated',
          data: {
            endpoint: current.endpoint,
            registrationId: current.registrationId,
            address: source.address,
            port: source.port,
            previousAddress: moved ? { address: current.address, port: current.port } : null,
            lifetime: changed(parameters.lifetime, current.lifetime),
            binding: changed(parameters.binding, current.binding),
            queueMode: changed(updatedQueueMode(current, parameters), current.queueMode),
            smsNumber: changed(parameters.smsNumber, current.smsNumber),
            objectLinks: command.objectLinks,
            updatedAt: now,
            ...(current.nodeId === undefined && command.nodeId !== undefined ? { nodeId: command.nodeId } : {}),
          },
        },
      ];
    }
    case 'Deregister': {
      const current = requireRegistration(state, command.registrationId, command.source, command.now, policy);
      const { address, port } = command.source;
      const moved = current.address !== address || current.port !== port;
      return [
        {
          type: 'DeviceDeregistered',
          data: {
            endpoint: current.endpoint,
            registrationId: current.registrationId,
            address,
            port,
            previousAddress: moved ? { address: current.address, port: current.port } : null,
            deregisteredAt: now,
          },
        },
      ];
    }
    case 'Expire': {
      const current = state.registration;
      if (!current || current.registrationId !== command.registrationId) return [];
      if (command.now < registrationDeadline(current, policy)) return [];
      return [
        {
          type: 'RegistrationExpired',
          data: {
            endpoint: current.endpoint,
            registrationId: current.registrationId,
            lastUpdateAt: current.lastUpdateAt,
            lifetime: current.lifetime,
            graceSeconds: policy.expiryGraceSeconds,
            expiredAt: now,
          },
        },
      ];
    }
  }
}

function requireRegistration(state: RegistrationState, registrationId: string, source: Source, now: Date, policy: RegistrationPolicy): RegistrationRecord {
  const current = state.registration;
  if (!current || current.registrationId !== registrationId) throw new RegistrationRefused('4.04', `no registration ${registrationId}`);
  // Expired but the expiry timer has not fired yet: the client must register again all the same.
  if (now >= registrationDeadline(current, policy)) throw new RegistrationRefused('4.04', `registration ${registrationId} has expired`);
  if (current.channel !== source.channel) throw new RegistrationRefused('4.03', `registration ${registrationId} was made on the ${current.channel} channel`);
  if (current.pskIdentity !== source.pskIdentity) throw new RegistrationRefused('4.03', `registration ${registrationId} belongs to another PSK identity`);
  if (channelSecurity(current.channel) === 'certificate' && source.certifiedEndpoint !== current.endpoint) {
    throw new RegistrationRefused('4.03', `registration ${registrationId} belongs to another certificate or public key`);
  }
  return current;
}

/** 1.0 carries queue mode in the binding ("UQ"); 1.1 in the `Q` parameter, which only turns it on. */
function updatedQueueMode(current: RegistrationRecord, parameters: UpdateParameters): boolean | null {
  if (parameters.bindingQueue !== null && current.lwm2mVersion === '1.0') return parameters.bindingQueue;
  if (parameters.bindingQueue === true || parameters.queueParameter) return true;
  return null;
}

function changed<T>(value: T | null, current: T): T | null {
  return value === null || value === current ? null : value;
}

function evolve(state: RegistrationState, event: RegistrationEvent): RegistrationState {
  switch (event.type) {
    case 'DeviceRegistered':
      return { ...state, registration: event.data.registration };
    case 'RegistrationUpdated': {
      const current = state.registration;
      if (!current) return state;
      const data = event.data;
      return {
        ...state,
        registration: {
          ...current,
          address: data.address,
          port: data.port,
          lifetime: data.lifetime ?? current.lifetime,
          binding: data.binding ?? current.binding,
          queueMode: data.queueMode ?? current.queueMode,
          smsNumber: data.smsNumber ?? current.smsNumber,
          objectLinks: data.objectLinks ?? current.objectLinks,
          lastUpdateAt: data.updatedAt,
          ...(data.nodeId === undefined ? {} : { nodeId: data.nodeId }),
        },
      };
    }
    case 'DeviceDeregistered':
    case 'RegistrationExpired':
      return { ...state, registration: null };
    case 'RegistrationRejected':
      return { ...state, lastRejectedAt: event.data.rejectedAt };
  }
}
