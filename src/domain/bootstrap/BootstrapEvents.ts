/**
 * Events of client-initiated bootstrap sessions, on the stream `bootstrap-<endpoint>` (the endpoint
 * name the client sent in its Bootstrap-Request). A session is started, then each step of its plan is
 * sent and answered, and it ends finished or failed (a Bootstrap-Pack session's one step, the pack, is
 * sent and finishes it); a request that never becomes a session (an
 * unknown endpoint, a bootstrap already under way) is refused. A Bootstrap-Discover's answer may
 * revise the plan's instance ids (BootstrapPlanRevised). No event carries a written payload: the PSK
 * keys stay out of the log; only a Discover's answer (object links and server URIs) is kept.
 */
import type { RegistrationChannel } from '../registration/RegistrationEvents.ts';
import type { BootstrapStepDescription, KeptAccounts } from './BootstrapPlan.ts';

/** How the device was found: by the `ep` it sent, by its external bootstrap id, or by its DTLS PSK identity. */
export interface BootstrapIdentity {
  readonly kind: 'endpoint' | 'externalBootstrapPskId' | 'pskIdentity';
  readonly value: string;
}

export interface BootstrapPeer {
  readonly address: string;
  readonly port: number;
  /** The port it came in on, in the registration's words: 'plain' CoAP, 'psk' (CoAP over DTLS with a PSK), 'tcp', 'tls' (CoAP over TLS with a PSK). */
  readonly channel: RegistrationChannel;
}

/**
 * The channel of a recorded peer: events recorded before the bootstrap and registration interfaces
 * shared one vocabulary call the DTLS port 'dtls'.
 */
export function recordedChannel(channel: string): RegistrationChannel {
  return channel === 'plain' || channel === 'certificate' || channel === 'tcp' || channel === 'tls' ? channel : 'psk';
}

export type BootstrapFailureReason =
  /** The session did not finish before its deadline, or the device stopped answering. */
  | 'timeout'
  /** The device answered a step with an error code (4.xx, 5.xx). */
  | 'device-error'
  /** The device's answer could not be used (RST, a broken response). */
  | 'device-unreachable';

export type BootstrapRefusalReason =
  /** No active device has this endpoint name or bootstrap identity. */
  | 'unknown-endpoint'
  /** A session of the same endpoint is under way and within its deadline. */
  | 'concurrent-bootstrap'
  /** The registration data cannot make a plan (a PSK device without its key). */
  | 'incomplete-registration';

export interface BootstrapSessionStarted {
  readonly sessionId: string;
  /** The device's endpoint name (from its registration data). */
  readonly endpoint: string;
  readonly peer: BootstrapPeer;
  readonly identity: BootstrapIdentity;
  /** The `pct` of the Bootstrap-Request, or null when the client sent none (a 1.0 client). */
  readonly preferredContentFormat: number | null;
  /** The format of the Bootstrap-Writes. */
  readonly contentFormat: number;
  /** The Security instances the plan avoids (assumed until a Discover answers); absent in sessions recorded before it was kept. */
  readonly keptAccounts?: KeptAccounts;
  readonly steps: readonly BootstrapStepDescription[];
  readonly startedAt: string;
  /** ISO time after which an unfinished session counts as failed ('timeout'). */
  readonly deadline: string;
}

export interface BootstrapStepSent {
  readonly sessionId: string;
  /** Index into the session's steps. */
  readonly step: number;
  readonly at: string;
}

export interface BootstrapStepAnswered {
  readonly sessionId: string;
  readonly step: number;
  /** The CoAP response code, "2.04", "4.00". */
  readonly code: string;
  /** A Bootstrap-Discover's answer (link format), cut to its first 2,048 characters; absent for other steps. */
  readonly content?: string;
  readonly at: string;
}

/** A Bootstrap-Discover told which Security instances the device keeps: the plan's instance ids as they are now. */
export interface BootstrapPlanRevised {
  readonly sessionId: string;
  /** The Discover step whose answer told. */
  readonly step: number;
  readonly keptAccounts: KeptAccounts;
  /** The whole plan, revised; the steps up to `step` are unchanged. */
  readonly steps: readonly BootstrapStepDescription[];
  readonly at: string;
}

export interface BootstrapSessionFinished {
  readonly sessionId: string;
  readonly at: string;
}

export interface BootstrapSessionFailed {
  readonly sessionId: string;
  readonly reason: BootstrapFailureReason;
  /** The step that failed, null when the deadline passed between steps. */
  readonly step: number | null;
  /** The device's error code ('device-error'), else null. */
  readonly code: string | null;
  readonly detail: string;
  readonly at: string;
}

export interface BootstrapRequestRefused {
  readonly sessionId: string;
  /** The `ep` of the request. */
  readonly endpoint: string;
  readonly peer: BootstrapPeer;
  readonly identity: BootstrapIdentity;
  readonly reason: BootstrapRefusalReason;
  /** For 'concurrent-bootstrap', the session under way. */
  readonly activeSessionId: string | null;
  readonly at: string;
}

export type BootstrapEvent =
  | { readonly type: 'BootstrapSessionStarted'; readonly data: BootstrapSessionStarted }
  | { readonly type: 'BootstrapStepSent'; readonly data: BootstrapStepSent }
  | { readonly type: 'BootstrapStepAnswered'; readonly data: BootstrapStepAnswered }
  | { readonly type: 'BootstrapPlanRevised'; readonly data: BootstrapPlanRevised }
  | { readonly type: 'BootstrapSessionFinished'; readonly data: BootstrapSessionFinished }
  | { readonly type: 'BootstrapSessionFailed'; readonly data: BootstrapSessionFailed }
  | { readonly type: 'BootstrapRequestRefused'; readonly data: BootstrapRequestRefused };

export const bootstrapEventTypes: readonly BootstrapEvent['type'][] = [
  'BootstrapSessionStarted',
  'BootstrapStepSent',
  'BootstrapStepAnswered',
  'BootstrapPlanRevised',
  'BootstrapSessionFinished',
  'BootstrapSessionFailed',
  'BootstrapRequestRefused',
];

export const bootstrapStreamPrefix = 'bootstrap-';

export function bootstrapStream(endpoint: string): string {
  return `${bootstrapStreamPrefix}${endpoint}`;
}
