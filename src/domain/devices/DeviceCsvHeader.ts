/**
 * Resolves the header row of a registration CSV to the columns it names. A header the service does not
 * understand makes every row unreadable, so its problems reject the whole file.
 *
 * Unknown columns are errors, not warnings: the likeliest unknown column is a misspelt optional one
 * ("registration lifetime"), and ignoring it would silently give devices a configuration the operator
 * did not ask for.
 */
import type { DeviceCsvColumn, DeviceCsvField } from './DeviceCsvColumns.ts';
import { deviceCsvColumns, findDeviceCsvColumn } from './DeviceCsvColumns.ts';
import type { DeviceCsvProblem } from './DeviceCsvProblem.ts';

/** A column as this file has it: the header text and its 1-based position (in each record, at columnNumber - 1). */
export interface DeviceCsvHeaderCell {
  readonly header: string;
  readonly columnNumber: number;
  readonly column: DeviceCsvColumn;
}

export interface DeviceCsvHeader {
  readonly line: number;
  readonly cells: ReadonlyMap<DeviceCsvField, DeviceCsvHeaderCell>;
}

export type DeviceCsvHeaderResult =
  | { readonly ok: true; readonly header: DeviceCsvHeader }
  | { readonly ok: false; readonly problems: readonly DeviceCsvProblem[] };

export function resolveDeviceCsvHeader(headers: readonly string[], line: number): DeviceCsvHeaderResult {
  const problems: DeviceCsvProblem[] = [];
  const cells = new Map<DeviceCsvField, DeviceCsvHeaderCell>();
  headers.forEach((header, index) => {
    const columnNumber = index + 1;
    const at = { line, column: header, columnNumber };
    if (header.trim() === '') {
      problems.push({ ...at, message: `column ${columnNumber} has no name` });
      return;
    }
    const column = findDeviceCsvColumn(header);
    if (!column) {
      problems.push({ ...at, message: `unknown column "${header}"; the accepted columns are: ${deviceCsvColumns.map((c) => c.name).join(', ')}` });
      return;
    }
    const earlier = cells.get(column.field);
    if (earlier) {
      problems.push({ ...at, message: `column "${header}" repeats column ${earlier.columnNumber} ("${earlier.header}")` });
      return;
    }
    cells.set(column.field, { header, columnNumber, column });
  });
  for (const column of deviceCsvColumns) {
    if (column.required && !cells.has(column.field)) {
      problems.push({ line, column: column.name, columnNumber: null, message: `the required column "${column.name}" is missing` });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, header: { line, cells } };
}
