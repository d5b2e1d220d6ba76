/**
 * How a CSV import's rows become visible all at once: each row's event is appended to its own
 * `device-<endpoint>` stream marked `staged`, then one `DeviceImportCommitted` event on the stream
 * `import-<importId>` commits them together. A staged event counts (for registration, PSK lookup,
 * bootstrap, the read models and the next import's decisions) only once its import's commit is in the
 * log; the commit is one event on one stream, which every store appends atomically, EventStoreDB
 * included, although it has no transaction across streams.
 *
 * An import that stops before its commit (the process is killed, the store fails) leaves staged events
 * that never count: running the import again appends its rows anew and commits them.
 */
import type { DeviceEvent } from './DeviceEvents.ts';

export const deviceImportStreamPrefix = 'import-';

export function deviceImportStream(importId: string): string {
  return `${deviceImportStreamPrefix}${importId}`;
}

export interface DeviceImportCommitted {
  readonly importId: string;
  /**
   * The global positions of the import's first and last staged event: readers that follow the log
   * find the staged events between them (the log holds other streams' events in between too).
   */
  readonly firstPosition: number;
  readonly lastPosition: number;
  readonly imported: number;
  readonly updated: number;
}

export type DeviceImportEvent = { readonly type: 'DeviceImportCommitted'; readonly data: DeviceImportCommitted };

/** The import whose commit a device event waits for; undefined for an event that counts where it stands. */
export function stagedImportOf(event: DeviceEvent): string | undefined {
  switch (event.type) {
    case 'DeviceRegistrationImported':
    case 'DeviceRegistrationUpdated':
      return event.data.staged === true ? event.data.importId : undefined;
    case 'DeviceDecommissioned':
      return undefined;
  }
}
