/** One thing wrong with a registration CSV, located so that the operator can fix it in the file. */
export interface DeviceCsvProblem {
  /** 1-based line of the file where the row (or the header) starts. */
  readonly line: number;
  /** The column's header as written in the file (or the guide's name when the file lacks it); null: the whole row. */
  readonly column: string | null;
  /** 1-based position of the column in the header; null: the whole row, or a column the file lacks. */
  readonly columnNumber: number | null;
  readonly message: string;
}

/** Orders problems as they appear in the file: by line, then by column. */
export function compareProblems(a: DeviceCsvProblem, b: DeviceCsvProblem): number {
  return a.line - b.line || (a.columnNumber ?? 0) - (b.columnNumber ?? 0);
}
