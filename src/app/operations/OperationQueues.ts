/**
 * The per-device queues of operations: each device's `operations-<endpoint>` stream, decided by the
 * operations queue decider through the process's command runner ("operations are always queued", LwM2M
 * Core 1.1 sections 6.3 and 6.4), and a live view of every queue with work, rebuilt from the log at start.
 * The view tells when an event leaves a queue with an operation to send and none in flight, whichever
 * node appended it: several nodes may share the event store, and an operation requested on one is sent
 * by the node holding the device.
 */
import type { OperationEvent } from '../../domain/operations/OperationEvents.ts';
import { operationStream, operationStreamPrefix } from '../../domain/operations/OperationEvents.ts';
import type { OperationCommand, OperationQueuePolicy, OperationQueueState, SentOperation } from '../../domain/operations/OperationQueueDecider.ts';
import { defaultOperationQueuePolicy, operationQueueDecider } from '../../domain/operations/OperationQueueDecider.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { AggregateCommandRunner, CommandResult } from '../kernel/AggregateCommandRunner.ts';
import { LiveView } from '../kernel/LiveView.ts';
import type { LogFeed } from '../kernel/LogFeed.ts';
import { logOperationOutcomes } from '../devices/DeviceActivityLog.ts';

type OperationQueueDecider = ReturnType<typeof operationQueueDecider>;

/** The queues with work (operations waiting or in flight) by endpoint; an emptied queue is dropped. */
type QueuesWithWork = Map<string, OperationQueueState>;

export type OperationQueueResult = CommandResult<OperationEvent, OperationQueueState>;

/**
 * Told of the device whose queue has an operation to send and none in flight, as the view folds the
 * event that made it so: before the command that appended it returns, when this node appended it.
 */
export type DeliverableListener = (endpoint: string) => void;

export interface OperationQueuesOptions {
  readonly runner: AggregateCommandRunner;
  readonly feed: LogFeed;
  readonly logger: Logger;
  readonly policy?: OperationQueuePolicy;
}

export class OperationQueues {
  readonly #runner: AggregateCommandRunner;
  readonly #logger: Logger;
  readonly #decider: OperationQueueDecider;
  readonly #view: LiveView<QueuesWithWork>;
  readonly #followers: { listener?: DeliverableListener };

  private constructor(options: OperationQueuesOptions, decider: OperationQueueDecider, view: LiveView<QueuesWithWork>, followers: { listener?: DeliverableListener }) {
    this.#runner = options.runner;
    this.#logger = options.logger;
    this.#decider = decider;
    this.#view = view;
    this.#followers = followers;
  }

  /** Reads every device's queue from the log and follows it. */
  static async open(options: OperationQueuesOptions): Promise<OperationQueues> {
    const decider = operationQueueDecider(options.policy ?? defaultOperationQueuePolicy);
    // The listener is set once the dispatcher listens: the history folded at start tells nobody.
    const followers: { listener?: DeliverableListener } = {};
    const view = await LiveView.open<QueuesWithWork>(options.feed, {
      name: 'operation queues',
      filter: { streamPrefixes: [operationStreamPrefix] },
      initialState: new Map(),
      evolve(queues, recorded) {
        const endpoint = recorded.stream.slice(operationStreamPrefix.length);
        const state = decider.evolve(queues.get(endpoint) ?? decider.initialState, toDomainEvent<OperationEvent>(recorded));
        if (hasWork(state)) queues.set(endpoint, state);
        else queues.delete(endpoint);
        if (state.inFlight === null && state.pending.length > 0) followers.listener?.(endpoint);
        return queues;
      },
    });
    return new OperationQueues(options, decider, view, followers);
  }

  /** The one listener told of each queue that an event left with an operation to send and none in flight. */
  onDeliverable(listener: DeliverableListener): void {
    this.#followers.listener = listener;
  }

  /** The operation in flight to the device: which attempt, sent when and by which node. */
  inFlight(endpoint: string): SentOperation | undefined {
    return this.#view.state.get(endpoint)?.inFlight ?? undefined;
  }

  /** The queues with work, by endpoint. */
  withWork(): [string, OperationQueueState][] {
    return [...this.#view.state];
  }

  /**
   * Whether the device has operations waiting or in flight. Every queue with work is in the view (each
   * command waits for its own appends to reach it).
   */
  hasWork(endpoint: string): boolean {
    return this.#view.state.has(endpoint);
  }

  /** Operations waiting or in flight for the device. */
  length(endpoint: string): number {
    const state = this.#view.state.get(endpoint);
    return state ? state.pending.length + (state.inFlight ? 1 : 0) : 0;
  }

  /**
   * Runs one command on the device's queue, in order with its other commands, and returns once the
   * view of queues has seen its events, so that the next reachability check finds the queue as it is.
   */
  async run(endpoint: string, command: OperationCommand, actor: string, correlationId?: string): Promise<OperationQueueResult> {
    const metadata = { actor, schemaVersion: 1, ...(correlationId === undefined ? {} : { correlationId }) };
    // What the finished operations were, for the log; the view holds every operation not finished.
    const before = this.#view.state.get(endpoint) ?? this.#decider.initialState;
    const result = await this.#runner.run(operationStream(endpoint), this.#decider, command, { metadata });
    if (result.position !== undefined) await this.#view.waitFor(result.position);
    logOperationOutcomes(this.#logger, endpoint, result.events, before);
    return result;
  }
}

function hasWork(state: OperationQueueState): boolean {
  return state.pending.length > 0 || state.inFlight !== null;
}
