/**
 * The application service of device protocols: imports DDF documents (GraphQL upload and
 * `lwm2m-hub import-protocol`), sets and removes resource functionalities, and tells the telemetry
 * service which functionalities apply to a device's object.
 *
 * An import is all or nothing across the objects of one document: a document the parser refuses
 * stores nothing and returns the parser's errors; every object is decided before anything is appended,
 * so a CONFLICT on one object stores none of them. The versions are staged stream by stream and count
 * once one `DeviceProtocolImportCommitted` event commits them (StagedImports.ts), so that a process
 * that dies between two streams leaves none of the document's objects. If a concurrent writer makes an
 * append fail, the whole import is decided again under a new import id, and what the failed attempt
 * staged never counts.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/Clock.ts';
import type { DdfError } from '../../domain/lwm2m/DdfError.ts';
import { parseDdf } from '../../domain/lwm2m/DdfParser.ts';
import { compareObjectVersions, type ObjectModel } from '../../domain/lwm2m/ObjectModel.ts';
import type { DeviceProtocolCommand, DeviceProtocolState } from '../../domain/protocols/DeviceProtocolDecider.ts';
import { deviceProtocolDecider } from '../../domain/protocols/DeviceProtocolDecider.ts';
import type { DeviceProtocolEvent, DeviceProtocolImportCommitted, DeviceProtocolImportEvent } from '../../domain/protocols/DeviceProtocolEvents.ts';
import { protocolStream, protocolStreamPrefix } from '../../domain/protocols/DeviceProtocolEvents.ts';
import { importStreamPrefix, stagedImportOf } from '../../domain/imports/StagedImports.ts';
import { objectModelFromJson } from '../../domain/lwm2m/ObjectModelJson.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { FunctionalityInput, FunctionalityKind } from '../../domain/protocols/Functionality.ts';
import { chooseProtocolVersion } from '../../domain/protocols/ProtocolVersionChoice.ts';
import type { DeviceProtocolMapping } from '../../domain/telemetry/MappingPolicy.ts';
import type { JsonValue } from '../../domain/Json.ts';
import type { HandleResult } from '../../adapters/eventstore/CommandHandler.ts';
import { handleCommand, loadAggregate } from '../../adapters/eventstore/CommandHandler.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { EventMetadata, EventStore, Subscription } from '../../adapters/eventstore/EventStore.ts';
import { WrongExpectedVersion } from '../../adapters/eventstore/EventStore.ts';
import { commitImport, ImportCommits } from '../kernel/ImportCommits.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';

export interface RequestContext {
  /** `user:<token id>`, `system:cli`, ... */
  readonly actor: string;
  readonly correlationId?: string;
}

export interface ImportedProtocol {
  readonly objectId: number;
  readonly version: string;
  readonly name: string;
  /** False when the same version with the same model was already there. */
  readonly created: boolean;
}

export type DdfImportResult =
  | { readonly ok: true; readonly protocols: readonly ImportedProtocol[]; readonly position: number | undefined }
  | { readonly ok: false; readonly errors: readonly DdfError[] };

export interface SetFunctionalityRequest {
  readonly objectId: number;
  /** The protocol version; its newest version when absent. */
  readonly version?: string | null;
  readonly resourceId: number;
  readonly functionality: FunctionalityInput;
}

export interface RemoveFunctionalityRequest {
  readonly objectId: number;
  readonly version?: string | null;
  readonly resourceId: number;
  readonly kind: FunctionalityKind;
}

export interface FunctionalityChange {
  readonly objectId: number;
  readonly version: string;
  readonly resourceId: number;
  /** False when nothing changed (set as it was, or removed when absent). */
  readonly changed: boolean;
  readonly position: number | undefined;
}

export interface DeviceProtocolServiceOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

const commitType: DeviceProtocolImportEvent['type'] = 'DeviceProtocolImportCommitted';

/** How often a concurrent append makes an import start again before it gives up. */
const IMPORT_ATTEMPTS = 3;

/** An object's protocol state folded so far, and the revision of its stream it covers. */
interface FoldedProtocol {
  readonly state: DeviceProtocolState;
  readonly revision: number;
}

interface KeptProtocol extends FoldedProtocol {
  /**
   * Where the next read starts folding: the fold itself, or the fold before the first version staged
   * by an import not committed yet, so that the next read (after its commit, which the watch hears
   * of) folds that version in.
   */
  readonly resume: FoldedProtocol;
  /** No protocol event has been appended since the read that gave it: it is answered without reading the stream. */
  fresh: boolean;
}

export class DeviceProtocolService {
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #commits: ImportCommits;
  /** Per object, the protocol state folded so far and the revision it covers: only newer events are read. */
  readonly #states = new Map<number, KeptProtocol>();
  /**
   * Counts the protocol appends heard of (this service's own, and every protocol event the watch
   * delivers): a read that began before one of them is kept, but not as fresh.
   */
  #changes = 0;
  /** Started by the first read of a protocol state. */
  #watch: Promise<void> | undefined;
  /** Whether the subscription to every protocol stream runs: kept states count as fresh only while it does. */
  #watching = false;

  constructor(options: DeviceProtocolServiceOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'device-protocols' });
    this.#commits = new ImportCommits(this.#store);
  }

  /** Parses a DDF document and stores a protocol version for each of its objects (all or none). Throws a CONFLICT DomainError. */
  async importDdf(xml: string, context: RequestContext): Promise<DdfImportResult> {
    const parsed = parseDdf(xml);
    if (!parsed.ok) return { ok: false, errors: parsed.errors };
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, ...(await this.#importObjects(parsed.objects, context)) };
      } catch (error) {
        if (error instanceof WrongExpectedVersion && attempt < IMPORT_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  async #importObjects(objects: readonly ObjectModel[], context: RequestContext): Promise<{ protocols: ImportedProtocol[]; position: number | undefined }> {
    const at = this.#clock.now().toISOString();
    const importId = randomUUID();
    const byObject = new Map<number, ObjectModel[]>();
    for (const model of objects) byObject.set(model.id, [...(byObject.get(model.id) ?? []), model]);

    // Decide everything first: a refusal of any object leaves every stream untouched.
    const plans: Array<{ objectId: number; stream: string; revision: number; events: DeviceProtocolEvent[] }> = [];
    const protocols: ImportedProtocol[] = [];
    for (const [objectId, models] of byObject) {
      const stream = protocolStream(objectId);
      const loaded = await loadAggregate(this.#store, stream, deviceProtocolDecider, this.#commits.counted);
      let state = loaded.state;
      const events: DeviceProtocolEvent[] = [];
      for (const model of models) {
        const decided = deviceProtocolDecider.decide({ type: 'CreateDeviceProtocolVersion', model, at }, state);
        state = decided.reduce((s, e) => deviceProtocolDecider.evolve(s, e), state);
        events.push(...decided);
        protocols.push({ objectId, version: model.version, name: model.name, created: decided.length > 0 });
      }
      if (events.length > 0) plans.push({ objectId, stream, revision: loaded.revision, events });
    }

    let position: number | undefined;
    try {
      // Every staged event comes after the head as it is now. (A multi-event append tells only its last
      // event's position, and EventStoreDB's positions are not consecutive.)
      const firstPosition = plans.length === 0 ? undefined : (await this.#store.headPosition()) + 1;
      for (const plan of plans) {
        const appended = await this.#store.appendToStream(
          plan.stream,
          plan.events.map((event) => ({ type: event.type, data: { ...event.data, importId, staged: true } as unknown as JsonValue, metadata: metadataOf(context) })),
          plan.revision === -1 ? 'no_stream' : plan.revision,
        );
        position = appended.position;
      }
      if (firstPosition !== undefined && position !== undefined) {
        const commit: DeviceProtocolImportCommitted = { importId, firstPosition, lastPosition: position, objectIds: plans.map((plan) => plan.objectId) };
        position = (await commitImport(this.#store, commitType, commit, metadataOf(context))).position;
      }
    } finally {
      for (const plan of plans) this.#protocolChanged(plan.stream);
    }
    this.#logger.info({ protocols, actor: context.actor, correlationId: context.correlationId }, 'imported device protocols');
    return { protocols, position };
  }

  async setResourceFunctionality(request: SetFunctionalityRequest, context: RequestContext): Promise<FunctionalityChange> {
    const version = await this.#versionOrNewest(request.objectId, request.version);
    return this.#change(
      {
        type: 'SetResourceFunctionality',
        objectId: request.objectId,
        version,
        resourceId: request.resourceId,
        functionality: request.functionality,
        at: this.#clock.now().toISOString(),
      },
      context,
    );
  }

  async removeResourceFunctionality(request: RemoveFunctionalityRequest, context: RequestContext): Promise<FunctionalityChange> {
    const version = await this.#versionOrNewest(request.objectId, request.version);
    return this.#change(
      {
        type: 'RemoveResourceFunctionality',
        objectId: request.objectId,
        version,
        resourceId: request.resourceId,
        kind: request.kind,
        at: this.#clock.now().toISOString(),
      },
      context,
    );
  }

  async #change(
    command: Extract<DeviceProtocolCommand, { objectId: number }>,
    context: RequestContext,
  ): Promise<FunctionalityChange> {
    const stream = protocolStream(command.objectId);
    let result: HandleResult<DeviceProtocolEvent, DeviceProtocolState>;
    try {
      result = await handleCommand(this.#store, stream, deviceProtocolDecider, command, { metadata: metadataOf(context), counted: this.#commits.counted });
    } finally {
      this.#protocolChanged(stream);
    }
    return {
      objectId: command.objectId,
      version: command.version,
      resourceId: command.resourceId,
      changed: result.events.length > 0,
      position: result.position,
    };
  }

  async #versionOrNewest(objectId: number, version: string | null | undefined): Promise<string> {
    if (version !== undefined && version !== null) return version;
    const versions = [...(await this.protocolState(objectId)).versions.keys()];
    const newest = [...versions].sort(compareObjectVersions).at(-1);
    if (newest === undefined) throw new DomainError('NOT_FOUND', `no device protocol for object ${objectId}`, { objectId });
    return newest;
  }

  /**
   * The object's protocol as the event store has it now. Telemetry asks for it for every value, so it
   * is kept in memory and read again (only the events after the kept revision) only when a protocol
   * event may have been appended since: this service's own appends mark it at once, before the
   * command returns, so the next value sees an upload or a functionality change; other writers'
   * appends (another service instance, another process) mark it when the watch delivers them, within
   * milliseconds of their commit. Without a running watch every call reads the stream.
   */
  async protocolState(objectId: number): Promise<DeviceProtocolState> {
    await (this.#watch ??= this.#startWatch());
    const kept = this.#states.get(objectId);
    if (kept?.fresh && this.#watching) return kept.state;
    const changesBefore = this.#changes;
    const start = kept?.resume ?? { state: deviceProtocolDecider.initialState, revision: -1 };
    const read = await this.#store.readStream(protocolStream(objectId), { fromRevision: start.revision + 1 });
    let { state, revision } = start;
    let resume: FoldedProtocol | undefined;
    if (read.status === 'found') {
      for (const recorded of read.events) {
        const importId = stagedImportOf(recorded.data as object);
        if (importId !== undefined && !(await this.#commits.isCommitted(importId))) resume ??= { state, revision };
        else state = deviceProtocolDecider.evolve(state, toDomainEvent<DeviceProtocolEvent>(recorded));
        revision = recorded.revision;
      }
    }
    // A read that began before a change was heard of may have missed it: keep it, but read again next time.
    const current = this.#states.get(objectId);
    if (current === undefined || current.revision <= revision) {
      this.#states.set(objectId, { state, revision, resume: resume ?? { state, revision }, fresh: this.#watching && changesBefore === this.#changes });
    }
    return state;
  }

  /**
   * Subscribes to every protocol stream, and to the import commits, from the head of the log as it is
   * now: a state read after this includes everything up to that head, and every later protocol event
   * or commit of a DDF import reaches the watch.
   */
  async #startWatch(): Promise<void> {
    let subscription: Subscription;
    try {
      subscription = this.#store.subscribeToAll({ after: await this.#store.headPosition(), filter: { streamPrefixes: [protocolStreamPrefix, importStreamPrefix] } });
    } catch (error) {
      this.#logger.warn({ err: error }, 'cannot watch the device protocols: every value reads its protocol stream');
      return;
    }
    this.#watching = true;
    void this.#followWatch(subscription);
  }

  async #followWatch(subscription: Subscription): Promise<void> {
    try {
      for await (const event of subscription) {
        if (event.type === commitType) for (const objectId of (event.data as unknown as DeviceProtocolImportCommitted).objectIds) this.#protocolChanged(protocolStream(objectId));
        else if (event.stream.startsWith(protocolStreamPrefix)) this.#protocolChanged(event.stream);
      }
    } catch (error) {
      this.#logger.warn({ err: error }, 'the device protocol watch has ended: every value reads its protocol stream');
    } finally {
      this.#watching = false;
    }
  }

  /** A protocol event may have been appended to `stream`: its kept state is read again before it is used. */
  #protocolChanged(stream: string): void {
    this.#changes++;
    for (const [objectId, kept] of this.#states) if (protocolStream(objectId) === stream) kept.fresh = false;
  }

  /**
   * The functionalities that apply to a device's object, given the version the device registered
   * with (`ver`; absent means 1.0): see `chooseProtocolVersion`. Undefined when none applies.
   */
  async mappingFor(objectId: number, registeredVersion: string | null | undefined): Promise<DeviceProtocolMapping | undefined> {
    const state = await this.protocolState(objectId);
    const version = chooseProtocolVersion([...state.versions.keys()], registeredVersion);
    const protocol = version === undefined ? undefined : state.versions.get(version);
    if (version === undefined || protocol === undefined) return undefined;
    return { version, resources: protocol.functionalities };
  }

  /**
   * Every uploaded object model, every version: for the codecs' catalog
   * (`coreObjectCatalog().withObjects(models)`), so that a device's object with a protocol is decoded
   * with its types.
   */
  async uploadedModels(): Promise<readonly ObjectModel[]> {
    const models: ObjectModel[] = [];
    let after = 0;
    for (;;) {
      const page = await this.#store.readAll({
        after,
        maxCount: 1000,
        filter: { streamPrefixes: [protocolStreamPrefix], eventTypes: ['DeviceProtocolVersionCreated'] },
      });
      for (const recorded of page) {
        const event = toDomainEvent<DeviceProtocolEvent>(recorded);
        if (event.type !== 'DeviceProtocolVersionCreated') continue;
        const importId = stagedImportOf(event.data);
        if (importId !== undefined && !(await this.#commits.isCommitted(importId))) continue;
        const parsed = objectModelFromJson(event.data.model);
        if (!parsed.ok) throw new Error(`stored device protocol ${event.data.objectId} ${event.data.version} is unreadable: ${parsed.error}`);
        models.push(parsed.model);
      }
      const last = page[page.length - 1];
      if (last === undefined) return models;
      after = last.position;
    }
  }

  /** The resources of a device's object to observe whenever the device registers (Auto-observe). */
  async autoObservedResources(objectId: number, registeredVersion: string | null | undefined): Promise<readonly number[]> {
    const mapping = await this.mappingFor(objectId, registeredVersion);
    if (mapping === undefined) return [];
    return [...mapping.resources].filter(([, functionalities]) => functionalities.autoObserve !== undefined).map(([resourceId]) => resourceId);
  }
}

function metadataOf(context: RequestContext): Partial<EventMetadata> {
  return { actor: context.actor, correlationId: context.correlationId, schemaVersion: 1 };
}
