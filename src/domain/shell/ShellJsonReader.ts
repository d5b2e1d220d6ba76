/**
 * A strict JSON reader (RFC 8259) for the JSON arguments of shell commands (`create /O JSON`,
 * `writep /O/I JSON`). `JSON.parse` would do the parsing, but its error messages are engine-specific
 * and do not always carry a position, and its objects reorder integer-like member names; an operator
 * needs "column 17: expected ':'", and the shell needs members in the order written, each with its
 * offset. It never throws: malformed or hostile text (deep nesting included) yields an error with the
 * offset of the problem.
 */

/** A parsed JSON value with the offset where it starts; object members keep their order. */
export type JsonNode =
  | { readonly kind: 'object'; readonly offset: number; readonly members: readonly JsonMember[] }
  | { readonly kind: 'array'; readonly offset: number; readonly items: readonly JsonNode[] }
  | { readonly kind: 'scalar'; readonly offset: number; readonly value: string | number | boolean | null };

export interface JsonMember {
  readonly name: string;
  readonly nameOffset: number;
  readonly value: JsonNode;
}

export type JsonReadResult =
  | { readonly ok: true; readonly value: JsonNode; readonly end: number }
  | { readonly ok: false; readonly offset: number; readonly expected: string };

/** Nesting deeper than this is refused: shell JSON is flat (resource -> value, or -> instances). */
export const MAX_JSON_DEPTH = 16;

/** Unwinds the recursive descent to `readJson`, which turns it into a result; never escapes. */
class JsonReadFailure extends Error {
  readonly offset: number;
  readonly expected: string;
  constructor(offset: number, expected: string) {
    super(`expected ${expected} at offset ${offset}`);
    this.offset = offset;
    this.expected = expected;
  }
}

/** Reads one JSON value starting at `start` (leading whitespace skipped); `end` is just after it. */
export function readJson(text: string, start: number): JsonReadResult {
  const reader = new JsonTextReader(text, start);
  try {
    const value = reader.value(0);
    return { ok: true, value, end: reader.offset };
  } catch (failure) {
    // Only JsonReadFailure is thrown inside the reader; it never leaves this function.
    if (failure instanceof JsonReadFailure) return { ok: false, offset: failure.offset, expected: failure.expected };
    throw failure;
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class JsonTextReader {
  readonly text: string;
  offset: number;

  constructor(text: string, offset: number) {
    this.text = text;
    this.offset = offset;
  }

  value(depth: number): JsonNode {
    this.skipWhitespace();
    const offset = this.offset;
    switch (this.text[offset] ?? '') {
      case '{':
        return { kind: 'object', offset, members: this.object(depth + 1) };
      case '[':
        return { kind: 'array', offset, items: this.array(depth + 1) };
      case '"':
        return { kind: 'scalar', offset, value: this.string() };
      case 't':
        return { kind: 'scalar', offset, value: this.literal('true', true) };
      case 'f':
        return { kind: 'scalar', offset, value: this.literal('false', false) };
      case 'n':
        return { kind: 'scalar', offset, value: this.literal('null', null) };
      default:
        return { kind: 'scalar', offset, value: this.number() };
    }
  }

  private object(depth: number): JsonMember[] {
    if (depth > MAX_JSON_DEPTH) throw new JsonReadFailure(this.offset, `at most ${MAX_JSON_DEPTH} levels of nesting`);
    this.offset += 1;
    const members: JsonMember[] = [];
    this.skipWhitespace();
    if (this.text[this.offset] === '}') {
      this.offset += 1;
      return members;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.offset] !== '"') throw new JsonReadFailure(this.offset, 'a member name in double quotes');
      const nameOffset = this.offset;
      const name = this.string();
      if (members.some((member) => member.name === name)) {
        throw new JsonReadFailure(nameOffset, `a member name other than "${name}" (no duplicates)`);
      }
      this.skipWhitespace();
      this.expect(':');
      members.push({ name, nameOffset, value: this.value(depth) });
      this.skipWhitespace();
      if (this.text[this.offset] === ',') {
        this.offset += 1;
        continue;
      }
      this.expect('}', "',' or '}'");
      return members;
    }
  }

  private array(depth: number): JsonNode[] {
    if (depth > MAX_JSON_DEPTH) throw new JsonReadFailure(this.offset, `at most ${MAX_JSON_DEPTH} levels of nesting`);
    this.offset += 1;
    const items: JsonNode[] = [];
    this.skipWhitespace();
    if (this.text[this.offset] === ']') {
      this.offset += 1;
      return items;
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipWhitespace();
      if (this.text[this.offset] === ',') {
        this.offset += 1;
        continue;
      }
      this.expect(']', "',' or ']'");
      return items;
    }
  }

  private string(): string {
    this.offset += 1;
    let result = '';
    for (;;) {
      const char = this.text[this.offset];
      if (char === undefined) throw new JsonReadFailure(this.offset, 'a closing \'"\'');
      if (char === '"') {
        this.offset += 1;
        return result;
      }
      if (char < ' ') throw new JsonReadFailure(this.offset, 'no control character inside a string (escape it)');
      if (char !== '\\') {
        result += char;
        this.offset += 1;
        continue;
      }
      const escape = this.text[this.offset + 1];
      if (escape === 'u') {
        const hex = this.text.slice(this.offset + 2, this.offset + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonReadFailure(this.offset, 'four hex digits after \\u');
        result += String.fromCharCode(parseInt(hex, 16));
        this.offset += 6;
        continue;
      }
      const replacement = escape === undefined ? undefined : ESCAPES[escape];
      if (replacement === undefined) throw new JsonReadFailure(this.offset, 'an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX');
      result += replacement;
      this.offset += 2;
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.offset;
    const match = NUMBER.exec(this.text);
    if (match === null) throw new JsonReadFailure(this.offset, 'a JSON value (object, array, string, number, true, false or null)');
    this.offset += match[0].length;
    return Number(match[0]);
  }

  private literal<T extends boolean | null>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.offset)) throw new JsonReadFailure(this.offset, `"${word}"`);
    this.offset += word.length;
    return value;
  }

  private expect(char: string, expected = `'${char}'`): void {
    if (this.text[this.offset] !== char) throw new JsonReadFailure(this.offset, expected);
    this.offset += 1;
  }

  private skipWhitespace(): void {
    while (/^[ \t\n\r]$/.test(this.text[this.offset] ?? '')) this.offset += 1;
  }
}
