/**
 * Imports a registration CSV: reads and validates every row first, then runs one command per row
 * through the device registration decider, each on its own stream `device-<endpoint>`.
 *
 * - "all-or-nothing" (the default): if any row is invalid, nothing is appended and every problem of
 *   the file is reported. "valid-rows-only" imports the valid rows and reports the others. A broken
 *   quote imports nothing in either mode: after it the rows cannot be told apart.
 * - All rows or none, whenever the process stops (StagedImports.ts): each row's event is staged on
 *   its device stream, and one `DeviceImportCommitted` event then makes them all count at once. An
 *   import that fails or is killed before its commit leaves nothing that counts; running it again
 *   imports every row.
 * - Idempotent: an unchanged row decides no event, so running the same import again appends nothing
 *   (no commit either).
 * - PSK keys are sealed before their rows are appended, a large import's on the sealer's own thread
 *   while the file is read; the clear bytes are zeroed once handed to the sealer, and only sealed
 *   keys enter commands and events. If sealing fails, the import fails as a failed append does.
 * - A PSK identity selects one device's key in the DTLS handshake (RFC 4279 section 2), so a row may not
 *   take an identity that another active device already holds (a decommissioned device has freed
 *   its identities; a device keeping its own is fine). The check runs on the valid rows before
 *   anything is appended, and a refused row counts as an invalid one in either mode. Swapping two
 *   stored devices' identities in one file is refused too: the rows are appended concurrently, so for
 *   a moment both devices would hold one identity; swap them in two imports.
 * - Imports through one service take turns from that check to their last append, so that two of them
 *   cannot bind one identity to two devices. Two processes importing into one store at once (the CLI
 *   beside the server) are not guarded: their checks may both pass before either appends.
 * - Rows run with bounded concurrency, so that the SQLite store's group commit writes many of them in
 *   one transaction (one fsync) instead of one each: 512 rows in two halves, one half's batch of 256
 *   committed while the other half's rows are decided.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type { DeviceCsvField } from '../../domain/devices/DeviceCsvColumns.ts';
import type { DeviceCsvEntry } from '../../domain/devices/DeviceCsvEntry.ts';
import type { DeviceCsvHeader } from '../../domain/devices/DeviceCsvHeader.ts';
import type { DeviceCsvProblem } from '../../domain/devices/DeviceCsvProblem.ts';
import { compareProblems } from '../../domain/devices/DeviceCsvProblem.ts';
import { resolveDeviceCsvHeader } from '../../domain/devices/DeviceCsvHeader.ts';
import type { DeviceRegistrationData } from '../../domain/devices/DeviceEvents.ts';
import { deviceStream } from '../../domain/devices/DeviceEvents.ts';
import { DeviceIdentityUniqueness } from '../../domain/devices/DeviceIdentityUniqueness.ts';
import type { DeviceRegistrationCommand } from '../../domain/devices/DeviceRegistrationDecider.ts';
import { deviceRegistrationDecider } from '../../domain/devices/DeviceRegistrationDecider.ts';
import type { ValidDeviceRow } from '../../domain/devices/DeviceRowValidator.ts';
import { validateDeviceRow } from '../../domain/devices/DeviceRowValidator.ts';
import type { BulkSecretSealer, SealedSecret, SecretSealer } from '../../domain/SealedSecret.ts';
import type { CountedEvents } from '../../adapters/eventstore/EventStore.ts';
import { AggregateCommandRunner } from '../kernel/AggregateCommandRunner.ts';
import type { AppendResult, EventMetadata, EventStore } from '../../adapters/eventstore/EventStore.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';
import type { DeviceIdentityClaim } from '../security/DeviceIdentityIndex.ts';
import type { IndexedDeviceField } from './DeviceIdentities.ts';
import { DeviceIdentityIndex } from '../security/DeviceIdentityIndex.ts';
import { commitDeviceImport } from './DeviceImportCommits.ts';
import { ImportCommits, ImportsUnderWay } from '../kernel/ImportCommits.ts';

export type DeviceImportMode = 'all-or-nothing' | 'valid-rows-only';

export interface DeviceImportProgress {
  /** `reading`: rows read and validated so far; `importing`: rows imported so far, of `total`. */
  readonly phase: 'reading' | 'importing';
  readonly rows: number;
  /** The number of rows to import; null while reading. */
  readonly total: number | null;
}

export interface DeviceImportOptions {
  readonly mode?: DeviceImportMode;
  /** Who asked for the import (`user:<token id>`, `system:cli`): the actor of every event. */
  readonly actor: string;
  readonly correlationId: string;
  /** The causation id of every event; generated when absent. */
  readonly importId?: string;
  readonly onProgress?: (progress: DeviceImportProgress) => void;
  /** Report progress every this many rows (and once at the end of each phase). */
  readonly progressEvery?: number;
}

export interface DeviceImportReport {
  readonly importId: string;
  readonly mode: DeviceImportMode;
  /** Devices registered for the first time (or again after decommissioning). */
  readonly imported: number;
  /** Devices whose registration changed. */
  readonly updated: number;
  /** Rows equal to the stored registration: no event. */
  readonly unchanged: number;
  /** Every problem of the file, in file order. Empty when the whole file was imported. */
  readonly errors: readonly DeviceCsvProblem[];
  /** The log position of the import's commit, for a reader that must see the devices; undefined when nothing was appended. */
  readonly position: number | undefined;
}

export interface DeviceImportServiceDependencies {
  readonly store: EventStore;
  /** Reads a CSV file (a stream or the whole text) into header, records and unreadable lines, in file order. */
  readonly readCsv: (source: Readable | string) => AsyncIterable<DeviceCsvEntry>;
  readonly sealer: SecretSealer;
  readonly logger: Logger;
  /** How many rows are in flight at once. */
  readonly concurrency?: number;
  /**
   * From how many rows an import seals its keys on the sealer's own thread (`openBulk`), beside its
   * appends; below, starting the thread costs more than it saves.
   */
  readonly bulkSealingFrom?: number;
  /**
   * Runs each row's command; the process's runner, or one of the service's own (an import's commands
   * count staged events, so the runner keeps no state of them: sharing it saves nothing but a Map).
   */
  readonly runner?: AggregateCommandRunner;
}

const SCHEMA_VERSION = 1;

/**
 * The identity namespaces, as in `DeviceIdentityUniqueness`: a row's value in one of `columns` may not be
 * held by another device in any of `fields`.
 */
const identityNamespaces: readonly { readonly what: string; readonly columns: readonly (DeviceCsvField & IndexedDeviceField)[] }[] = [
  { what: 'LwM2M PSK identity', columns: ['lwm2mPskId'] },
  { what: 'bootstrap PSK identity', columns: ['bootstrapPskId', 'externalBootstrapPskId'] },
  { what: 'public key', columns: ['publicKey'] },
];

export class DeviceImportService {
  readonly #store: EventStore;
  readonly #readCsv: (source: Readable | string) => AsyncIterable<DeviceCsvEntry>;
  readonly #runner: AggregateCommandRunner;
  readonly #sealer: SecretSealer;
  readonly #logger: Logger;
  readonly #concurrency: number;
  readonly #bulkSealingFrom: number;
  readonly #identities: DeviceIdentityIndex;
  readonly #commits: ImportCommits;
  /** The import holding the turn from its identity check to its last append. */
  #binding: Promise<unknown> = Promise.resolve();

  constructor(dependencies: DeviceImportServiceDependencies) {
    this.#store = dependencies.store;
    this.#readCsv = dependencies.readCsv;
    this.#runner = dependencies.runner ?? new AggregateCommandRunner({ store: dependencies.store });
    this.#sealer = dependencies.sealer;
    this.#logger = dependencies.logger;
    this.#concurrency = dependencies.concurrency ?? 512;
    this.#bulkSealingFrom = dependencies.bulkSealingFrom ?? 2000;
    this.#identities = new DeviceIdentityIndex(this.#store, ['lwm2mPskId', 'bootstrapPskId', 'externalBootstrapPskId', 'publicKey']);
    this.#commits = new ImportCommits(this.#store);
  }

  /** Which events of a device stream count: another command on the stream decides on those (StagedImports.ts). */
  get countedDeviceEvents(): CountedEvents {
    return this.#commits.counted;
  }

  async importDevices(source: Readable | string, options: DeviceImportOptions): Promise<DeviceImportReport> {
    const mode = options.mode ?? 'all-or-nothing';
    const importId = options.importId ?? randomUUID();
    const every = options.progressEvery ?? 1000;
    const sealing = new RowKeySealing(this.#sealer, this.#bulkSealingFrom);
    try {
      const read = await this.#readRows(source, sealing, (rows) => {
        if (rows % every === 0) options.onProgress?.({ phase: 'reading', rows, total: null });
      });
      options.onProgress?.({ phase: 'reading', rows: read.rowsRead, total: null });
      const turn = this.#binding.then(() => this.#bindAndAppend(read, sealing, mode, importId, options));
      this.#binding = turn.catch(() => undefined);
      return await turn;
    } finally {
      await sealing.close();
    }
  }

  /** Refuses the rows whose identities other devices hold, then appends (or rejects) the file. */
  async #bindAndAppend(
    read: ReadRows,
    sealing: RowKeySealing,
    mode: DeviceImportMode,
    importId: string,
    options: DeviceImportOptions,
  ): Promise<DeviceImportReport> {
    const every = options.progressEvery ?? 1000;
    const report = (counts: { imported: number; updated: number; unchanged: number }, errors: DeviceCsvProblem[], position?: number): DeviceImportReport => ({
      importId,
      mode,
      ...counts,
      errors: errors.sort(compareProblems),
      position,
    });
    const none = { imported: 0, updated: 0, unchanged: 0 };
    if (read.header !== null && !read.structural) {
      const taken = await this.#identitiesTaken(read.rows, read.header);
      read.errors.push(...taken);
      const takenLines = new Set(taken.map((problem) => problem.line));
      read.rows.filter((row) => takenLines.has(row.line)).forEach(zeroKeys);
      read.rows = read.rows.filter((row) => !takenLines.has(row.line));
    }
    if (read.errors.length > 0 && (mode === 'all-or-nothing' || read.structural)) {
      read.rows.forEach(zeroKeys);
      this.#logger.info({ importId, mode, errors: read.errors.length }, 'device import rejected: nothing imported');
      return report(none, read.errors);
    }

    const metadata: Partial<EventMetadata> = {
      actor: options.actor,
      correlationId: options.correlationId,
      causationId: importId,
      schemaVersion: SCHEMA_VERSION,
    };
    const total = read.rows.length;
    const counts = { ...none };
    let done = 0;
    let next = 0;
    // After a failure (the store is down, the disk is full, the sealing thread died) the other workers
    // stop taking rows; the rows already staged never count, as the import is not committed.
    let failed = false;
    // The staged events' positions, named by the commit for the readers that follow the log.
    let firstPosition = Number.POSITIVE_INFINITY;
    let lastPosition = 0;
    const counted = this.#commits.countedForOneRun();
    // The process's views keep this run's staged events as they pass, to fold them at the commit.
    const run = ImportsUnderWay.of(this.#store).begin(importId);
    // A bulk import mostly registers new devices: while that guess mostly comes true, each row is
    // appended as a new stream without reading it first (the store refuses the append if the stream
    // exists, and the row then runs on its real state). A re-import of known devices soon stops guessing.
    let guesses = 0;
    let wrongGuesses = 0;
    const worker = async (): Promise<void> => {
      while (!failed && next < total) {
        const row = read.rows[next++];
        if (!row) continue;
        const command: DeviceRegistrationCommand = {
          type: 'ImportDeviceRegistration',
          registration: { ...row.registration, ...(await sealing.keysOf(row)) },
          importId,
          line: row.line,
        };
        const assumeNewStream = wrongGuesses * 2 <= guesses;
        const result = await this.#runner.run(deviceStream(row.registration.endpoint), deviceRegistrationDecider, command, {
          metadata,
          assumeNewStream,
          counted,
        });
        const event = result.events[0];
        if (assumeNewStream) {
          guesses++;
          if (event?.type !== 'DeviceRegistrationImported' || result.revision !== 0) wrongGuesses++;
        }
        if (result.position !== undefined) {
          run.staged(result.events.length);
          firstPosition = Math.min(firstPosition, result.position);
          lastPosition = Math.max(lastPosition, result.position);
        }
        if (event === undefined) counts.unchanged++;
        else if (event.type === 'DeviceRegistrationImported') counts.imported++;
        else counts.updated++;
        done++;
        if (done % every === 0) options.onProgress?.({ phase: 'importing', rows: done, total });
      }
    };
    let commit: AppendResult | undefined;
    try {
      const workers = Math.min(this.#concurrency, total);
      await Promise.all(
        Array.from({ length: workers }, async (_, index) => {
          // Two halves, the second started two turns of the event loop later: a group-committing store
          // sends the appends of one turn as one batch on the next, so the second half's appends queue
          // while the first half's commit is in flight, and from then on one half's rows are decided on
          // this thread while the other half's are committed on the store's (all started at once, they
          // formed one batch that both threads took turns on).
          if (index >= workers / 2) {
            await nextTurn();
            await nextTurn();
          }
          return worker().catch((error: unknown) => {
            failed = true;
            throw error;
          });
        }),
      );
      // The staged events take effect at the commit: its position is the import's.
      if (lastPosition > 0) commit = await commitDeviceImport(this.#store, { importId, firstPosition, lastPosition, imported: counts.imported, updated: counts.updated }, metadata);
    } finally {
      if (commit === undefined) run.abandoned();
      else run.committed();
      // After a failure, the rows not sealed yet still hold their keys in clear.
      read.rows.forEach(zeroKeys);
    }
    options.onProgress?.({ phase: 'importing', rows: done, total });
    this.#logger.info({ importId, mode, ...counts, errors: read.errors.length }, 'device import done');
    return report(counts, read.errors, commit?.position);
  }

  /**
   * One problem per valid row's identity that another active device holds, at the identity's column.
   * Rows repeating an identity within the file were dropped before, so each identity is claimed once.
   */
  async #identitiesTaken(rows: readonly ValidDeviceRow[], header: DeviceCsvHeader): Promise<DeviceCsvProblem[]> {
    const claims: { claim: DeviceIdentityClaim; line: number; column: DeviceCsvField; what: string }[] = [];
    for (const row of rows) {
      const { endpoint } = row.registration;
      for (const { what, columns } of identityNamespaces) {
        let previousOfRow: string | null = null;
        for (const column of columns) {
          // An optional column (publicKey) is absent from rows without it.
          const identity = row.registration[column] ?? null;
          // One device may use one identity in both columns of a namespace (at most two): one problem is enough.
          if (identity === null || identity === previousOfRow) continue;
          previousOfRow = identity;
          for (const field of columns) claims.push({ claim: { field, identity, endpoint }, line: row.line, column, what });
        }
      }
    }
    const holders = await this.#identities.otherHolders(claims.map(({ claim }) => claim));
    const problems: DeviceCsvProblem[] = [];
    const reported = new Set<string>();
    claims.forEach(({ claim, line, column, what }, index) => {
      const holder = holders[index];
      const key = `${line}\u0000${column}`;
      if (holder === undefined || reported.has(key)) return;
      reported.add(key);
      const cell = header.cells.get(column);
      problems.push({
        line,
        column: cell?.header ?? column,
        columnNumber: cell?.columnNumber ?? null,
        message: `${what} "${claim.identity}" is already bound to device "${holder.endpoint}"`,
      });
    });
    return problems;
  }

  /** Reads and validates the whole file; the valid rows are kept (their keys still in clear). */
  async #readRows(source: Readable | string, sealing: RowKeySealing, onRow: (rowsRead: number) => void): Promise<ReadRows> {
    const rows: ValidDeviceRow[] = [];
    const errors: DeviceCsvProblem[] = [];
    let structural = false;
    let rowsRead = 0;
    let uniqueness: DeviceIdentityUniqueness | undefined;
    let header: ReturnType<typeof resolveDeviceCsvHeader> | undefined;
    let headers: readonly string[] = [];
    for await (const entry of this.#readCsv(source)) {
      if (entry.kind === 'header') {
        headers = entry.headers;
        header = resolveDeviceCsvHeader(entry.headers, entry.line);
        if (!header.ok) return { rows, errors: [...header.problems], structural: true, rowsRead, header: null };
        uniqueness = new DeviceIdentityUniqueness(header.header);
        continue;
      }
      rowsRead++;
      onRow(rowsRead);
      if (entry.kind === 'malformed') {
        const columnNumber = entry.column ?? null;
        errors.push({ line: entry.line, column: columnNumber === null ? null : (headers[columnNumber - 1] ?? null), columnNumber, message: entry.message });
        structural ||= entry.structural;
        continue;
      }
      if (!header?.ok || !uniqueness) continue;
      uniqueness.add(entry.record, entry.line);
      const validation = validateDeviceRow(entry.record, entry.line, header.header);
      if (validation.ok) {
        rows.push(validation.row);
        sealing.add(validation.row);
      } else {
        errors.push(...validation.problems);
      }
    }
    if (header === undefined) {
      // A header row that is not UTF-8 has its own problem already.
      if (errors.length === 0) errors.push({ line: 1, column: null, columnNumber: null, message: 'the file is empty: a header row naming the columns is expected' });
      return { rows, errors, structural: true, rowsRead, header: null };
    }
    const duplicates = uniqueness?.problems() ?? [];
    errors.push(...duplicates);
    const duplicateLines = new Set(duplicates.map((problem) => problem.line));
    const kept = rows.filter((row) => !duplicateLines.has(row.line));
    rows.filter((row) => duplicateLines.has(row.line)).forEach(zeroKeys);
    return { rows: kept, errors, structural, rowsRead, header: header.ok ? header.header : null };
  }

}

/** A row's PSK keys, sealed. */
type SealedRowKeys = Pick<DeviceRegistrationData, 'lwm2mPskKey' | 'bootstrapPskKey'>;

/** How many rows' keys one batch to the sealing thread holds: a few milliseconds of sealing. */
const SEALING_CHUNK = 1024;

/**
 * Seals the rows' keys. A large file's valid rows go to the sealer's own thread a chunk at a time
 * while the file is still read, so that the sealing runs beside the reading (one thread's work, with
 * the second core idle) rather than beside the appends (where the store's writer thread works); the
 * rows of a small file, and the last rows of a large one, are sealed on this thread as they are
 * appended. Each row's clear keys are zeroed once handed to a sealer. A row dropped after it was
 * sealed (a duplicate, a taken identity, a rejected file) has its sealed keys thrown away.
 */
class RowKeySealing {
  readonly #sealer: SecretSealer;
  readonly #bulkFrom: number;
  #bulk: BulkSecretSealer | undefined;
  #rowsAdded = 0;
  /** Valid rows not handed to the sealing thread yet. */
  #waiting: ValidDeviceRow[] = [];
  /**
   * The rows handed to the sealing thread, by line (a row's own, unique in the file): their chunk and
   * place in it. Keyed by a number, not by the row: an object's first use as a key gives it an
   * identity hash, one more allocation per row.
   */
  readonly #handed = new Map<number, { readonly chunk: Promise<SealedRowKeys[]>; readonly index: number }>();

  constructor(sealer: SecretSealer, bulkFrom: number) {
    this.#sealer = sealer;
    this.#bulkFrom = bulkFrom;
  }

  /** A valid row, read: handed to the sealing thread with its chunk once the file proves large. */
  add(row: ValidDeviceRow): void {
    this.#rowsAdded++;
    this.#waiting.push(row);
    if (this.#rowsAdded < this.#bulkFrom || this.#waiting.length < SEALING_CHUNK) return;
    this.#bulk ??= this.#sealer.openBulk?.();
    if (this.#bulk === undefined) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (let start = 0; start < waiting.length; start += SEALING_CHUNK) this.#send(this.#bulk, waiting.slice(start, start + SEALING_CHUNK));
  }

  /** The row's sealed keys. */
  async keysOf(row: ValidDeviceRow): Promise<SealedRowKeys> {
    const handed = this.#handed.get(row.line);
    if (handed === undefined) {
      const keys = { lwm2mPskKey: this.#seal(row.lwm2mPskKey), bootstrapPskKey: this.#seal(row.bootstrapPskKey) };
      zeroKeys(row);
      return keys;
    }
    this.#handed.delete(row.line);
    const keys = (await handed.chunk)[handed.index];
    if (keys === undefined) throw new RangeError(`no sealed keys for the row of line ${row.line}`);
    return keys;
  }

  /** Ends the sealing thread; the rows never sealed have their keys zeroed. */
  async close(): Promise<void> {
    this.#waiting.forEach(zeroKeys);
    this.#waiting = [];
    this.#handed.clear();
    await this.#bulk?.close();
  }

  #seal(key: Uint8Array | null): SealedSecret | null {
    return key === null ? null : this.#sealer.seal(key);
  }

  #send(bulk: BulkSecretSealer, rows: readonly ValidDeviceRow[]): void {
    const plaintexts: Uint8Array[] = [];
    for (const row of rows) {
      if (row.lwm2mPskKey !== null) plaintexts.push(row.lwm2mPskKey);
      if (row.bootstrapPskKey !== null) plaintexts.push(row.bootstrapPskKey);
    }
    // Which keys each row has, taken before they are zeroed (zeroed, not set to null).
    const present = rows.map((row) => ({ lwm2m: row.lwm2mPskKey !== null, bootstrap: row.bootstrapPskKey !== null }));
    const sealing = plaintexts.length === 0 ? Promise.resolve([]) : bulk.sealAll(plaintexts);
    // sealAll copied them.
    rows.forEach(zeroKeys);
    const chunk = sealing.then((sealed) => {
      let next = 0;
      const take = (isPresent: boolean): SealedSecret | null => (isPresent ? (sealed[next++] ?? null) : null);
      return present.map(({ lwm2m, bootstrap }) => ({ lwm2mPskKey: take(lwm2m), bootstrapPskKey: take(bootstrap) }));
    });
    // A chunk may fail (the thread died) while no row awaits it yet: the row that asks for it gets the failure.
    chunk.catch(() => undefined);
    rows.forEach((row, index) => this.#handed.set(row.line, { chunk, index }));
  }
}

/** A file read and validated: its valid rows (keys still in clear) and every problem found so far. */
interface ReadRows {
  rows: ValidDeviceRow[];
  readonly errors: DeviceCsvProblem[];
  readonly structural: boolean;
  readonly rowsRead: number;
  /** Null when the header is missing or unreadable. */
  readonly header: DeviceCsvHeader | null;
}

/** Overwrites a row's clear keys, so that they do not linger in memory once sealed or rejected. */
function zeroKeys(row: ValidDeviceRow): void {
  row.lwm2mPskKey?.fill(0);
  row.bootstrapPskKey?.fill(0);
}
