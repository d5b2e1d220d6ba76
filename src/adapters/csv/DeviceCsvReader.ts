/**
 * Streams a registration CSV through csv-parse: the header row, then each record with the line where
 * it starts, in file order. Malformed CSV never throws: a ragged row or a broken quote becomes a
 * `malformed` entry with its line. Only a failure of the source itself (an I/O error) is thrown.
 *
 * Format: UTF-8 with or without a byte order mark; fields separated by commas, semicolons or tabs
 * (whichever the header row uses most: spreadsheet programs write semicolons in many locales);
 * fields may be quoted (RFC 4180 section 2); cells are trimmed; empty lines and rows of empty cells
 * are skipped. Lines may end in CR LF, LF or CR, mixed within one file (a file exported on one system
 * and edited on another). Bytes that are not UTF-8 stop the reading with their line and column: read
 * as U+FFFD they would silently change an endpoint name or a PSK identity.
 */
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError, parse } from 'csv-parse';
import type { DeviceCsvEntry } from '../../domain/devices/DeviceCsvEntry.ts';

export type { DeviceCsvEntry };

export interface DeviceCsvReaderOptions {
  /** Longest record accepted, in characters: bounds memory when a quote is never closed. */
  readonly maxRecordSize?: number;
}

const candidateDelimiters = [',', ';', '\t'] as const;
/** How much of the file may be read while looking for the end of the header row. */
const HEADER_PEEK_LIMIT = 64 * 1024;
/** The chunks a text given whole is cut into, as a file stream's (fs.createReadStream reads 64 KiB). */
const STRING_CHUNK = 64 * 1024;

export async function* readDeviceCsv(source: Readable | string, options: DeviceCsvReaderOptions = {}): AsyncGenerator<DeviceCsvEntry> {
  // An invalid byte's column is counted with the header's separator once it is known.
  const separator: { detected?: string } = {};
  const chunks = strictUtf8(toBuffers(source), (lineText) => separator.detected ?? detectDelimiter(lineText))[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  try {
    for (;;) {
      if (head.some((chunk) => chunk.includes(0x0a)) || headLength > HEADER_PEEK_LIMIT) break;
      const next = await chunks.next();
      if (next.done === true) break;
      head.push(next.value);
      headLength += next.value.length;
    }
  } catch (error) {
    if (!(error instanceof InvalidUtf8Error)) throw error;
    yield error.entry;
    return;
  }
  const delimiter = detectDelimiter(firstLine(Buffer.concat(head).toString('utf8')));
  separator.detected = delimiter;

  let header: { line: number; headers: string[] } | undefined;
  let lastRecordEnd = 0;
  const pending: DeviceCsvEntry[] = [];
  /** Where each record csv-parse has parsed and the loop below not yet taken starts, in order. */
  const recordLines: number[] = [];
  let recordLinesHead = 0;
  // Records stay arrays, read by column number: csv-parse's `columns` option defines each cell as a
  // property (Object.defineProperty), a third of the reading's CPU time, and an object of 26 cells is
  // a hash table in V8 whichever way it is built.
  const parser = parse({
    delimiter,
    bom: true,
    // Every line ending, not only the first one's: csv-parse would otherwise join the lines that end
    // differently into one row, and report its field count.
    record_delimiter: ['\r\n', '\n', '\r'],
    trim: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    skip_records_with_error: true,
    max_record_size: options.maxRecordSize ?? 1024 * 1024,
    on_record: (values: string[], context): string[] | null => {
      lastRecordEnd = toEditorLine(context.lines, values);
      const breaks = lineBreaksIn(values);
      if (header === undefined) {
        // The first record (empty ones skipped) names the columns.
        header = { line: lastRecordEnd - breaks, headers: values };
        return null;
      }
      recordLines.push(lastRecordEnd - breaks);
      return values;
    },
  });
  /**
   * csv-parse counts a CR LF inside a quoted field as two lines (but as one between records); editors
   * count one. Every such pair seen so far is subtracted, so that lines match what the operator sees.
   */
  let crlfInFields = 0;
  function toEditorLine(parserLine: number, values: readonly string[]): number {
    if (hasLineBreak(values)) for (const value of values) if (value.includes('\r\n')) crlfInFields += value.match(/\r\n/g)?.length ?? 0;
    return parserLine - crlfInFields;
  }
  parser.on('skip', (error: CsvError) => {
    const fields = recordFields(error);
    const line = typeof error['lines'] === 'number' ? toEditorLine(error['lines'], fields) : undefined;
    pending.push(malformed(error, line, fields, lastRecordEnd, header?.headers.length));
    if (line !== undefined) lastRecordEnd = line;
  });

  const input = Readable.from(prepend(head, chunks));
  input.on('error', (error) => parser.destroy(error));
  input.pipe(parser);

  let headerYielded = false;
  let pendingHead = 0;
  function* flush(beforeLine: number): Generator<DeviceCsvEntry> {
    if (!headerYielded && header) {
      headerYielded = true;
      yield { kind: 'header', ...header };
    }
    // An index, not shift(): a string source is one chunk, and all its problems can be pending at once.
    for (let entry = pending[pendingHead]; entry !== undefined && entry.line < beforeLine; entry = pending[pendingHead]) {
      pendingHead++;
      yield entry;
    }
    if (pendingHead === pending.length) {
      pending.length = 0;
      pendingHead = 0;
    }
  }

  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = recordLines[recordLinesHead++] ?? lastRecordEnd;
      if (recordLinesHead === recordLines.length) {
        recordLines.length = 0;
        recordLinesHead = 0;
      }
      // Most records have nothing before them to flush: no generator for those.
      if (!headerYielded || pendingHead < pending.length) yield* flush(line);
      yield { kind: 'record', line, record };
    }
  } catch (error) {
    if (error instanceof InvalidUtf8Error) {
      pending.push(error.entry);
      yield* flush(Infinity);
      return;
    }
    if (!(error instanceof CsvError)) throw error;
    const fields = recordFields(error);
    pending.push(malformed(error, typeof error['lines'] === 'number' ? toEditorLine(error['lines'], fields) : undefined, fields, lastRecordEnd, header?.headers.length));
  } finally {
    // Also reached when the consumer stops early: release the parser and the caller's source.
    input.destroy();
    parser.destroy();
    await chunks.return(undefined);
  }
  yield* flush(Infinity);
}

/** The fields csv-parse had read of a record it rejected, when it says. */
function recordFields(error: CsvError): string[] {
  return Array.isArray(error['record']) ? error['record'].filter((v): v is string => typeof v === 'string') : [];
}

/**
 * `line`: where csv-parse stopped, in editor lines; `lastRecordEnd`: the last line of the last good
 * record; `expected`: the header's field count, once read.
 */
function malformed(error: CsvError, line: number | undefined, fields: readonly string[], lastRecordEnd: number, expected: number | undefined): DeviceCsvEntry {
  const reportedLine = line ?? lastRecordEnd + 1;
  const code = error.code;
  if (code === 'CSV_RECORD_INCONSISTENT_COLUMNS' || code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    return {
      kind: 'malformed',
      line: reportedLine - lineBreaksIn(fields),
      message: `the row has ${fields.length} field${fields.length === 1 ? '' : 's'}${expected === undefined ? '' : ` but the header has ${expected}`}`,
      structural: false,
    };
  }
  if (code === 'CSV_QUOTE_NOT_CLOSED') {
    return { kind: 'malformed', line: lastRecordEnd + 1, message: 'a quoted field that starts on or after this line is never closed', structural: true };
  }
  if (code === 'CSV_INVALID_CLOSING_QUOTE' || code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE') {
    return { kind: 'malformed', line: reportedLine, message: 'a closing quote is followed by a character other than a separator', structural: true };
  }
  if (code === 'INVALID_OPENING_QUOTE') {
    return { kind: 'malformed', line: reportedLine, message: 'a quote appears inside an unquoted field (quote the whole field and double inner quotes)', structural: true };
  }
  if (code === 'CSV_MAX_RECORD_SIZE') {
    return { kind: 'malformed', line: lastRecordEnd + 1, message: 'a row is too long (an unclosed quote?)', structural: true };
  }
  return { kind: 'malformed', line: reportedLine, message: error.message, structural: true };
}

/** The separator the header row uses most, outside quotes; a comma when it uses none. */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (candidateDelimiters as readonly string[]).includes(char)) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const candidate of candidateDelimiters) {
    const count = counts.get(candidate) ?? 0;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** The first non-empty line of the text (after a byte order mark). */
function firstLine(text: string): string {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).find((line) => line.trim() !== '') ?? '';
}

/** Line breaks inside quoted fields: the record started that many lines before it ended. */
function lineBreaksIn(values: readonly string[]): number {
  if (!hasLineBreak(values)) return 0;
  let count = 0;
  for (const value of values) count += value.match(/\r\n|\r|\n/g)?.length ?? 0;
  return count;
}

/** Whether any field holds a line break (rare: only inside quotes), tested once per record. */
function hasLineBreak(values: readonly string[]): boolean {
  for (const value of values) if (value.includes('\n') || value.includes('\r')) return true;
  return false;
}

/** Where the bytes of a file stop being UTF-8, as the reader's entry for it. */
class InvalidUtf8Error extends Error {
  readonly entry: DeviceCsvEntry;

  constructor(entry: DeviceCsvEntry) {
    super(entry.kind === 'malformed' ? entry.message : 'invalid UTF-8');
    this.name = 'InvalidUtf8Error';
    this.entry = entry;
  }
}

/** Bytes of the current line kept to name the column of an invalid byte; a longer line gets no column. */
const LINE_KEPT_LIMIT = 64 * 1024;

/**
 * Passes the file's bytes on, checked by a fatal UTF-8 decoder (WHATWG Encoding Standard, "fatal"
 * error mode), which also sees a character cut between two chunks. On the first invalid bytes it
 * throws their line and column; `delimiterOf` gives the separator to count the column with.
 */
async function* strictUtf8(chunks: AsyncIterable<Buffer>, delimiterOf: (lineText: string) => string): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  /** The current line's bytes before this chunk (after its last line feed); null when too long to keep. */
  let lineStart: Buffer | null = Buffer.alloc(0);
  for await (const chunk of chunks) {
    try {
      decoder.decode(chunk, { stream: true });
    } catch {
      const text = lineStart === null ? chunk : Buffer.concat([lineStart, chunk]);
      const { error, lineBegin } = invalidUtf8(text, lineStart !== null, line, delimiterOf);
      // The whole lines before it still reach the parser, so that the header is known to name the column.
      const wholeLines = lineBegin - (text.length - chunk.length);
      if (wholeLines > 0) yield chunk.subarray(0, wholeLines);
      throw error;
    }
    const lastBreak = chunk.lastIndexOf(0x0a);
    if (lastBreak === -1) {
      lineStart = lineStart === null || lineStart.length + chunk.length > LINE_KEPT_LIMIT ? null : Buffer.concat([lineStart, chunk]);
    } else {
      for (let index = chunk.indexOf(0x0a); index !== -1; index = chunk.indexOf(0x0a, index + 1)) line++;
      lineStart = chunk.subarray(lastBreak + 1);
    }
    yield chunk;
  }
  try {
    decoder.decode();
  } catch {
    // The file ends inside a character.
    throw invalidUtf8(lineStart ?? Buffer.alloc(0), lineStart !== null, line, delimiterOf).error;
  }
}

/**
 * Locates the first invalid sequence in `text`, which begins on line `line`, at its start when
 * `fromLineStart` (else the line was too long to keep: only the line is known). The shortest prefix a
 * fatal decoder refuses ends at the refused byte. `lineBegin`: where the offending line begins in
 * `text`.
 */
function invalidUtf8(
  text: Buffer,
  fromLineStart: boolean,
  line: number,
  delimiterOf: (lineText: string) => string,
): { readonly error: InvalidUtf8Error; readonly lineBegin: number } {
  // A character cut by the end of the file: every prefix decodes, and its bytes are the last ones.
  const cut = decodes(text);
  let low = 1;
  let high = text.length;
  while (!cut && low < high) {
    const middle = (low + high) >> 1;
    if (decodes(text.subarray(0, middle))) low = middle + 1;
    else high = middle;
  }
  // The refused byte ends a sequence begun by a lead byte before it, or stands alone (a stray
  // continuation byte, a byte never used in UTF-8); a byte that cuts a sequence short is read again
  // on its own (WHATWG Encoding Standard, UTF-8 decoder), so it is not part of the invalid sequence.
  const refused = cut ? text.length : high - 1;
  let start = refused;
  for (let back = refused - 1; back >= 0 && refused - back <= 3; back--) {
    const byte = text[back] ?? 0;
    if (byte >= 0xc0) start = back;
    if (byte < 0x80 || byte >= 0xc0) break;
  }
  const end = start < refused ? refused : refused + 1;
  // (A negative offset would make lastIndexOf search from the end.)
  const lineBegin = start === 0 ? 0 : text.lastIndexOf(0x0a, start - 1) + 1;
  let lineOfBad = line;
  for (let index = text.indexOf(0x0a); index !== -1 && index < start; index = text.indexOf(0x0a, index + 1)) lineOfBad++;
  const sequence = [...text.subarray(start, end)].map((byte) => byte.toString(16).padStart(2, '0'));
  const what = sequence.length === 1 ? `byte ${sequence.join(' ')} is` : `bytes ${sequence.join(' ')} are`;
  const message = `the file is not UTF-8: ${what} not a UTF-8 character (save the file as UTF-8)`;
  if (!fromLineStart && lineBegin === 0) return { error: new InvalidUtf8Error({ kind: 'malformed', line: lineOfBad, message, structural: true }), lineBegin };
  const before = text.subarray(lineBegin, start).toString('utf8');
  const column = fieldsBefore(before, delimiterOf(before)) + 1;
  return { error: new InvalidUtf8Error({ kind: 'malformed', line: lineOfBad, column, message, structural: true }), lineBegin };
}

/** Whether a fatal decoder takes these bytes (a character cut at their end is taken: more may follow). */
function decodes(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Separators outside quotes in the start of a line: the fields it has finished. */
function fieldsBefore(lineText: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (const char of lineText) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === delimiter) count++;
  }
  return count;
}

/**
 * A text given whole (the GraphQL import's argument) is handed over in chunks as a file would be, with
 * a turn of the event loop before each: parsed in one piece, a 100,000-row file kept the process from
 * answering anything else (datagrams, queries, timers) for seconds.
 */
async function* toBuffers(source: Readable | string): AsyncGenerator<Buffer> {
  if (typeof source === 'string') {
    const bytes = Buffer.from(source, 'utf8');
    for (let start = 0; start < bytes.length; start += STRING_CHUNK) {
      if (start > 0) await nextTurn();
      yield bytes.subarray(start, start + STRING_CHUNK);
    }
    return;
  }
  for await (const chunk of source as AsyncIterable<Buffer | string>) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

async function* prepend(head: readonly Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}
