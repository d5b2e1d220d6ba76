/**
 * A read model: which events it reads, how it keeps its tables, and how one event changes them.
 * Everything here is synchronous SQLite work, so the projector can put a batch of events and the
 * checkpoint that covers them in one transaction.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { EventFilter, RecordedEvent } from '../adapters/eventstore/EventStore.ts';

export interface Projection {
  /** Unique; names the checkpoint. */
  readonly name: string;
  /** Bump when the tables or their meaning change: a stored read model of another version is rebuilt. */
  readonly version: number;
  readonly filter: EventFilter;
  /**
   * Whether its events may wait, up to the projector's `groupCommitMs`, to share a read-model
   * transaction with the events that follow them (group commit): for the read models of a fleet's
   * steady flow of values, whose rows each event adds or replaces and whose listeners read the event
   * or the row it wrote, never a state that a later event of the same transaction changes again. An
   * event that any other read model reads is committed as soon as the feed hands it over.
   */
  readonly groupCommit?: boolean;
  /** Creates the tables if they do not exist, with the indexes that `apply` reads through. */
  create(db: DatabaseSync): void;
  /**
   * The indexes only queries read, never `apply` (`CREATE INDEX IF NOT EXISTS` statements): created
   * right after the tables, except by a rebuild, which creates them once its rows are in. SQLite then
   * builds each from its table in one sorted pass, instead of inserting an entry per row in log order
   * (a fleet's devices interleave in the log, so those inserts land all over the index).
   */
  readonly queryIndexes?: readonly string[];
  /** Drops the tables. */
  drop(db: DatabaseSync): void;
  /** Applies one event. Must be deterministic: a rebuild from the log produces the same tables. */
  apply(db: DatabaseSync, event: RecordedEvent): void;
  /**
   * Applies events in log order, to the same effect as `apply` on each, in fewer statements (a row
   * that several of them change written once); the projector uses it when present.
   */
  applyBatch?(db: DatabaseSync, events: readonly RecordedEvent[]): void;
}
