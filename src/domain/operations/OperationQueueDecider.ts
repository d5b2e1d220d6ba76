/**
 * A device's operations queue (the guide: "operations are always queued"), as a decider over
 * `operations-<endpoint>`. Pure: ids, time, reachability and responses arrive in commands.
 *
 * Rules:
 * - FIFO, one operation in flight at a time per device (RFC 7252 section 4.7, NSTART = 1: one
 *   outstanding interaction with a peer).
 * - Bounded: at most `maxQueueLength` operations waiting or in flight (default 1,000); beyond it a
 *   request is refused with OperationQueueFull (LIMIT_EXCEEDED).
 * - Delivery: `DeliverNext` sends the head when the device is reachable (the adapter says so: online
 *   in U binding, or awake in queue mode, see DeviceReachability.ts).
 * - An attempt that times out goes back to the head of the queue and is delivered again when the
 *   device is next reachable, up to `maxAttempts` attempts (default 3); then the operation fails with
 *   a reason a person understands.
 * - An attempt sent to an address the device has left (`ReturnToQueue`: it registered again, or updated
 *   from another address) goes back to the head of the queue as well, and counts as an attempt: it is
 *   delivered to the new address while attempts remain, else it fails saying why.
 * - A response to an operation that is no longer in flight (cancelled meanwhile) is ignored, and so
 *   is a time-out or a return of an attempt other than the one in flight (a node's late word on an attempt another
 *   node has since repeated).
 * - Several nodes may share the event store: the attempt records the node that sent it (`nodeId` of
 *   DeliverNext), which alone hears the answer. A node that takes a device over records the time-out of
 *   an attempt another node left unanswered (that node stopped) and delivers it again: an attempt the
 *   device may have carried out is repeated, as after a restart, rather than lost.
 */
import type { Decider } from '../Decider.ts';
import { DomainError } from '../DomainError.ts';
import type { JsonValue } from '../Json.ts';
import type { OperationEvent, OperationReturnReason, OperationSpec } from './OperationEvents.ts';
import { describeReturn } from './OperationEvents.ts';

export interface OperationQueuePolicy {
  readonly maxQueueLength: number;
  readonly maxAttempts: number;
}

export const defaultOperationQueuePolicy: OperationQueuePolicy = { maxQueueLength: 1_000, maxAttempts: 3 };

export type OperationCommand =
  | {
      readonly type: 'RequestOperation';
      readonly operationId: string;
      readonly endpoint: string;
      readonly operation: OperationSpec;
      readonly requestedBy: string;
      readonly correlationId: string;
      readonly now: Date;
    }
  /** `nodeId`: the node delivering, recorded in the attempt (absent for a node alone). */
  | { readonly type: 'DeliverNext'; readonly reachable: boolean; readonly nodeId?: string; readonly now: Date }
  | { readonly type: 'RecordResponse'; readonly operationId: string; readonly responseCode: string; readonly content: JsonValue | null; readonly now: Date }
  /** `attempt`: the attempt that timed out; absent, whichever is in flight. */
  | { readonly type: 'RecordTimeout'; readonly operationId: string; readonly attempt?: number; readonly now: Date }
  /** The device left the address the operation was sent to (`from`, `to`: "address:port"). */
  | { readonly type: 'ReturnToQueue'; readonly operationId: string; readonly attempt?: number; readonly reason: OperationReturnReason; readonly from: string; readonly to: string; readonly now: Date }
  /** The operation in flight was done without a request to the device (a Cancel Observation by Reset). */
  | { readonly type: 'RecordDoneWithoutRequest'; readonly operationId: string; readonly content: JsonValue | null; readonly now: Date }
  /** A failure that retrying cannot cure: the device reset the request, or its answer was unreadable. */
  | { readonly type: 'RecordFailure'; readonly operationId: string; readonly reason: string; readonly now: Date }
  | { readonly type: 'CancelOperation'; readonly operationId: string; readonly cancelledBy: string; readonly reason: string | null; readonly now: Date };

export interface QueuedOperation {
  readonly operationId: string;
  readonly operation: OperationSpec;
  /** Deliveries so far. */
  readonly attempts: number;
}

/** The operation in flight: its last attempt, when and by which node it was sent. */
export interface SentOperation extends QueuedOperation {
  readonly sentAt: string;
  /** Absent when sent by a node without an id. */
  readonly sentBy?: string;
}

export type OperationOutcome = 'succeeded' | 'failed' | 'cancelled';

export interface OperationQueueState {
  /** Waiting operations, the next to deliver first. */
  readonly pending: readonly QueuedOperation[];
  readonly inFlight: SentOperation | null;
  readonly finished: Readonly<Record<string, OperationOutcome>>;
}

export class OperationQueueFull extends DomainError {
  constructor(endpoint: string, limit: number) {
    super('LIMIT_EXCEEDED', `the operations queue of ${endpoint} is full (${limit} operations waiting or in flight)`, { endpoint, limit });
  }
}

/** RFC 7252 section 12.1.2 names, so that a failure reads "4.04 Not Found". */
const responseNames: Readonly<Record<string, string>> = {
  '4.00': 'Bad Request',
  '4.01': 'Unauthorized',
  '4.02': 'Bad Option',
  '4.03': 'Forbidden',
  '4.04': 'Not Found',
  '4.05': 'Method Not Allowed',
  '4.06': 'Not Acceptable',
  '4.08': 'Request Entity Incomplete',
  '4.09': 'Conflict',
  '4.12': 'Precondition Failed',
  '4.13': 'Request Entity Too Large',
  '4.15': 'Unsupported Content-Format',
  '5.00': 'Internal Server Error',
  '5.01': 'Not Implemented',
  '5.03': 'Service Unavailable',
};

export function operationQueueDecider(policy: OperationQueuePolicy = defaultOperationQueuePolicy): Decider<OperationCommand, OperationEvent, OperationQueueState> {
  return {
    initialState: { pending: [], inFlight: null, finished: {} },
    decide: (command, state) => decide(command, state, policy),
    evolve,
  };
}

function decide(command: OperationCommand, state: OperationQueueState, policy: OperationQueuePolicy): OperationEvent[] {
  const now = command.now.toISOString();
  switch (command.type) {
    case 'RequestOperation': {
      if (isKnown(state, command.operationId)) throw new DomainError('CONFLICT', `operation ${command.operationId} already exists`, { operationId: command.operationId });
      if (state.pending.length + (state.inFlight ? 1 : 0) >= policy.maxQueueLength) throw new OperationQueueFull(command.endpoint, policy.maxQueueLength);
      return [
        {
          type: 'OperationRequested',
          data: {
            operationId: command.operationId,
            endpoint: command.endpoint,
            operation: command.operation,
            requestedBy: command.requestedBy,
            correlationId: command.correlationId,
            requestedAt: now,
          },
        },
      ];
    }
    case 'DeliverNext': {
      const head = state.pending[0];
      if (!command.reachable || state.inFlight || !head) return [];
      return [{ type: 'OperationSent', data: { operationId: head.operationId, attempt: head.attempts + 1, sentAt: now, ...(command.nodeId === undefined ? {} : { nodeId: command.nodeId }) } }];
    }
    case 'RecordResponse': {
      const current = state.inFlight;
      if (!current || current.operationId !== command.operationId) return [];
      if (command.responseCode.startsWith('2.')) {
        return [{ type: 'OperationSucceeded', data: { operationId: current.operationId, responseCode: command.responseCode, content: command.content, completedAt: now } }];
      }
      const name = responseNames[command.responseCode];
      return [
        {
          type: 'OperationFailed',
          data: {
            operationId: current.operationId,
            responseCode: command.responseCode,
            reason: `the device answered ${command.responseCode}${name ? ` ${name}` : ''}`,
            attempts: current.attempts,
            failedAt: now,
          },
        },
      ];
    }
    case 'RecordDoneWithoutRequest': {
      const current = state.inFlight;
      if (!current || current.operationId !== command.operationId) return [];
      return [{ type: 'OperationSucceeded', data: { operationId: current.operationId, responseCode: null, content: command.content, completedAt: now } }];
    }
    case 'RecordTimeout': {
      const current = state.inFlight;
      if (!current || current.operationId !== command.operationId) return [];
      if (command.attempt !== undefined && command.attempt !== current.attempts) return [];
      const timedOut: OperationEvent = { type: 'OperationDeliveryTimedOut', data: { operationId: current.operationId, attempt: current.attempts, timedOutAt: now } };
      return unanswered(current, policy, timedOut, `the device did not answer, ${attempts(current.attempts)}`, now);
    }
    case 'ReturnToQueue': {
      const current = state.inFlight;
      if (!current || current.operationId !== command.operationId) return [];
      if (command.attempt !== undefined && command.attempt !== current.attempts) return [];
      const { reason, from, to } = command;
      const returned: OperationEvent = { type: 'OperationReturnedToQueue', data: { operationId: current.operationId, attempt: current.attempts, reason, from, to, returnedAt: now } };
      return unanswered(current, policy, returned, `${describeReturn(command)} before answering the last of ${attempts(current.attempts)}`, now);
    }
    case 'RecordFailure': {
      const current = state.inFlight;
      if (!current || current.operationId !== command.operationId) return [];
      return [{ type: 'OperationFailed', data: { operationId: current.operationId, responseCode: null, reason: command.reason, attempts: current.attempts, failedAt: now } }];
    }
    case 'CancelOperation': {
      const outcome = state.finished[command.operationId];
      if (outcome) throw new DomainError('CONFLICT', `operation ${command.operationId} has already ${outcome === 'cancelled' ? 'been cancelled' : outcome}`, { operationId: command.operationId });
      const wasSent = state.inFlight?.operationId === command.operationId;
      if (!wasSent && !state.pending.some((queued) => queued.operationId === command.operationId)) {
        throw new DomainError('NOT_FOUND', `no operation ${command.operationId}`, { operationId: command.operationId });
      }
      return [{ type: 'OperationCancelled', data: { operationId: command.operationId, cancelledBy: command.cancelledBy, reason: command.reason, wasSent, cancelledAt: now } }];
    }
  }
}

/** An attempt left unanswered goes back to the head of the queue while attempts remain; after the last, the operation fails saying why. */
function unanswered(current: SentOperation, policy: OperationQueuePolicy, requeued: OperationEvent, reasonAfterLast: string, now: string): OperationEvent[] {
  if (current.attempts < policy.maxAttempts) return [requeued];
  return [requeued, { type: 'OperationFailed', data: { operationId: current.operationId, responseCode: null, reason: reasonAfterLast, attempts: current.attempts, failedAt: now } }];
}

function attempts(count: number): string {
  return `${count} attempt${count === 1 ? '' : 's'}`;
}

function isKnown(state: OperationQueueState, operationId: string): boolean {
  return operationId in state.finished || state.inFlight?.operationId === operationId || state.pending.some((queued) => queued.operationId === operationId);
}

function finish(state: OperationQueueState, operationId: string, outcome: OperationOutcome): OperationQueueState {
  return {
    pending: state.pending.filter((queued) => queued.operationId !== operationId),
    inFlight: state.inFlight?.operationId === operationId ? null : state.inFlight,
    finished: { ...state.finished, [operationId]: outcome },
  };
}

function evolve(state: OperationQueueState, event: OperationEvent): OperationQueueState {
  switch (event.type) {
    case 'OperationRequested':
      return { ...state, pending: [...state.pending, { operationId: event.data.operationId, operation: event.data.operation, attempts: 0 }] };
    case 'OperationSent': {
      const sent = state.pending.find((queued) => queued.operationId === event.data.operationId);
      if (!sent) return state;
      return {
        ...state,
        pending: state.pending.filter((queued) => queued !== sent),
        inFlight: { ...sent, attempts: event.data.attempt, sentAt: event.data.sentAt, ...(event.data.nodeId === undefined ? {} : { sentBy: event.data.nodeId }) },
      };
    }
    case 'OperationDeliveryTimedOut':
    case 'OperationReturnedToQueue': {
      const current = state.inFlight;
      if (!current || current.operationId !== event.data.operationId) return state;
      // Back to the head: it keeps its place before everything requested after it.
      return { ...state, inFlight: null, pending: [{ operationId: current.operationId, operation: current.operation, attempts: current.attempts }, ...state.pending] };
    }
    case 'OperationSucceeded':
      return finish(state, event.data.operationId, 'succeeded');
    case 'OperationFailed':
      return finish(state, event.data.operationId, 'failed');
    case 'OperationCancelled':
      return finish(state, event.data.operationId, 'cancelled');
  }
}
