/**
 * What a reader of a device CSV file hands the import, line by line: the header, a record, or a line
 * it could not read, with where and why (the agent guide's CSV format; RFC 4180 for the quoting).
 */
import type { DeviceCsvRecord } from './DeviceRowValidator.ts';

export type DeviceCsvEntry =
  | { readonly kind: 'header'; readonly line: number; readonly headers: readonly string[] }
  | { readonly kind: 'record'; readonly line: number; readonly record: DeviceCsvRecord }
  | {
      readonly kind: 'malformed';
      readonly line: number;
      /** The 1-based field position, when the problem is in one field. */
      readonly column?: number;
      readonly message: string;
      /**
       * A broken quote: the reader cannot tell where the rows after it begin, so the rest of the
       * file cannot be trusted and no row of it may be imported.
       */
      readonly structural: boolean;
    };
