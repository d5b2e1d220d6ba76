/**
 * What the server has heard from each device besides its registration: a device in queue mode listens
 * for a while after each message it sends (LwM2M Core 1.1 section 6.5), so a notification, a Send, a
 * Register or an Update wakes it; a request it leaves unanswered puts it to sleep until its next
 * message. The observations and the Send receiver report what they hear; the operation dispatcher
 * listens, to deliver what waits for the device, and asks whether a device is reachable now.
 */
import type { Clock } from '../../domain/Clock.ts';
import { defaultAwakeSeconds, isReachable } from '../../domain/operations/DeviceReachability.ts';
import type { RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';

export type DeviceHeardListener = (endpoint: string) => void;

export class DevicePresence {
  readonly #clock: Clock;
  /** How long a device in queue mode listens after its last message (default 93 s, see DeviceReachability.ts). */
  readonly #awakeSeconds: number;
  /** The last message from each device. */
  readonly #lastMessage = new Map<string, Date>();
  /** Devices whose last request timed out: asleep until they next send something. */
  readonly #asleep = new Set<string>();
  readonly #listeners = new Set<DeviceHeardListener>();

  constructor(clock: Clock, awakeSeconds: number = defaultAwakeSeconds) {
    this.#clock = clock;
    this.#awakeSeconds = awakeSeconds;
  }

  /** Whether a request to the device, registered as given, would find it listening now. */
  isReachable(endpoint: string, registration: RegistrationRecord | undefined): boolean {
    if (!registration || this.#asleep.has(endpoint)) return false;
    const queueMode = registration.queueMode || registration.binding.includes('Q');
    const seen = this.#lastMessage.get(endpoint);
    const lastUpdate = new Date(registration.lastUpdateAt);
    const last = seen && seen > lastUpdate ? seen : lastUpdate;
    return isReachable({ registered: true, queueMode, lastMessageAt: last.toISOString() }, this.#clock.now(), this.#awakeSeconds);
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

  /** The device registered with another node (several share the event store): what was heard of it here no longer matters. */
  forget(endpoint: string): void {
    this.#lastMessage.delete(endpoint);
    this.#asleep.delete(endpoint);
  }

  onHeard(listener: DeviceHeardListener): void {
    this.#listeners.add(listener);
  }
}
