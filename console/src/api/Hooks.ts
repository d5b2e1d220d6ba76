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
