/**
 * Runs firmware updates (LwM2M Core 1.1 Appendix E.6) through the device management API: every device
 * interaction is a queued operation, every fact a `firmware-<endpoint>` event decided by the firmware
 * update decider.
 *
 * 1. read /5/0 for Firmware Update Protocol Support /5/0/8 and Delivery Method /5/0/9, choose pull
 *    or push, record the request (with a sealed access token when the device pulls over HTTP);
 * 2. observe State /5/0/3 and Update Result /5/0/5;
 * 3. pull: write Package URI /5/0/1 (the service's own URI of the package, or the external URL);
 *    push: write Package /5/0/0 by reference to the repository (the dispatcher reads the bytes and
 *    sends them with Block1, RFC 7959);
 * 4. once the device reports State 2 (Downloaded), execute Update /5/0/2;
 * 5. Update Result 1 ends it as a success: the device then reports its Firmware Version /3/0/3,
 *    recorded beside the label.
 * Whenever the device registers again (it restarted: into the new firmware, or in the middle of the
 * download), its observations of the former registration are gone (Core 1.1 section 6.2.1): State and
 * Update Result are observed again, which also reports their values now.
 * A failure result, a refused operation or the deadline ends the update as failed.
 *
 * Several nodes may share the event store: the node holding the device's registration drives its
 * update (only it sends the device requests, and an update driven by two nodes would write the package
 * URI and execute Update twice). A node drives, at start, the updates of the devices it holds; it takes
 * an update up where the log says it is when the device registers with it (the device moved, or its
 * node died), or when another node's API requested it for a device it holds; and it stops driving an
 * update once the device registers with another node. Who may fetch a package comes from the log
 * (FirmwarePackageAccess), so any node serves a granted download.
 *
 * One live feed for all updates: values come through the projector's listeners, registrations through
 * the registration watcher's one subscription; no update opens an event-store subscription of its own.
 * Values reach the decider in the order the device management API delivers them, one command at a
 * time per update (a chain of promises), so that the decision always sees the previous one.
 */
import type { Clock } from '../../domain/Clock.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { DeviceFirmwareCapabilities } from '../../domain/firmware/FirmwareDeliveryMethod.ts';
import { chooseDeliveryMethod, packageUriWithToken } from '../../domain/firmware/FirmwareDeliveryMethod.ts';
import type { ActiveFirmwareUpdate, FirmwareUpdateCommand } from '../../domain/firmware/FirmwareUpdateDecider.ts';
import type { RegistrationRecord } from '../../domain/registration/RegistrationEvents.ts';
import { isHeldBy } from '../../domain/registration/RegistrationEvents.ts';
import { firmwareUpdateDecider, FirmwareUpdateError } from '../../domain/firmware/FirmwareUpdateDecider.ts';
import type { FirmwareUpdateEvent, FirmwareUpdateRequested, FirmwareUpdateStep } from '../../domain/firmware/FirmwareUpdateEvents.ts';
import { firmwareUpdateStream } from '../../domain/firmware/FirmwareUpdateEvents.ts';
import type { OperationSpec, WrittenValue } from '../../domain/operations/OperationEvents.ts';
import type { SecretSealer } from '../../domain/SealedSecret.ts';
import type { OperationView } from '../../projections/operations/OperationQueries.ts';
import type { EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { Timers } from '../../adapters/runtime/Timers.ts';
import { systemTimers } from '../../adapters/runtime/Timers.ts';
import type { DeviceManagementApi } from '../operations/DeviceManagementApi.ts';
import type { FirmwareRepository } from './FirmwareRepository.ts';
import { updatesUnderWay } from './FirmwareUpdatesUnderWay.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import { LiveView } from '../kernel/LiveView.ts';
import { LogFeed } from '../kernel/LogFeed.ts';
import type { RegistrationLookup } from '../registration/RegistrationLookup.ts';

export interface FirmwareUpdateRunnerOptions {
  readonly store: EventStore;
  readonly api: DeviceManagementApi;
  readonly repository: FirmwareRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newId: () => string;
  /** The URIs under which the service serves a stored firmware (CoAP first, then HTTP), in order of preference. */
  readonly packageUris: (firmwareId: string) => readonly string[];
  /** How long an update may take from its request to its end. */
  readonly timeoutMs: number;
  /** What wakes the runner at an update's deadline (the system's by default); it must move with `clock`. */
  readonly timers?: Timers;
  /**
   * Whose registrations this node holds (several nodes may share the event store): it drives the
   * updates of those devices alone. Absent: a node alone, which drives every update.
   */
  readonly registrations?: Pick<RegistrationLookup, 'nodeId' | 'registration'>;
  /** Seals the HTTP access tokens in the update's event (and opens them to write the URI again after a restart). */
  readonly sealer: SecretSealer;
  /** 32 random bytes for each HTTP access token. */
  readonly newAccessToken: () => Uint8Array;
  /** The process's command runner and log feed; a runner built alone (a test) uses its own. */
  readonly runner?: AggregateCommandRunner;
  readonly feed?: LogFeed;
}

const actorName = 'system:firmware-update';
const terminal = new Set(['succeeded', 'failed', 'cancelled']);
/** The values the decider takes; the rest of what the device reports is not the update's business. */
const reportedPaths = new Set(['/5/0/3', '/5/0/5', '/3/0/3']);
/** State and Update Result, observed while the update runs. */
const observedPaths = ['/5/0/3', '/5/0/5'];
/**
 * Past its deadline, how often a node that does not drive an update looks again whether any node holds
 * its device: once none does (the holder died and the registration expired), this node fails it.
 */
const unheldDeadlineRecheckMs = 60_000;

interface RunningUpdate {
  readonly request: FirmwareUpdateRequested;
  /** The steps recorded so far. */
  readonly steps: Set<FirmwareUpdateStep>;
  chain: Promise<void>;
  ended: boolean;
  readonly cleanups: Array<() => void>;
}

export class FirmwareUpdateRunner {
  readonly #options: FirmwareUpdateRunnerOptions;
  /** The updates this node drives, by update id. */
  readonly #running = new Map<string, RunningUpdate>();
  readonly #commands: AggregateCommandRunner;
  /** Every update under way, followed live once `resume` has read them (stream -> its state). */
  #underWay: LiveView<Map<string, ActiveFirmwareUpdate>> | undefined;
  #ownFeed: LogFeed | undefined;
  /**
   * The updates under way that this node does not drive, by update id: what stops waiting for them (a
   * Register here takes one up; its deadline is checked here once no node holds the device).
   */
  readonly #takeUps = new Map<string, () => void>();
  #live = false;
  #closed = false;

  constructor(options: FirmwareUpdateRunnerOptions) {
    this.#options = options;
    this.#commands = options.runner ?? new AggregateCommandRunner({ store: options.store });
  }

  /**
   * Starts an update of `endpoint` to a firmware of the repository; returns its id once requested.
   * Reads the device's object 5 first, so the device must be reachable (or become so while the read
   * is queued).
   */
  async start(endpoint: string, firmwareId: string, actor: string): Promise<{ readonly updateId: string; readonly position: number | undefined }> {
    const { repository, clock } = this.#options;
    const firmware = await repository.get(firmwareId);
    if (!firmware) throw new FirmwareUpdateError('NOT_FOUND', `no firmware ${firmwareId}`);
    const { state } = await this.#commands.load(firmwareUpdateStream(endpoint), firmwareUpdateDecider);
    if (state.active) throw new FirmwareUpdateError('CONFLICT', `${endpoint} is already updating to ${state.active.request.name} ${state.active.request.version}`, { updateId: state.active.request.updateId });
    const capabilities = await this.#capabilities(endpoint, actor);
    const choice = chooseDeliveryMethod(firmware.source, capabilities, this.#options.packageUris(firmwareId));
    if (!choice.ok) throw new FirmwareUpdateError('BAD_USER_INPUT', choice.reason);
    // HTTP carries no device identity: a pull of the service's own package over HTTP needs a token.
    const servedOverHttp = firmware.source.kind === 'stored' && choice.packageUri !== null && /^https?:/i.test(choice.packageUri);
    const token = servedOverHttp ? Buffer.from(this.#options.newAccessToken()).toString('base64url') : undefined;
    const updateId = this.#options.newId();
    const now = clock.now();
    const result = await this.#commands.run(firmwareUpdateStream(endpoint), firmwareUpdateDecider, {
      type: 'StartFirmwareUpdate',
      updateId,
      endpoint,
      firmwareId,
      name: firmware.name,
      version: firmware.version,
      method: choice.method,
      packageUri: choice.packageUri,
      packageAccess: token === undefined ? null : this.#options.sealer.seal(new TextEncoder().encode(token)),
      requestedBy: actor,
      requestedAt: now.toISOString(),
      deadline: new Date(now.getTime() + this.#options.timeoutMs).toISOString(),
    }, { metadata: { actor } });
    const active = result.state.active;
    if (!active) throw new Error(`the update ${updateId} of ${endpoint} was not recorded`);
    // A device another node holds is updated by that node, which sees the request in its view.
    if (!this.#running.has(updateId) && this.#drives(endpoint)) this.#drive(active.request);
    return { updateId, position: result.position };
  }

  /**
   * Takes up the updates that were under way when the service stopped, of the devices this node
   * holds, from where each got to: the package delivered again (the device starts its download over),
   * Update executed, or the outcome read and awaited. An update whose deadline passed meanwhile fails
   * at once. From then on the updates under way are followed live: one requested on another node, or
   * whose device registers here, is taken up by this node when it holds the device.
   */
  async resume(): Promise<number> {
    if (this.#underWay) return 0;
    const feed = this.#options.feed ?? new LogFeed({ store: this.#options.store });
    if (!this.#options.feed) this.#ownFeed = feed;
    this.#underWay = await LiveView.open(feed, updatesUnderWay('firmware updates under way', (_stream, before, after) => this.#changed(before, after)));
    this.#live = true;
    let resumed = 0;
    for (const active of this.#underWay.state.values()) {
      if (this.#takeUp(active)) resumed++;
    }
    return resumed;
  }

  /** Stops following every update (the service shuts down); their deadlines still hold when it restarts. */
  close(): void {
    this.#closed = true;
    for (const update of this.#running.values()) this.#stopFollowing(update);
    for (const unsubscribe of this.#takeUps.values()) unsubscribe();
    this.#takeUps.clear();
    if (this.#underWay && this.#ownFeed) {
      this.#ownFeed.close().catch((error: unknown) => this.#options.logger.warn({ err: error }, 'could not close the firmware updates feed'));
    } else if (this.#underWay) this.#options.feed?.leave(this.#underWay);
  }

  /** Whether this node drives the updates of the device: it holds its registration, or it is alone. */
  #drives(endpoint: string): boolean {
    const { registrations } = this.#options;
    if (!registrations) return true;
    const registration = registrations.registration(endpoint);
    // Registered nowhere now: a node alone goes on with it; among several, the node it registers with next.
    return registration === undefined ? registrations.nodeId === undefined : isHeldBy(registration, registrations.nodeId);
  }

  /** An update was requested or ended (on any node), as the live view folds it. */
  #changed(before: ActiveFirmwareUpdate | undefined, after: ActiveFirmwareUpdate | undefined): void {
    if (!this.#live || this.#closed || before?.request.updateId === after?.request.updateId) return;
    if (before) {
      this.#takeUps.get(before.request.updateId)?.();
      this.#takeUps.delete(before.request.updateId);
    }
    if (after) this.#takeUp(after);
  }

  /**
   * Drives the update when this node holds the device and does not drive it yet; otherwise waits for
   * the device to register here. Returns whether it drives the update now.
   */
  #takeUp(active: ActiveFirmwareUpdate): boolean {
    const { updateId, endpoint } = active.request;
    if (this.#running.has(updateId)) return false;
    if (this.#drives(endpoint)) {
      this.#drive(active.request, active.steps);
      return true;
    }
    this.#awaitRegistration(active.request);
    return false;
  }

  /**
   * Takes the update up when its device registers with this node. Its deadline still holds when the
   * device registers with no node again: then whichever node finds it past first fails it (the
   * command runs at the stream's expected revision, so once), as a node alone would.
   */
  #awaitRegistration({ updateId, endpoint, deadline }: FirmwareUpdateRequested): void {
    if (this.#closed || this.#takeUps.has(updateId)) return;
    const { api, clock, registrations, timers = systemTimers, logger } = this.#options;
    const unsubscribe = api.onDeviceRegistered(endpoint, (registration) => this.#registered(updateId, registration));
    const check = (): void => {
      // A node holds the device: it checks the deadline itself, unless it has died, which its registration's expiry will tell.
      if (registrations?.registration(endpoint) !== undefined) {
        timer = timers.after(unheldDeadlineRecheckMs, check);
        return;
      }
      const command: FirmwareUpdateCommand = { type: 'CheckFirmwareUpdateDeadline', updateId, now: clock.now().toISOString() };
      this.#commands.run(firmwareUpdateStream(endpoint), firmwareUpdateDecider, command, { metadata: { actor: actorName } }).catch((error: unknown) => {
        logger.error({ err: error, updateId }, 'firmware update deadline not checked');
      });
    };
    let timer = timers.after(Math.max(0, Date.parse(deadline) - clock.now().getTime()), check);
    this.#takeUps.set(updateId, () => {
      unsubscribe();
      timer.cancel();
    });
  }

  /** The device of an update this node does not drive registered (with this node or another). */
  #registered(updateId: string, registration: RegistrationRecord): void {
    if (this.#running.has(updateId) || !isHeldBy(registration, this.#options.registrations?.nodeId)) return;
    const active = this.#underWay?.state.get(firmwareUpdateStream(registration.endpoint));
    if (active?.request.updateId !== updateId) return;
    this.#takeUps.get(updateId)?.();
    this.#takeUps.delete(updateId);
    this.#drive(active.request, active.steps);
    // The Register that brought the device here ended the observations of its former registration.
    const update = this.#running.get(updateId);
    if (update?.steps.has('observing')) this.#observe(update).catch((error: unknown) => this.#fail(update, error));
  }

  async #capabilities(endpoint: string, actor: string): Promise<DeviceFirmwareCapabilities> {
    const read = await this.#operation(endpoint, { kind: 'read', paths: ['/5/0'], content: null }, actor);
    if (read.status !== 'succeeded') throw new FirmwareUpdateError('BAD_USER_INPUT', `cannot read the firmware update object /5/0 of ${endpoint}: ${read.reason ?? read.status}`);
    const values = resultValues(read.result);
    const deliveryText = values.find((value) => value.path === '/5/0/9')?.text;
    return {
      deliveryMethod: deliveryText === undefined ? undefined : Number(deliveryText),
      protocols: values.filter((value) => value.path.startsWith('/5/0/8/')).map((value) => Number(value.text)),
    };
  }

  #drive(request: FirmwareUpdateRequested, steps: readonly FirmwareUpdateStep[] = []): void {
    const update: RunningUpdate = { request, steps: new Set(steps), chain: Promise.resolve(), ended: false, cleanups: [] };
    this.#running.set(request.updateId, update);
    const { api, clock, timers = systemTimers } = this.#options;
    update.cleanups.push(api.onResourceValues(request.endpoint, '/', (values) => this.#report(update, values)));
    update.cleanups.push(api.onDeviceRegistered(request.endpoint, (registration) => {
      // Registered with another node: that node takes the update up from the log; this one stops driving it.
      if (!isHeldBy(registration, this.#options.registrations?.nodeId)) {
        this.#handOver(update);
        return;
      }
      if (update.steps.has('observing')) this.#observe(update).catch((error: unknown) => this.#fail(update, error));
    }));
    const timer = timers.after(Math.max(0, Date.parse(request.deadline) - clock.now().getTime()), () => this.#submit(update, { type: 'CheckFirmwareUpdateDeadline', updateId: request.updateId, now: clock.now().toISOString() }));
    update.cleanups.push(() => timer.cancel());
    // Taken up after a restart: the device may have registered (and reported) while nobody followed it.
    const run = steps.includes('update-reported-success')
      ? this.#readVersion(update)
      : steps.includes('update-executed')
        ? this.#require(update, { kind: 'read', paths: ['/5/0'], content: null }, 'read /5/0')
        : steps.includes('downloaded')
          ? this.#executeUpdate(update)
          : this.#deliver(update);
    run.catch((error: unknown) => this.#fail(update, error));
  }

  /** Hands the values the decider takes over to it, in order. */
  #report(update: RunningUpdate, values: readonly ValueJson[]): void {
    for (const value of values) {
      if (reportedPaths.has(value.path)) this.#submit(update, { type: 'ReportFirmwareValue', updateId: update.request.updateId, path: value.path, text: value.text, at: this.#options.clock.now().toISOString() });
    }
  }

  /** Observes State and Update Result; each observation's first answer reports the value now. */
  async #observe(update: RunningUpdate): Promise<void> {
    for (const path of observedPaths) await this.#require(update, { kind: 'observe', paths: [path], content: null }, `observe ${path}`);
  }

  async #deliver(update: RunningUpdate): Promise<void> {
    const { endpoint, packageUri, packageAccess, firmwareId } = update.request;
    await this.#observe(update);
    await this.#step(update, 'observing');
    await this.#step(update, 'delivering-package');
    if (packageUri !== null) {
      const { sealer } = this.#options;
      // A URI with the update's token is a secret: the write's event holds it sealed.
      const sealed = packageAccess ? sealer.seal(new TextEncoder().encode(packageUriWithToken(packageUri, new TextDecoder().decode(sealer.open(packageAccess))))) : undefined;
      const value: WrittenValue = sealed ? { path: '/5/0/1', type: 'string', sealedText: { sealed: sealed.sealed, fingerprint: sealed.fingerprint } } : { path: '/5/0/1', type: 'string', text: packageUri };
      await this.#require(update, { kind: 'write-replace', paths: ['/5/0/1'], content: { values: [value] } }, 'write Package URI /5/0/1');
    } else {
      const firmware = await this.#options.repository.get(firmwareId);
      if (firmware?.source.kind !== 'stored') throw new FirmwareUpdateError('NOT_FOUND', `the binary of firmware ${firmwareId} is gone`);
      // By reference: the dispatcher reads the bytes from the repository as it sends them.
      const reference = { firmwareId, sha256: firmware.source.sha256, size: firmware.source.size };
      await this.#require(update, { kind: 'write-replace', paths: ['/5/0/0'], content: { values: [{ path: '/5/0/0', type: 'opaque', package: reference }] } }, 'write Package /5/0/0');
    }
    if (!update.ended) this.#options.logger.info({ endpoint, updateId: update.request.updateId }, 'firmware package delivered');
    await this.#step(update, 'package-delivered');
  }

  /** Once Downloaded: Update /5/0/2; the observed Update Result then tells the outcome. */
  async #executeUpdate(update: RunningUpdate): Promise<void> {
    await this.#require(update, { kind: 'execute', paths: ['/5/0/2'], content: null }, 'execute Update /5/0/2');
    await this.#step(update, 'update-executed');
  }

  /**
   * Once the device reported success: the version it runs now, for the record. A device that cannot
   * be read does not undo its own report of success.
   */
  async #readVersion(update: RunningUpdate): Promise<void> {
    if (update.ended) return;
    const view = await this.#operation(update.request.endpoint, { kind: 'read', paths: ['/3/0/3'], content: null }, actorName, update.request.updateId);
    const values = view.status === 'succeeded' ? resultValues(view.result) : [];
    if (values.some((value) => value.path === '/3/0/3')) {
      this.#report(update, values);
      return;
    }
    const reason = `read Firmware Version /3/0/3 ${view.status === 'succeeded' ? 'gave no value' : `failed: ${view.reason ?? view.status}`}`;
    this.#submit(update, { type: 'ReportFirmwareVersionUnreadable', updateId: update.request.updateId, reason, at: this.#options.clock.now().toISOString() });
  }

  /** Requests an operation and waits for its end; a failure ends the update. */
  async #require(update: RunningUpdate, spec: OperationSpec, what: string): Promise<void> {
    if (update.ended) return;
    const view = await this.#operation(update.request.endpoint, spec, actorName, update.request.updateId);
    if (view.status !== 'succeeded') throw new FirmwareUpdateError('CONFLICT', `${what} failed: ${view.reason ?? view.status}`);
    // A read's values reach the decider through the resource listener; the read result is the same
    // value, handed over here in case the listener saw it before the update was followed.
    this.#report(update, resultValues(view.result));
  }

  #step(update: RunningUpdate, step: FirmwareUpdateStep): Promise<void> {
    this.#submit(update, { type: 'RecordFirmwareUpdateStep', updateId: update.request.updateId, step, at: this.#options.clock.now().toISOString() });
    return update.chain;
  }

  #fail(update: RunningUpdate, error: unknown): void {
    if (update.ended) return;
    const reason = error instanceof DomainError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`;
    if (!(error instanceof DomainError)) this.#options.logger.error({ err: error, updateId: update.request.updateId }, 'firmware update failed unexpectedly');
    this.#submit(update, { type: 'FailFirmwareUpdate', updateId: update.request.updateId, reason, at: this.#options.clock.now().toISOString() });
  }

  /** Runs a command after the previous ones of the same update, then reacts to its events. */
  #submit(update: RunningUpdate, command: FirmwareUpdateCommand): void {
    update.chain = update.chain.then(async () => {
      if (update.ended) return;
      const result = await this.#commands.run(firmwareUpdateStream(update.request.endpoint), firmwareUpdateDecider, command, { metadata: { actor: actorName } });
      for (const event of result.events) this.#react(update, event);
      // The stream may hold what this runner did not record: the steps, or the end, of the runner it
      // took the update over from, whose last command landed after the updates under way were read.
      // The decider records a step once, so they are acted on here, or the update would wait for its
      // deadline.
      if (update.ended) return;
      const active = result.state.active;
      if (active?.request.updateId !== update.request.updateId) {
        this.#stopFollowing(update);
        return;
      }
      for (const step of active.steps) if (!update.steps.has(step)) this.#progressed(update, step);
    }).catch((error: unknown) => {
      this.#options.logger.error({ err: error, updateId: update.request.updateId }, 'firmware update command failed');
    });
  }

  #react(update: RunningUpdate, event: FirmwareUpdateEvent): void {
    switch (event.type) {
      case 'FirmwareUpdateProgressed':
        this.#progressed(update, event.data.step);
        return;
      case 'FirmwareUpdateSucceeded':
      case 'FirmwareUpdateFailed':
        this.#options.logger.info({ endpoint: update.request.endpoint, updateId: update.request.updateId, outcome: event.type }, 'firmware update ended');
        this.#stopFollowing(update);
        this.#cancelObservations(update);
        return;
      case 'FirmwareUpdateRequested':
        return;
    }
  }

  #progressed(update: RunningUpdate, step: FirmwareUpdateStep): void {
    update.steps.add(step);
    if (step === 'downloaded') this.#executeUpdate(update).catch((error: unknown) => this.#fail(update, error));
    if (step === 'update-reported-success') this.#readVersion(update).catch((error: unknown) => this.#fail(update, error));
  }

  /** Stops driving an update the device's new node drives now, and waits, like any node, for the device to register here again. */
  #handOver(update: RunningUpdate): void {
    this.#stopFollowing(update);
    if (this.#underWay) this.#awaitRegistration(update.request);
  }

  #stopFollowing(update: RunningUpdate): void {
    update.ended = true;
    for (const cleanup of update.cleanups) cleanup();
    update.cleanups.length = 0;
    this.#running.delete(update.request.updateId);
  }

  /** The observations were the update's; nobody else asked for them. */
  #cancelObservations(update: RunningUpdate): void {
    for (const path of observedPaths) {
      this.#options.api.requestOperation(update.request.endpoint, { kind: 'cancel-observation', paths: [path], content: null }, actorName, update.request.updateId).catch((error: unknown) => {
        this.#options.logger.warn({ err: error, path }, 'could not cancel the firmware observation');
      });
    }
  }

  /** Requests an operation and resolves with its view once it has ended. */
  async #operation(endpoint: string, spec: OperationSpec, actor: string, correlationId = this.#options.newId()): Promise<OperationView> {
    const { api } = this.#options;
    let operationId: string | undefined;
    let settle: ((view: OperationView) => void) | undefined;
    const ended = new Promise<OperationView>((resolve) => {
      settle = resolve;
    });
    const unsubscribe = api.onOperationUpdated((view) => {
      if (view.operationId === operationId && terminal.has(view.status)) settle?.(view);
    });
    try {
      ({ operationId } = await api.requestOperation(endpoint, spec, actor, correlationId));
      const now = api.operation(operationId);
      if (now && terminal.has(now.status)) return now;
      return await ended;
    } finally {
      unsubscribe();
    }
  }
}

interface ValueJson {
  readonly path: string;
  readonly text: string;
}

/** The values of a read's result (`{ contentFormat, values: [{ path, type, text }] }`). */
function resultValues(result: JsonValue | null): readonly ValueJson[] {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return [];
  const values = result['values'];
  if (!Array.isArray(values)) return [];
  return values.flatMap((value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    const path = value['path'];
    const text = value['text'];
    return typeof path === 'string' && typeof text === 'string' ? [{ path, text }] : [];
  });
}
