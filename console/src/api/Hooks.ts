/** Loading a query and following a subscription from a component, with the signed-in client. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Document } from './Document.ts';
import { api } from './Session.ts';

export interface QueryState<TResult> {
  readonly data: TResult | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  reload(): void;
  /** Replaces the data shown (after a live update) without asking the service. */
  update(change: (data: TResult) => TResult): void;
}

export function useQuery<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables, skip = false): QueryState<TResult> {
  const key = JSON.stringify(variables);
  const [data, setData] = useState<TResult | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(!skip);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (skip) return undefined;
    let current = true;
    setLoading(true);
    api()
      .request(document, variables)
      .then(
        (result) => {
          if (!current) return;
          setData(result);
          setError(undefined);
          setLoading(false);
        },
        (failure: unknown) => {
          if (!current) return;
          setError(failure instanceof Error ? failure : new Error('the request failed'));
          setLoading(false);
        },
      );
    return () => {
      current = false;
    };
    // The variables are compared by value (key), not by identity.
  }, [document, key, generation, skip]);
  return {
    data,
    error,
    loading,
    reload: () => setGeneration((value) => value + 1),
    update: (change) => setData((value) => (value === undefined ? value : change(value))),
  };
}

/** Follows a subscription while the component is shown (and its variables stay the same). */
export function useSubscription<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables, onNext: (data: TResult) => void, skip = false): void {
  const key = JSON.stringify(variables);
  const handler = useRef(onNext);
  handler.current = onNext;
  useEffect(() => {
    if (skip) return undefined;
    return api().subscribe(document, variables, (data) => handler.current(data));
  }, [document, key, skip]);
}

/** Calls `action` at most once per `ms` after the last call (a burst of live changes becomes one reload). */
export function useDebounced(action: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(action);
  latest.current = action;
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  };
}

export interface Page<TItem> {
  readonly items: readonly TItem[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

export interface PagedState<TItem> {
  readonly items: readonly TItem[];
  /** Whether it stopped at the cap with more to read. */
  readonly truncated: boolean;
  readonly loading: boolean;
  readonly error: Error | undefined;
  /** Changes the items shown (a live update), also while pages are still loading. */
  update(change: (items: readonly TItem[]) => readonly TItem[]): void;
}

/**
 * Reads a connection page after page, oldest first, until its end or `cap` items (whichever comes
 * first): for a view that needs the latest items of a bounded list (a chart's period, a shell's lines).
 * `key` names what is read: a new key starts again.
 */
export function usePagesUpTo<TItem>(load: (after: string | null) => Promise<Page<TItem>>, idOf: (item: TItem) => string, key: string, cap: number): PagedState<TItem> {
  const [items, setItems] = useState<readonly TItem[]>([]);
  const [status, setStatus] = useState<{ truncated: boolean; loading: boolean; error: Error | undefined }>({ truncated: false, loading: true, error: undefined });
  const loader = useRef(load);
  loader.current = load;
  const identity = useRef(idOf);
  identity.current = idOf;
  useEffect(() => {
    let current = true;
    setItems([]);
    setStatus({ truncated: false, loading: true, error: undefined });
    void (async () => {
      const read: TItem[] = [];
      let after: string | null = null;
      try {
        for (;;) {
          const page: Page<TItem> = await loader.current(after);
          if (!current) return;
          read.push(...page.items);
          if (!page.hasNextPage || read.length >= cap) {
            // Live items that arrived while the pages loaded come after the stored ones, once.
            const stored = new Set(read.map((item) => identity.current(item)));
            setItems((live) => [...read, ...live.filter((item) => !stored.has(identity.current(item)))]);
            setStatus({ truncated: page.hasNextPage, loading: false, error: undefined });
            return;
          }
          after = page.endCursor;
        }
      } catch (failure) {
        if (current) setStatus({ truncated: false, loading: false, error: failure instanceof Error ? failure : new Error('the request failed') });
      }
    })();
    return () => {
      current = false;
    };
  }, [key, cap]);
  return { items, ...status, update: (change) => setItems(change) };
}
