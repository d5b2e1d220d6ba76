/**
 * What the server has heard from each device besides its registration: a device in queue mode listens
 * for a while after each message it sends (LwM2M Core 1.1 section 6.5), so a notification, a Send, a
 * Register or an Update wakes it; a request it leaves unanswered puts it to sleep until its next
 * message. The observations and the Send receiver report what they hear; the operation dispatcher
 * listens, to deliver what waits for the device.
 */
import type { Clock } from '../../domain/Clock.ts';

export type DeviceHeardListener = (endpoint: string) => void;

export class DevicePresence {
  readonly #clock: Clock;
  /** The last message from each device. */
  readonly #lastMessage = new Map<string, Date>();
  /** Devices whose last request timed out: asleep until they next send something. */
  readonly #asleep = new Set<string>();
  readonly #listeners = new Set<DeviceHeardListener>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A message from the device: it is awake now, and every listener hears of it. */
  heard(endpoint: string): void {
    this.answered(endpoint);
    this.#asleep.delete(endpoint);
    for (const listener of this.#listeners) listener(endpoint);
  }

  /** The device answered a request of ours: it was awake then. */
  answered(endpoint: string): void {
    this.#lastMessage.set(endpoint, this.#clock.now());
  }

  /** The device left a request unanswered: asleep (or gone) until it is next heard. */
  wentQuiet(endpoint: string): void {
    this.#asleep.add(endpoint);
  }

  isAsleep(endpoint: string): boolean {
    return this.#asleep.has(endpoint);
  }

  lastMessageAt(endpoint: string): Date | undefined {
    return this.#lastMessage.get(endpoint);
  }

  onHeard(listener: DeviceHeardListener): void {
    this.#listeners.add(listener);
  }
}
