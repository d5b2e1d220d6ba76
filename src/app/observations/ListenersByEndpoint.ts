/**
 * Listeners kept by device endpoint, so that an event about one device visits only that device's
 * listeners however large the fleet; an endpoint without listeners takes no memory.
 */
export class ListenersByEndpoint<Listener> {
  readonly #byEndpoint = new Map<string, Set<Listener>>();

  /** Returns the unsubscribe. */
  add(endpoint: string, listener: Listener): () => void {
    let listeners = this.#byEndpoint.get(endpoint);
    if (!listeners) {
      listeners = new Set();
      this.#byEndpoint.set(endpoint, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#byEndpoint.delete(endpoint);
    };
  }

  of(endpoint: string): Iterable<Listener> {
    return this.#byEndpoint.get(endpoint) ?? [];
  }
}
