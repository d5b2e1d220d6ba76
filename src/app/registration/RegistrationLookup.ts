/**
 * What device management needs of the registrations (the registration service provides it): where a
 * device is registered now, whether this node holds that registration, and which device is registered
 * at a source address.
 */
import type { RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import type { CoapPeer } from '../../adapters/coap/CoapEndpoint.ts';

export interface RegistrationLookup {
  /** This node's id among the nodes sharing the event store; undefined for a node alone. */
  readonly nodeId: string | undefined;
  registration(endpoint: string): RegistrationRecord | undefined;
  /** The device's registration when this node holds it (several nodes may share the event store); undefined otherwise. */
  heldRegistration(endpoint: string): RegistrationRecord | undefined;
  registrationAt(peer: CoapPeer): RegistrationRecord | undefined;
}
