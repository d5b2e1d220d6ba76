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
  /** Creates the tables if they do not exist. */
  create(db: DatabaseSync): void;
  /** Drops the tables. */
  drop(db: DatabaseSync): void;
  /** Applies one event. Must be deterministic: a rebuild from the log produces the same tables. */
  apply(db: DatabaseSync, event: RecordedEvent): void;
}
