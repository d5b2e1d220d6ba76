/**
 * A subscription to all events for stores that live in this process (memory, SQLite): it reads the
 * log one bounded page at a time, only when the consumer has drained the previous page, and once it
 * has caught up it waits on the LogHead for the next commit.
 *
 * No gap, no duplicate at the catch-up-to-live hand-over: there is no separate live feed to join. The
 * subscription always reads from the log, after the last position it has scanned, up to the head it
 * saw before the read; everything at or below that head is committed, so after the read the cursor
 * can move to the head (or to the last event of a full page) without skipping anything.
 */
import type { EventFilter, RecordedEvent, Subscription } from './EventStore.ts';
import type { LogHead } from './LogHead.ts';

/** Reads at most `maxCount` matching events with `after < position <= upTo`, in position order. */
export type ReadPage = (
  after: number,
  upTo: number,
  maxCount: number,
  filter: EventFilter | undefined,
) => readonly RecordedEvent[] | Promise<readonly RecordedEvent[]>;

export interface PagedSubscriptionOptions {
  readonly after: number;
  readonly filter: EventFilter | undefined;
  readonly pageSize: number;
  readonly head: LogHead;
  readonly readPage: ReadPage;
  /** Told the size of every page read, for metrics and for the back-pressure test. */
  readonly onPageRead: ((events: number) => void) | undefined;
  /** Told once when the subscription closes. */
  readonly onClose?: () => void;
}

export function createPagedSubscription(options: PagedSubscriptionOptions): Subscription {
  const { filter, pageSize, head, readPage, onPageRead } = options;
  const abort = new AbortController();
  let cursor = options.after;
  let page: readonly RecordedEvent[] = [];
  let index = 0;

  const done = (): IteratorResult<RecordedEvent> => ({ done: true, value: undefined });

  /** Calls to next() started and not settled yet, those queued behind the first included. */
  let serving = 0;
  /** The last of them: the next call is served after it. */
  let last: Promise<IteratorResult<RecordedEvent>> = Promise.resolve(done());

  async function pull(): Promise<IteratorResult<RecordedEvent>> {
    try {
      for (;;) {
        if (abort.signal.aborted) return done();
        const event = page[index];
        if (event) {
          index++;
          return { done: false, value: event };
        }
        const upTo = head.position;
        if (upTo <= cursor) {
          if (!(await head.waitBeyond(cursor, abort.signal))) return done();
          continue;
        }
        page = await readPage(cursor, upTo, pageSize, filter);
        index = 0;
        onPageRead?.(page.length);
        const final = page[page.length - 1];
        cursor = page.length === pageSize && final ? final.position : upTo;
      }
    } finally {
      serving--;
    }
  }

  // Calls to next() are served one after another, so that overlapping calls never share a page read;
  // while no call is being served, an event of the current page is handed out at once (the common
  // case), and a call that has to wait costs its own promise only: a subscription that keeps up with
  // the log waits once per commit.
  const next = (): Promise<IteratorResult<RecordedEvent>> => {
    if (serving === 0) {
      const event = abort.signal.aborted ? undefined : page[index];
      if (event) {
        index++;
        return Promise.resolve({ done: false, value: event });
      }
    }
    serving++;
    last = serving === 1 ? pull() : last.then(pull, pull);
    return last;
  };

  const close = (): Promise<void> => {
    if (!abort.signal.aborted) options.onClose?.();
    abort.abort();
    page = [];
    return Promise.resolve();
  };

  return {
    close,
    [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
      return {
        next,
        async return(): Promise<IteratorResult<RecordedEvent>> {
          await close();
          return done();
        },
      };
    },
  };
}
