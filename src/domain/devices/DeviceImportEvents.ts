/**
 * The commit of a CSV import (StagedImports.ts): each row's event is staged on its own
 * `device-<endpoint>` stream, and one `DeviceImportCommitted` on `import-<importId>` makes them all
 * count at once.
 */
import type { ImportCommit } from '../imports/StagedImports.ts';

export interface DeviceImportCommitted extends ImportCommit {
  readonly imported: number;
  readonly updated: number;
}

export type DeviceImportEvent = { readonly type: 'DeviceImportCommitted'; readonly data: DeviceImportCommitted };
