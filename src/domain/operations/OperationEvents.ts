/**
 * Events of a device's operations queue, on the stream `operations-<endpoint>` (one stream per
 * device, so that the queue's order is the stream's order). An operation is requested (by whom,
 * under which correlation id), sent (each attempt), and ends as succeeded, failed or cancelled; an
 * attempt that timed out puts it back at the head of the queue, to be delivered again when the device
 * is next reachable; so does an attempt sent to an address the device has left (a new registration, or
 * an Update from another source address).
 */
import type { JsonValue } from '../Json.ts';

/** The LwM2M operations of Core 1.1 sections 6.3 and 6.4 that the server asks of a device. */
export type OperationKind =
  | 'read'
  | 'discover'
  | 'write-replace'
  | 'write-partial'
  | 'write-attributes'
  | 'execute'
  | 'create'
  | 'delete'
  | 'observe'
  | 'cancel-observation'
  | 'read-composite'
  | 'write-composite'
  | 'observe-composite';

export interface OperationSpec {
  readonly kind: OperationKind;
  /** Target paths ("/3/0/1"); one for simple operations, several for composite ones. */
  readonly paths: readonly string[];
  /**
   * What to write, the execute arguments, the attributes (of Write-Attributes, and of an Observe in its
   * own query), a Discover's depth, a Cancel Observation's way; null when the operation carries nothing.
   */
  readonly content: JsonValue | null;
  /**
   * The content format an operator chose: the Accept of a Read or Observe, the Content-Format of a
   * Write or Create, both for a composite operation. Absent: chosen from the device's registration,
   * and the next format tried on 4.06 or 4.15; present: that format only.
   */
  readonly format?: number;
}

export type OperationEvent =
  | { readonly type: 'OperationRequested'; readonly data: OperationRequested }
  | { readonly type: 'OperationSent'; readonly data: OperationSent }
  | { readonly type: 'OperationDeliveryTimedOut'; readonly data: OperationDeliveryTimedOut }
  | { readonly type: 'OperationReturnedToQueue'; readonly data: OperationReturnedToQueue }
  | { readonly type: 'OperationSucceeded'; readonly data: OperationSucceeded }
  | { readonly type: 'OperationFailed'; readonly data: OperationFailed }
  | { readonly type: 'OperationCancelled'; readonly data: OperationCancelled };

export interface OperationRequested {
  readonly operationId: string;
  readonly endpoint: string;
  readonly operation: OperationSpec;
  /** `user:<token id>`, `system:<component>`. */
  readonly requestedBy: string;
  readonly correlationId: string;
  readonly requestedAt: string;
}

export interface OperationSent {
  readonly operationId: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
  readonly sentAt: string;
}

export interface OperationDeliveryTimedOut {
  readonly operationId: string;
  readonly attempt: number;
  readonly timedOutAt: string;
}

/**
 * Why an attempt in flight was given up before its answer: the device registered again (it restarted,
 * and its CoAP state with it), or an Update came from another source address (NAT rebinding, roaming).
 * LwM2M Transport 1.1 section 5: the server addresses the client at the source of its last Register
 * or Update, so an answer to the old address will not come.
 */
export type OperationReturnReason = 'new-registration' | 'address-changed';

export interface OperationReturnedToQueue {
  readonly operationId: string;
  /** The attempt given up. */
  readonly attempt: number;
  readonly reason: OperationReturnReason;
  /** Where the attempt was sent, and where the device is now ("192.0.2.1:5683"). */
  readonly from: string;
  readonly to: string;
  readonly returnedAt: string;
}

/** Why an attempt was given up, for a person: "the device moved from 192.0.2.1:5683 to 192.0.2.1:6000". */
export function describeReturn(returned: Pick<OperationReturnedToQueue, 'reason' | 'from' | 'to'>): string {
  return returned.reason === 'new-registration' ? `the device registered again from ${returned.to}` : `the device moved from ${returned.from} to ${returned.to}`;
}

export interface OperationSucceeded {
  readonly operationId: string;
  /** null when the operation needed no request: a Cancel Observation by Reset (RFC 7641 section 3.6). */
  readonly responseCode: string | null;
  /** The decoded response content; null when the response has none. */
  readonly content: JsonValue | null;
  readonly completedAt: string;
}

export interface OperationFailed {
  readonly operationId: string;
  /** The device's error code, or null when it never answered. */
  readonly responseCode: string | null;
  /** What went wrong, for a person: "the device answered 4.04 Not Found", "no answer after 3 attempts". */
  readonly reason: string;
  readonly attempts: number;
  readonly failedAt: string;
}

export interface OperationCancelled {
  readonly operationId: string;
  readonly cancelledBy: string;
  readonly reason: string | null;
  /** Whether it had been sent: a sent operation's response is then ignored. */
  readonly wasSent: boolean;
  readonly cancelledAt: string;
}

export const operationStreamPrefix = 'operations-';

export function operationStream(endpoint: string): string {
  return `${operationStreamPrefix}${endpoint}`;
}
