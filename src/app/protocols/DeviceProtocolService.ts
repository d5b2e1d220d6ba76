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
 * append fail, the whole import is decided again under a new import id (the kernel's retryOnConflict),
 * and what the failed attempt staged never counts.
 *
 * The protocols as telemetry reads them for every value are a live view of the protocol streams (one
 * state per object, the uploaded models derived from it); a command waits until the view has seen
 * what it appended, so the next value is mapped with it.
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
import { importStreamPrefix } from '../../domain/imports/StagedImports.ts';
import { DomainError } from '../../domain/DomainError.ts';
import type { FunctionalityInput, FunctionalityKind } from '../../domain/protocols/Functionality.ts';
import { chooseProtocolVersion } from '../../domain/protocols/ProtocolVersionChoice.ts';
import type { DeviceProtocolMapping } from '../../domain/telemetry/MappingPolicy.ts';
import type { JsonValue } from '../../domain/Json.ts';
import { toDomainEvent } from '../../adapters/eventstore/EventStore.ts';
import type { EventMetadata, EventStore } from '../../adapters/eventstore/EventStore.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import { commitImport, committedEvents, ImportCommits } from '../kernel/ImportCommits.ts';
import { LiveView } from '../kernel/LiveView.ts';
import type { LogFeed } from '../kernel/LogFeed.ts';
import { retryOnConflict } from '../kernel/RetryOnConflict.ts';
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
  /**
   * The process's log feed, from which the live view of the protocols is kept: the one reader of the
   * log of every live view of the process (a command line that runs alone opens one and closes it).
   */
  readonly feed: LogFeed;
  /** The process's command runner; a service built alone (a test, the CLI) runs its own. */
  readonly runner?: AggregateCommandRunner;
}

const commitType: DeviceProtocolImportEvent['type'] = 'DeviceProtocolImportCommitted';

/** How often a concurrent append makes an import start again before it gives up. */
const IMPORT_ATTEMPTS = 3;

/** Per object id, its protocol as committed. */
type DeviceProtocols = Map<number, DeviceProtocolState>;

export class DeviceProtocolService {
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #commits: ImportCommits;
  readonly #runner: AggregateCommandRunner;
  readonly #feed: LogFeed;
  /** Opened by the first read of a protocol; opened again after a failed opening. */
  #view: Promise<LiveView<DeviceProtocols>> | undefined;

  constructor(options: DeviceProtocolServiceOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ component: 'device-protocols' });
    this.#commits = new ImportCommits(this.#store);
    this.#runner = options.runner ?? new AggregateCommandRunner({ store: options.store });
    this.#feed = options.feed;
  }

  /** Parses a DDF document and stores a protocol version for each of its objects (all or none). Throws a CONFLICT DomainError. */
  async importDdf(xml: string, context: RequestContext): Promise<DdfImportResult> {
    const parsed = parseDdf(xml);
    if (!parsed.ok) return { ok: false, errors: parsed.errors };
    const imported = await retryOnConflict(IMPORT_ATTEMPTS, () => this.#importObjects(parsed.objects, context));
    await this.#seen(imported.position);
    return { ok: true, ...imported };
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
      const loaded = await this.#runner.load(stream, deviceProtocolDecider, { counted: this.#commits.counted });
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
    const result = await this.#runner.run(protocolStream(command.objectId), deviceProtocolDecider, command, { metadata: metadataOf(context), counted: this.#commits.counted });
    await this.#seen(result.position);
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
   * The object's protocol as committed. Telemetry asks for it for every value, so it is answered from
   * the live view of the protocol streams: this service's own commands return once the view has seen
   * them, so the next value sees an upload or a functionality change; other writers' appends (another
   * service instance, another process) reach it when the log feed delivers them.
   */
  async protocolState(objectId: number): Promise<DeviceProtocolState> {
    return (await this.#protocols()).state.get(objectId) ?? deviceProtocolDecider.initialState;
  }

  #protocols(): Promise<LiveView<DeviceProtocols>> {
    if (this.#view) return this.#view;
    const opening = LiveView.open<DeviceProtocols>(this.#feed, {
      name: 'device protocols',
      filter: { streamPrefixes: [protocolStreamPrefix, importStreamPrefix] },
      initialState: new Map(),
      evolve(protocols: DeviceProtocols, recorded) {
        const objectId = Number(recorded.stream.slice(protocolStreamPrefix.length));
        protocols.set(objectId, deviceProtocolDecider.evolve(protocols.get(objectId) ?? deviceProtocolDecider.initialState, toDomainEvent<DeviceProtocolEvent>(recorded)));
        return protocols;
      },
      // A version staged by an import counts at the import's commit (StagedImports.ts).
      expand: committedEvents(this.#store, { streamPrefixes: [protocolStreamPrefix], commitType, pageSize: 1000 }),
    });
    this.#view = opening;
    // A failed opening fails its own reads only; the next read opens the view again.
    opening.catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'cannot open the live view of the device protocols');
      if (this.#view === opening) this.#view = undefined;
    });
    return opening;
  }

  /** Returns once the view has seen the log through `position` (when the view is open: else it reads it all when it opens). */
  async #seen(position: number | undefined): Promise<void> {
    if (position === undefined || this.#view === undefined) return;
    await (await this.#view).waitFor(position);
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
    return [...(await this.#protocols()).state.values()].flatMap((protocol) => [...protocol.versions.values()].map((version) => version.model));
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
