/**
 * Events of a device's operations queue, on the stream `operations-<endpoint>` (one stream per
 * device, so that the queue's order is the stream's order). An operation is requested (by whom,
 * under which correlation id), sent (each attempt), and ends as succeeded, failed or cancelled; an
 * attempt that timed out puts it back at the head of the queue, to be delivered again when the device
 * is next reachable; so does an attempt sent to an address the device has left (a new registration, or
 * an Update from another source address).
 */
import type { JsonValue } from '../Json.ts';
import type { NotificationAttributeName } from '../lwm2m/NotificationAttributes.ts';
import type { SealedSecret } from '../SealedSecret.ts';

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

/** A package of the firmware repository, named in an operation's content instead of its bytes. */
export type PackageReference = {
  readonly firmwareId: string;
  /** Hex SHA-256 of the package. */
  readonly sha256: string;
  readonly size: number;
};

/**
 * A value to write, as the event holds it: its text (parsed with its type, else the type of its
 * resource in the object model, when the request is built), or a reference to what an event must not
 * hold (a package of the firmware repository, a sealed text; app/observations/ContentReferences.ts
 * resolves those before the request is built). Type aliases, not interfaces, and mutable arrays, so
 * that an operation's content is a JsonValue, the shape the event store holds.
 */
export type WrittenValue =
  | { readonly path: string; readonly type?: string; readonly text: string }
  | { readonly path: string; readonly type: 'opaque'; readonly package: PackageReference }
  | { readonly path: string; readonly type: 'string'; readonly sealedText: Pick<SealedSecret, 'sealed' | 'fingerprint'> };

/** What a write, a create or a write-composite carries. */
export type WrittenValues = { readonly values: WrittenValue[] };

/**
 * Notification attributes (LwM2M Core 1.2 section 5.1.2) by name; in a Write-Attributes, a null value
 * removes the attribute (written as the bare name).
 */
export type AttributeContent = { readonly [Name in NotificationAttributeName]?: number | null };

/** LwM2M Core 1.2 section 6.3.2: how many levels below the path a Discover's answer lists (the `depth` query parameter). */
export type DiscoverDepth = { readonly depth: number };

/** A Cancel Observation by Reset: no request, the next notification is answered with a Reset (RFC 7641 section 3.6). */
export type CancelByReset = { readonly reset: true };

interface Targeted<Kind extends OperationKind, Content, Format extends number | undefined = number> {
  readonly kind: Kind;
  /** Target paths ("/3/0/1"); one for simple operations, several for composite ones. */
  readonly paths: readonly string[];
  /** null when the operation carries nothing. */
  readonly content: Content;
  /**
   * The content format an operator chose: the Accept of a Read or Observe, the Content-Format of a
   * Write or Create, both for a composite operation. Absent: chosen from the device's registration,
   * and the next format tried on 4.06 or 4.15; present: that format only. Never for an operation
   * that negotiates none (Discover answers in link format, the others carry no content).
   */
  readonly format?: Format;
}

/** The operations that negotiate a content format (Accept, Content-Format), which an operator may choose. */
export type FormattedOperation =
  | Targeted<'read' | 'read-composite' | 'observe-composite', null>
  | Targeted<'write-replace' | 'write-partial' | 'create' | 'write-composite', WrittenValues>
  /** The notification attributes of this observation alone, in the Observe's own query (Core 1.2 section 5.1.1); no null values there. */
  | Targeted<'observe', AttributeContent | null>;

/**
 * An operation as requested and as the `OperationRequested` event holds it, its content typed by its
 * kind (the JSON of each is the one app/operations/OperationRequests.ts documents, unchanged since
 * the content was an untyped JSON value: events of old load as they are).
 */
export type OperationSpec =
  | FormattedOperation
  | Targeted<'delete', null, undefined>
  | Targeted<'write-attributes', AttributeContent, undefined>
  /** The execute arguments, `0='on',1` (LwM2M Core 1.1 section 5.4.5), or none. */
  | Targeted<'execute', string | null, undefined>
  | Targeted<'discover', DiscoverDepth | null, undefined>
  /** null: the active cancel, the Observe again with Observe 1. */
  | Targeted<'cancel-observation', CancelByReset | null, undefined>;

/**
 * An operation whose content has not been checked against its kind: JSON from outside the compiler's
 * view. app/operations/OperationRequests.ts `parseOperation` turns it into an `OperationSpec`, once,
 * where an operation is checked before it is queued; every `OperationSpec` is such an operation.
 */
export interface UncheckedOperation {
  readonly kind: OperationKind;
  readonly paths: readonly string[];
  readonly content: JsonValue | null;
  readonly format?: number;
}

/** The operations that write values (a create, a write, a write-composite). */
export type WriteOperation = Extract<OperationSpec, { readonly content: WrittenValues }>;

export function writesValues(spec: OperationSpec): spec is WriteOperation {
  return spec.kind === 'write-replace' || spec.kind === 'write-partial' || spec.kind === 'create' || spec.kind === 'write-composite';
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
  /**
   * The node that sent it (the one holding the device's registration, when several nodes share the
   * event store); absent when sent by a node without an id, or recorded before nodes had ids.
   */
  readonly nodeId?: string;
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
