/**
 * Imports that write many streams and must count all at once, whatever moment the process stops: a
 * CSV import's rows (one `device-<endpoint>` stream each) and a DDF document's objects (one
 * `protocol-<objectId>` stream each).
 *
 * Each event such an import appends is staged: its data carries the import's id and `staged: true`.
 * When every stream has its events, one commit event on the stream `import-<importId>` makes them all
 * count together. The commit is one event on one stream, which every store appends atomically,
 * EventStoreDB included, although it has no transaction across streams. A staged event counts (for
 * the service's lookups, the read models and the next decisions) only once its import's commit is in
 * the log; the `import-<importId>` stream holds nothing but that commit.
 *
 * An import that stops before its commit (the process is killed, the store fails) leaves staged events
 * that never count: running the import again appends them anew and commits them.
 */

export const importStreamPrefix = 'import-';

export function importStream(importId: string): string {
  return `${importStreamPrefix}${importId}`;
}

/** The fields a staged event carries in its data. Absent in logs written before imports were staged. */
export interface StagedByImport {
  readonly importId: string;
  readonly staged?: boolean;
}

/** What every commit says: readers that follow the log find the staged events between these positions. */
export interface ImportCommit {
  readonly importId: string;
  /** Global positions: at or before the import's first staged event, and its last one (other streams' events lie between). */
  readonly firstPosition: number;
  readonly lastPosition: number;
}

/** The import whose commit an event waits for; undefined for an event that counts where it stands. */
export function stagedImportOf(data: object): string | undefined {
  const { staged, importId } = data as Partial<StagedByImport>;
  return staged === true && typeof importId === 'string' ? importId : undefined;
}
