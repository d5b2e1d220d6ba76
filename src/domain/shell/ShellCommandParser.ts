/**
 * Parses device shell input into typed `ShellCommand`s. Pure; never throws: a grammar error comes
 * back as a `ShellSyntaxError` naming the line, the column (both 1-based), what was expected there
 * and the command's full form.
 *
 * The grammar (one command per line; tokens separated by spaces or tabs):
 *   read /O[/I[/R[/RI]]]              observe /O[/I[/R]] [ATTRS]   discover /O[/I[/R]]
 *   cancelobservation PATH...         cancelobserve PATH...        delete /O/I[/R]
 *   execute /O/I/R [ARGS]             ARGS as LwM2M Core 1.1 section 5.4.5: 0='abc',1
 *   create /O [JSON]                  writep /O/I JSON             JSON: {"RES": VALUE, ...}
 *   write /O/I/R[/RI] VALUE           VALUE: "quoted" (escapes \" and \\) or the bare rest of the line
 *   writeattr /O[/I[/R]] ATTRS        ATTRS: [?]ATTR[&ATTR...]; pmin, pmax, epmin, epmax, gt|greater,
 *                                     lt|less, st|step, and the 1.2 edge, con, hqmax (NotificationAttributes.ts),
 *                                     cancel (not in observe: its attributes are its own)
 *   fwupdate /NAME/VERSION/URL        the first segment is the name, the second the version and
 *   fwupdate NAME;VERSION;URL         everything after the second separator the URL (it keeps its own
 *                                     slashes or semicolons)
 *   cread PATH...  cobserve PATH...   space-separated paths; "/" (the root) names every object
 *   cwrite PATH=VALUE...              e.g. `cwrite /3/0/14=+02 /1/0/1=60`; VALUE quoted or bare (no space)
 * Options come between the command name and its arguments (a write's value runs to the end of the
 * line): `--format F` on read, observe, write, writep, create, cread, cobserve and cwrite, the
 * serialization to use (F a short name, e.g. senml-cbor, or a content format id, e.g. 112); `--depth N`
 * (0 to 3) on discover. Several paths of cancelobservation or cancelobserve name an Observe-Composite
 * by the set it was established with.
 *
 * Decisions where the guide is silent:
 * - Command names are case-insensitive (`READ /3` is `read /3`): operators type them by hand and the
 *   name is never ambiguous. Attribute names of writeattr are case-sensitive, as in the protocol's
 *   query string (Core 1.1 section 5.1.2).
 * - cancelobservation and cancelobserve accept every path observe accepts, so that any observation
 *   can be cancelled; writeattr accepts object and instance paths too (pmin/pmax/epmin/epmax and
 *   con/hqmax are defined there), but gt/lt/st and edge only on a resource (Core 1.2 section 5.1.2).
 *   The parser accepts the 1.2 attributes for any device: the operation refuses them, with the
 *   reason, for a device registered below 1.2.
 * - In a script (`parseShellScript`), blank lines and lines whose first non-blank character is `#`
 *   are skipped; there are no trailing comments (values and URLs may contain `#`).
 */
import type { CompositePath, LwM2mPath } from '../lwm2m/LwM2mPath.ts';
import { MAX_ID, ROOT_PATH, formatPath } from '../lwm2m/LwM2mPath.ts';
import { CONTENT_FORMAT_SHORT_NAMES, contentFormatByName } from '../lwm2m/content/ContentFormat.ts';
import { isResourceOnlyAttribute } from '../lwm2m/NotificationAttributes.ts';
import type { NotificationAttributes } from '../lwm2m/NotificationAttributes.ts';
import type {
  ExecuteArgument,
  PathAssignment,
  ShellCommand,
  ShellCommandKind,
  ShellResourceEntry,
  ShellScalar,
} from './ShellCommand.ts';
import type { JsonMember } from './ShellJsonReader.ts';
import { readJson } from './ShellJsonReader.ts';

export interface ShellSyntaxError {
  /** 1-based line of the input. */
  readonly line: number;
  /** 1-based column (character) in that line. */
  readonly column: number;
  /** What the parser expected at that column, e.g. "a path /O/I/R". */
  readonly expected: string;
  /** The command's full form, or the list of commands when the name itself is wrong. */
  readonly usage: string;
  /** Both, for a person: "line 1, column 9: expected ... (usage: ...)". */
  readonly message: string;
}

export type ShellParseResult =
  | { readonly ok: true; readonly command: ShellCommand }
  | { readonly ok: false; readonly error: ShellSyntaxError };

export interface ShellScriptCommand {
  readonly line: number;
  readonly text: string;
  readonly command: ShellCommand;
}

export type ShellScriptParseResult =
  | { readonly ok: true; readonly commands: readonly ShellScriptCommand[] }
  | { readonly ok: false; readonly errors: readonly ShellSyntaxError[] };

/** What `--format` accepts, for the usage texts. */
const FORMAT_CHOICES = `F one of ${Object.keys(CONTENT_FORMAT_SHORT_NAMES).join(', ')} or a content format id`;
const OBSERVE_ATTRIBUTES =
  'ATTR pmin=SEC, pmax=SEC, epmin=SEC, epmax=SEC, gt=NUM (greater), lt=NUM (less), st=NUM (step), or for LwM2M 1.2 edge=0|1, con=0|1 or hqmax=COUNT';
/** The attribute names, for the messages of what was expected. */
const ATTRIBUTE_CHOICES = 'pmin, pmax, epmin, epmax, gt (greater), lt (less), st (step), edge, con, hqmax';
const CANCEL_PATHS = 'PATH /O[/I[/R]]; several paths, or /, cancel an Observe-Composite';

export const SHELL_COMMAND_USAGE: Readonly<Record<ShellCommandKind, string>> = {
  read: `read [--format F] /O[/I[/R[/RI]]] with ${FORMAT_CHOICES}`,
  observe: `observe [--format F] /O[/I[/R]] [ATTR[&ATTR...]] with ${OBSERVE_ATTRIBUTES}, ${FORMAT_CHOICES}`,
  cancelobservation: `cancelobservation PATH [PATH...] (passive: the next notification is answered with a Reset) with ${CANCEL_PATHS}`,
  cancelobserve: `cancelobserve PATH [PATH...] (a request with Observe 1) with ${CANCEL_PATHS}`,
  execute: "execute /O/I/R [ARG[,ARG...]] with ARG a digit, optionally ='TEXT' (e.g. 0='abc',1)",
  delete: 'delete /O/I[/R]',
  discover: 'discover [--depth 0..3] /O[/I[/R]]',
  create: `create [--format F] /O [{"RESOURCE": VALUE, ...}] with ${FORMAT_CHOICES}`,
  writeattr:
    'writeattr /O[/I[/R]] ATTR[&ATTR...] with ATTR pmin=SEC, pmax=SEC, epmin=SEC, epmax=SEC, ' +
    'gt=NUM (greater), lt=NUM (less), st=NUM (step) or cancel',
  fwupdate: 'fwupdate /NAME/VERSION/URL or fwupdate NAME;VERSION;URL',
  write: `write [--format F] /O/I/R[/RI] VALUE (VALUE "quoted" or bare) with ${FORMAT_CHOICES}`,
  writep: `writep [--format F] /O/I {"RESOURCE": VALUE, ...} with ${FORMAT_CHOICES}`,
  cread: `cread [--format F] PATH [PATH...] with PATH / or /O[/I[/R[/RI]]], ${FORMAT_CHOICES}`,
  cobserve: `cobserve [--format F] PATH [PATH...] with PATH / or /O[/I[/R]], ${FORMAT_CHOICES}`,
  cwrite: `cwrite [--format F] /O/I/R=VALUE [/O/I/R=VALUE...] (VALUE "quoted" or bare) with ${FORMAT_CHOICES}`,
};

/** The commands that take `--format`. */
const FORMAT_COMMANDS: ReadonlySet<ShellCommandKind> = new Set(['read', 'observe', 'write', 'writep', 'create', 'cread', 'cobserve', 'cwrite']);

interface ShellOptions {
  format?: number;
  depth?: number;
}

const COMMAND_NAME = `a command: ${Object.keys(SHELL_COMMAND_USAGE).join(', ')}`;
const SCRIPT_USAGE = 'COMMAND [ARGUMENTS], one command per line (see SHELL_COMMAND_USAGE)';

/** Parses one command line. `lineNumber` only labels errors. */
export function parseShellCommand(text: string, lineNumber = 1): ShellParseResult {
  const parser = new ShellLineParser(text);
  try {
    return { ok: true, command: parser.command() };
  } catch (failure) {
    if (failure instanceof ParseFailure) return { ok: false, error: syntaxError(lineNumber, failure) };
    throw failure;
  }
}

/** Parses a script: one command per line, in order; every line's error is reported. */
export function parseShellScript(text: string): ShellScriptParseResult {
  const commands: ShellScriptCommand[] = [];
  const errors: ShellSyntaxError[] = [];
  text.split(/\r?\n/).forEach((lineText, index) => {
    const trimmed = lineText.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const result = parseShellCommand(lineText, index + 1);
    if (result.ok) commands.push({ line: index + 1, text: trimmed, command: result.command });
    else errors.push(result.error);
  });
  if (errors.length > 0) return { ok: false, errors };
  if (commands.length === 0) {
    return {
      ok: false,
      errors: [syntaxError(1, new ParseFailure(1, 'a command (the input has only blank lines and comments)', SCRIPT_USAGE))],
    };
  }
  return { ok: true, commands };
}

function syntaxError(line: number, failure: ParseFailure): ShellSyntaxError {
  return {
    line,
    column: failure.column,
    expected: failure.expected,
    usage: failure.usage,
    message: `line ${line}, column ${failure.column}: expected ${failure.expected} (usage: ${failure.usage})`,
  };
}

/** Unwinds the parser to `parseShellCommand`, which turns it into a result; never escapes. */
class ParseFailure extends Error {
  readonly column: number;
  readonly expected: string;
  readonly usage: string;
  constructor(column: number, expected: string, usage: string) {
    super(`column ${column}: expected ${expected}`);
    this.column = column;
    this.expected = expected;
    this.usage = usage;
  }
}

const LEVEL_NAMES = ['O', 'I', 'R', 'RI'] as const;

/** "/O/I[/R]" for 2..3 levels. */
function pathForm(minLevels: number, maxLevels: number): string {
  let form = LEVEL_NAMES.slice(0, minLevels)
    .map((name) => `/${name}`)
    .join('');
  const optional = LEVEL_NAMES.slice(minLevels, maxLevels);
  form += optional.map((name) => `[/${name}`).join('') + ']'.repeat(optional.length);
  return form;
}

function isBlank(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

const DIGITS = /[0-9]*/y;
const ATTRIBUTE_NAME = /[A-Za-z]*/y;
/** Numbers of gt/lt/st: decimal, no exponent, no leading zeros, no '+'. */
const STRICT_DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
const STRICT_SECONDS = /^(?:0|[1-9][0-9]{0,9})$/;
const UINT32_MAX = 4294967295;
/** Package URI schemes of the Firmware Update object (/5/0/8, LwM2M Core 1.1 Appendix E.6). */
const FIRMWARE_URL = /^(coap|coaps|http|https|coap\+tcp|coaps\+tcp):\/\/[^\s]+$/i;
/** Execute argument values, LwM2M Core 1.1 section 5.4.5: CHAR = %x21 / %x23-26 / %x28-5B / %x5D-7E. */
const EXECUTE_VALUE_CHAR = /^[\x21\x23-\x26\x28-\x5B\x5D-\x7E]$/;

type AttributeKey = keyof NotificationAttributes;

const ATTRIBUTE_ALIASES: Readonly<Record<string, AttributeKey | 'cancel'>> = {
  pmin: 'pmin',
  pmax: 'pmax',
  epmin: 'epmin',
  epmax: 'epmax',
  gt: 'gt',
  greater: 'gt',
  lt: 'lt',
  less: 'lt',
  st: 'st',
  step: 'st',
  edge: 'edge',
  con: 'con',
  hqmax: 'hqmax',
  cancel: 'cancel',
};

class ShellLineParser {
  readonly text: string;
  offset = 0;
  usage = SCRIPT_USAGE;

  constructor(text: string) {
    this.text = text;
  }

  command(): ShellCommand {
    this.skipBlanks();
    const nameOffset = this.offset;
    while (/^[A-Za-z]$/.test(this.text[this.offset] ?? '')) this.offset += 1;
    const name = this.text.slice(nameOffset, this.offset).toLowerCase();
    if (!Object.hasOwn(SHELL_COMMAND_USAGE, name) || !this.atBlankOrEnd()) {
      this.offset = nameOffset;
      this.fail(COMMAND_NAME);
    }
    const kind = name as ShellCommandKind;
    this.usage = SHELL_COMMAND_USAGE[kind];
    const command = this.arguments(kind);
    this.skipBlanks();
    if (this.offset < this.text.length) this.fail('the end of the line');
    return command;
  }

  private arguments(kind: ShellCommandKind): ShellCommand {
    const options = this.options(kind);
    const formatted = options.format === undefined ? {} : { format: options.format };
    switch (kind) {
      case 'read':
        return { kind, path: this.separatedPath(1, 4), ...formatted };
      case 'observe': {
        const path = this.separatedPath(1, 3);
        if (!this.hasMoreArguments()) return { kind, path, ...formatted };
        return { kind, path, attributes: this.attributeList(path, false).attributes, ...formatted };
      }
      case 'discover':
        return { kind, path: this.separatedPath(1, 3), ...(options.depth === undefined ? {} : { depth: options.depth }) };
      case 'cancelobservation':
      case 'cancelobserve':
        return { kind, paths: this.compositePathList(1, 3) };
      case 'delete':
        return { kind, path: this.separatedPath(2, 3) };
      case 'execute':
        return { kind, path: this.separatedPath(3, 3), arguments: this.executeArguments() };
      case 'create': {
        const path = this.separatedPath(1, 1);
        return { kind, path, resources: this.hasMoreArguments() ? this.resourceValues(false) : [], ...formatted };
      }
      case 'writep': {
        const path = this.separatedPath(2, 2);
        this.requireSeparator('a JSON object of resource values');
        return { kind, path, resources: this.resourceValues(true), ...formatted };
      }
      case 'write': {
        const path = this.separatedPath(3, 4);
        this.requireSeparator('a value');
        return { kind, path, value: this.lineValue(), ...formatted };
      }
      case 'writeattr':
        return this.writeAttributes();
      case 'fwupdate':
        return this.firmwareUpdate();
      case 'cread':
        return { kind, paths: this.compositePathList(1, 4), ...formatted };
      case 'cobserve':
        return { kind, paths: this.compositePathList(1, 3), ...formatted };
      case 'cwrite':
        return { kind, assignments: this.assignments(), ...formatted };
    }
  }

  // --- options -----------------------------------------------------------------------------------

  /** `--format F` and `--depth N` between the command name and its arguments, each once, where the command takes it. */
  private options(kind: ShellCommandKind): ShellOptions {
    const options: ShellOptions = {};
    for (;;) {
      const before = this.offset;
      this.skipBlanks();
      if (this.offset === before || !this.text.startsWith('--', this.offset)) {
        this.offset = before;
        return options;
      }
      const nameOffset = this.offset;
      const name = this.word();
      const key = name === '--format' && FORMAT_COMMANDS.has(kind) ? 'format' : name === '--depth' && kind === 'discover' ? 'depth' : undefined;
      if (key === undefined || options[key] !== undefined) {
        this.offset = nameOffset;
        this.fail(`the arguments of ${kind}${key === undefined ? ' (or an option it takes, see its usage)' : ` (${name} is given once)`}`);
      }
      this.requireSeparator(key === 'format' ? `a content format: ${FORMAT_CHOICES}` : 'a depth from 0 to 3');
      const valueOffset = this.offset;
      const value = this.word();
      if (key === 'format') {
        const format = contentFormatByName(value);
        if (format === undefined) {
          this.offset = valueOffset;
          this.fail(`a content format: ${FORMAT_CHOICES}`);
        }
        options.format = format;
      } else {
        if (!/^[0-3]$/.test(value)) {
          this.offset = valueOffset;
          this.fail('a depth from 0 to 3');
        }
        options.depth = Number(value);
      }
    }
  }

  /** The characters up to the next blank or the end of the line. */
  private word(): string {
    const start = this.offset;
    while (this.offset < this.text.length && !isBlank(this.text[this.offset])) this.offset += 1;
    return this.text.slice(start, this.offset);
  }

  // --- paths -------------------------------------------------------------------------------------

  private separatedPath(minLevels: number, maxLevels: number): LwM2mPath {
    this.requireSeparator(`a path ${pathForm(minLevels, maxLevels)}`);
    return this.path(minLevels, maxLevels, isBlank);
  }

  /** A path ending at a blank, the end of the line, or a character `ends` accepts. */
  private path(minLevels: number, maxLevels: number, ends: (char: string | undefined) => boolean): LwM2mPath {
    const form = pathForm(minLevels, maxLevels);
    if (this.text[this.offset] !== '/') this.fail(`a path ${form}`);
    const ids: number[] = [];
    for (;;) {
      this.offset += 1;
      DIGITS.lastIndex = this.offset;
      const digits = DIGITS.exec(this.text)?.[0] ?? '';
      if (!/^(?:0|[1-9][0-9]{0,4})$/.test(digits) || Number(digits) > MAX_ID) {
        this.fail(`an id from 0 to ${MAX_ID} without leading zeros (path ${form})`);
      }
      ids.push(Number(digits));
      this.offset += digits.length;
      const next = this.text[this.offset];
      if (next === '/') {
        if (ids.length === maxLevels) this.fail(`the end of the path: ${form} has at most ${maxLevels} level(s)`);
        continue;
      }
      if (next !== undefined && !ends(next)) this.fail(`'/' or the end of the path ${form}`);
      if (ids.length < minLevels) this.fail(`'/' and the next level: the path is ${form}`);
      const [objectId, instanceId, resourceId, resourceInstanceId] = ids;
      return {
        objectId: objectId ?? 0,
        ...(instanceId === undefined ? {} : { instanceId }),
        ...(resourceId === undefined ? {} : { resourceId }),
        ...(resourceInstanceId === undefined ? {} : { resourceInstanceId }),
      };
    }
  }

  /** Paths of a composite operation: each an LwM2M path or the root "/" alone. */
  private compositePathList(minLevels: number, maxLevels: number): CompositePath[] {
    this.requireSeparator(`a path / or ${pathForm(minLevels, maxLevels)}`);
    const paths = [this.compositePath(minLevels, maxLevels)];
    while (this.hasMoreArguments()) paths.push(this.compositePath(minLevels, maxLevels));
    return paths;
  }

  private compositePath(minLevels: number, maxLevels: number): CompositePath {
    const next = this.text[this.offset + 1];
    if (this.text[this.offset] === '/' && (next === undefined || isBlank(next))) {
      this.offset += 1;
      return ROOT_PATH;
    }
    return this.path(minLevels, maxLevels, isBlank);
  }

  // --- values ------------------------------------------------------------------------------------

  /** The value of `write`: a quoted string, or the rest of the line without its trailing blanks. */
  private lineValue(): string {
    if (this.text[this.offset] === '"') return this.quotedValue();
    const value = this.text.slice(this.offset).trimEnd();
    this.offset += value.length;
    return value;
  }

  private quotedValue(): string {
    const start = this.offset;
    this.offset += 1;
    let value = '';
    for (;;) {
      const char = this.text[this.offset];
      if (char === undefined) {
        this.offset = start;
        this.fail('a closing \'"\' for the value that starts here');
      }
      if (char === '"') {
        this.offset += 1;
        return value;
      }
      if (char === '\\') {
        const escaped = this.text[this.offset + 1];
        if (escaped !== '"' && escaped !== '\\') this.fail('an escape \\" or \\\\ inside a quoted value');
        value += escaped;
        this.offset += 2;
        continue;
      }
      value += char;
      this.offset += 1;
    }
  }

  private assignments(): PathAssignment[] {
    const assignments: PathAssignment[] = [];
    const seen = new Set<string>();
    this.requireSeparator('a PATH=VALUE');
    do {
      const pathOffset = this.offset;
      const path = this.path(3, 4, (char) => char === '=');
      const key = formatPath(path);
      if (seen.has(key)) {
        this.offset = pathOffset;
        this.fail(`a path not assigned before on this line (${key} is)`);
      }
      seen.add(key);
      if (this.text[this.offset] !== '=') this.fail("'=' and the value");
      this.offset += 1;
      assignments.push({ path, value: this.wordValue() });
      if (!this.atBlankOrEnd()) this.fail('a blank between assignments');
    } while (this.hasMoreArguments());
    return assignments;
  }

  /** A quoted value, or a bare one up to the next blank (not empty: use "" for the empty string). */
  private wordValue(): string {
    if (this.text[this.offset] === '"') return this.quotedValue();
    const start = this.offset;
    while (this.offset < this.text.length && !isBlank(this.text[this.offset])) this.offset += 1;
    if (this.offset === start) this.fail('a value (write "" for an empty string)');
    return this.text.slice(start, this.offset);
  }

  // --- execute -----------------------------------------------------------------------------------

  /** LwM2M Core 1.1 section 5.4.5: arglist = argument *( "," argument ); argument = digit [ "=" "'" *CHAR "'" ]. */
  private executeArguments(): ExecuteArgument[] {
    if (!this.hasMoreArguments()) return [];
    const args: ExecuteArgument[] = [];
    for (;;) {
      const digit = this.text[this.offset];
      if (digit === undefined || !/^[0-9]$/.test(digit)) this.fail('an argument digit 0-9');
      this.offset += 1;
      let value: string | null = null;
      if (this.text[this.offset] === '=') {
        this.offset += 1;
        if (this.text[this.offset] !== "'") this.fail("a value in single quotes after '='");
        this.offset += 1;
        const start = this.offset;
        while (EXECUTE_VALUE_CHAR.test(this.text[this.offset] ?? '')) this.offset += 1;
        if (this.text[this.offset] !== "'") {
          this.fail("the closing \"'\" (argument values are printable ASCII without space, '\"', \"'\" or '\\')");
        }
        value = this.text.slice(start, this.offset);
        this.offset += 1;
      }
      args.push({ digit: Number(digit), value });
      if (this.text[this.offset] !== ',') break;
      this.offset += 1;
    }
    if (!this.atBlankOrEnd()) this.fail("',' and the next argument, or the end of the arguments");
    return args;
  }

  // --- JSON --------------------------------------------------------------------------------------

  /** `{"RESOURCE": SCALAR | {"INSTANCE": SCALAR, ...}, ...}` with ids as member names. */
  private resourceValues(requireOne: boolean): ShellResourceEntry[] {
    const start = this.offset;
    if (this.text[start] !== '{') this.fail('a JSON object of resource values {"RESOURCE": VALUE, ...}');
    const result = readJson(this.text, start);
    if (!result.ok) {
      this.offset = result.offset;
      this.fail(`valid JSON: ${result.expected}`);
    }
    const members = result.value.kind === 'object' ? result.value.members : [];
    if (requireOne && members.length === 0) this.fail('at least one resource value in the JSON object');
    const entries = members.map((member): ShellResourceEntry => {
      const resourceId = this.jsonId(member, 'resource');
      if (member.value.kind !== 'object') return { resourceId, value: this.jsonScalar(member) };
      const instances = member.value.members.map((instance) => ({
        resourceInstanceId: this.jsonId(instance, 'resource instance'),
        value: this.jsonScalar(instance),
      }));
      return { resourceId, value: instances };
    });
    this.offset = result.end;
    return entries;
  }

  private jsonId(member: JsonMember, level: string): number {
    if (!/^(?:0|[1-9][0-9]{0,4})$/.test(member.name) || Number(member.name) > MAX_ID) {
      this.offset = member.nameOffset;
      this.fail(`a ${level} id from 0 to ${MAX_ID} as the member name`);
    }
    return Number(member.name);
  }

  private jsonScalar(member: JsonMember): ShellScalar {
    const node = member.value;
    if (node.kind === 'scalar' && node.value !== null) return node.value;
    this.offset = node.offset;
    this.fail(`a string, number or boolean as the value of "${member.name}" (or, for a multiple resource, {"INSTANCE": VALUE})`);
  }

  // --- writeattr ---------------------------------------------------------------------------------

  private writeAttributes(): ShellCommand {
    const path = this.separatedPath(1, 3);
    this.requireSeparator('notification attributes, e.g. pmin=10&pmax=60');
    const { attributes, cancel } = this.attributeList(path, true);
    return { kind: 'writeattr', path, attributes, cancel };
  }

  /** `[?]ATTR[&ATTR...]` for `path`; `cancel` only where `cancelAllowed` (Write-Attributes). */
  private attributeList(path: LwM2mPath, cancelAllowed: boolean): { attributes: NotificationAttributes; cancel: boolean } {
    if (this.text[this.offset] === '?') this.offset += 1;
    const attributes: { -readonly [K in AttributeKey]?: number } = {};
    const offsets: Partial<Record<AttributeKey | 'cancel', number>> = {};
    let cancel = false;
    for (;;) {
      const nameOffset = this.offset;
      ATTRIBUTE_NAME.lastIndex = nameOffset;
      const name = ATTRIBUTE_NAME.exec(this.text)?.[0] ?? '';
      const alias = Object.hasOwn(ATTRIBUTE_ALIASES, name) ? ATTRIBUTE_ALIASES[name] : undefined;
      const key = alias === 'cancel' && !cancelAllowed ? undefined : alias;
      if (key === undefined) {
        this.fail(`an attribute ${ATTRIBUTE_CHOICES}${cancelAllowed ? ' or cancel' : ''}`);
      }
      if (offsets[key] !== undefined) this.fail(`an attribute not given before (${key} is)`);
      offsets[key] = nameOffset;
      this.offset += name.length;
      if (key === 'cancel') {
        cancel = true;
      } else {
        if (isResourceOnlyAttribute(key) && path.resourceId === undefined) {
          this.offset = nameOffset;
          this.fail(`an attribute for an object or instance path: ${key} applies to a resource only (Core 1.2 section 5.1.2)`);
        }
        if (this.text[this.offset] !== '=') this.fail(`'=' and the value of ${key}`);
        this.offset += 1;
        attributes[key] = this.attributeValue(key);
      }
      if (this.text[this.offset] !== '&') break;
      this.offset += 1;
    }
    if (!this.atBlankOrEnd()) this.fail("'&' and the next attribute, or the end of the attributes");
    this.checkAttributes(attributes, offsets, cancel);
    return { attributes, cancel };
  }

  private attributeValue(key: AttributeKey): number {
    const start = this.offset;
    while (this.offset < this.text.length && this.text[this.offset] !== '&' && !isBlank(this.text[this.offset])) {
      this.offset += 1;
    }
    const text = this.text.slice(start, this.offset);
    const seconds = key === 'pmin' || key === 'pmax' || key === 'epmin' || key === 'epmax';
    const flag = key === 'edge' || key === 'con';
    const whole = seconds || key === 'hqmax';
    const valid = flag ? text === '0' || text === '1' : whole ? STRICT_SECONDS.test(text) && Number(text) <= UINT32_MAX : STRICT_DECIMAL.test(text);
    if (!valid || (key === 'st' && text.startsWith('-'))) {
      this.offset = start;
      if (flag) this.fail(`the value of ${key}: 0 or 1`);
      if (seconds) this.fail(`the value of ${key}: whole seconds from 0 to ${UINT32_MAX}`);
      if (whole) this.fail(`the value of ${key}: a whole number from 0 to ${UINT32_MAX}`);
      this.fail(`the value of ${key}: a decimal number like 10, -2.5${key === 'st' ? ' (not negative)' : ''}`);
    }
    return Number(text);
  }

  /** The constraints between attributes, LwM2M Core 1.1 section 5.1.2. */
  private checkAttributes(
    attributes: NotificationAttributes,
    offsets: Partial<Record<AttributeKey | 'cancel', number>>,
    cancel: boolean,
  ): void {
    const failAt = (key: AttributeKey | 'cancel', expected: string): never => {
      this.offset = offsets[key] ?? this.offset;
      return this.fail(expected);
    };
    if (cancel && Object.keys(attributes).length > 0) {
      failAt('cancel', 'cancel alone: it removes every attribute, so values beside it contradict it');
    }
    const { pmin, pmax, epmin, epmax, gt, lt } = attributes;
    if (pmin !== undefined && pmax !== undefined && pmin > pmax) failAt('pmax', `a pmax of at least pmin (${pmin})`);
    if (epmin !== undefined && epmax !== undefined && epmin > epmax) {
      failAt('epmax', `an epmax of at least epmin (${epmin})`);
    }
    if (gt !== undefined && lt !== undefined) {
      const st = attributes.st ?? 0;
      if (!(gt > lt + 2 * st)) {
        // Point at whichever of the two came second: that is the one that broke the rule.
        if ((offsets.gt ?? 0) > (offsets.lt ?? 0)) failAt('gt', `a gt above lt + 2 * st (${lt} + 2 * ${st})`);
        failAt('lt', `an lt below gt - 2 * st (${gt} - 2 * ${st})`);
      }
    }
  }

  // --- fwupdate ----------------------------------------------------------------------------------

  private firmwareUpdate(): ShellCommand {
    this.requireSeparator('/NAME/VERSION/URL or NAME;VERSION;URL');
    const start = this.offset;
    while (this.offset < this.text.length && !isBlank(this.text[this.offset])) this.offset += 1;
    const argument = this.text.slice(start, this.offset);
    const slashForm = argument.startsWith('/');
    const separator = slashForm ? '/' : ';';
    const body = slashForm ? argument.slice(1) : argument;
    const bodyStart = slashForm ? start + 1 : start;
    const first = body.indexOf(separator);
    const second = first === -1 ? -1 : body.indexOf(separator, first + 1);
    const name = first === -1 ? body : body.slice(0, first);
    const failAt = (offset: number, expected: string): never => {
      this.offset = offset;
      return this.fail(expected);
    };
    if (name === '') failAt(bodyStart, 'a firmware name');
    if (first === -1) failAt(bodyStart + body.length, `'${separator}' and the firmware version`);
    const version = second === -1 ? body.slice(first + 1) : body.slice(first + 1, second);
    if (version === '') failAt(bodyStart + first + 1, 'a firmware version');
    if (second === -1) failAt(bodyStart + body.length, `'${separator}' and the firmware URL`);
    const url = body.slice(second + 1);
    if (!FIRMWARE_URL.test(url) || !URL.canParse(url)) {
      failAt(bodyStart + second + 1, 'an absolute firmware URL with scheme coap, coaps, http, https, coap+tcp or coaps+tcp');
    }
    return { kind: 'fwupdate', name, version, url };
  }

  // --- scanning ----------------------------------------------------------------------------------

  private skipBlanks(): void {
    while (isBlank(this.text[this.offset])) this.offset += 1;
  }

  private atBlankOrEnd(): boolean {
    return this.offset >= this.text.length || isBlank(this.text[this.offset]);
  }

  /** Skips blanks; true when something other than the end of the line follows. */
  private hasMoreArguments(): boolean {
    const before = this.offset;
    this.skipBlanks();
    if (this.offset < this.text.length && this.offset > before) return true;
    this.offset = before;
    return false;
  }

  /** At least one blank, then something. */
  private requireSeparator(expected: string): void {
    if (!isBlank(this.text[this.offset])) this.fail(expected);
    this.skipBlanks();
    if (this.offset >= this.text.length) this.fail(expected);
  }

  private fail(expected: string): never {
    throw new ParseFailure(this.offset + 1, expected, this.usage);
  }
}
