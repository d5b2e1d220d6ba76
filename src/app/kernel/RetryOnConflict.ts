/**
 * The application's one retry policy for optimistic concurrency: an append made on a state that another
 * writer has moved on since fails with WrongExpectedVersion, and the whole attempt (read, decide,
 * append) runs again on the new state. The command runner retries a single stream's command this way;
 * a unit of work spanning several streams (a staged import) retries through it whole.
 */
import { WrongExpectedVersion } from '../../adapters/eventstore/EventStore.ts';

/**
 * Runs `attempt` at most `attempts` times, again only when it failed with WrongExpectedVersion; any
 * other error, or the last attempt's conflict, goes to the caller. `attempt` receives its index (0 first).
 */
export async function retryOnConflict<Result>(attempts: number, attempt: (index: number) => Promise<Result>): Promise<Result> {
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (error instanceof WrongExpectedVersion && index + 1 < attempts) continue;
      throw error;
    }
  }
}
