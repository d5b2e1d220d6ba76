import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../src/domain/Json.ts';
import type { JsonNode } from '../../../src/domain/shell/ShellJsonReader.ts';
import { MAX_JSON_DEPTH, readJson } from '../../../src/domain/shell/ShellJsonReader.ts';

/** The plain value of a node, to compare with JSON.parse. */
function plain(node: JsonNode): JsonValue {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'array':
      return node.items.map(plain);
    case 'object': {
      const result: { [key: string]: JsonValue } = {};
      for (const member of node.members) Object.defineProperty(result, member.name, { value: plain(member.value), enumerable: true });
      return result;
    }
  }
}

function failure(text: string): { offset: number; expected: string } {
  const result = readJson(text, 0);
  if (result.ok) throw new Error(`expected ${text} to fail`);
  return { offset: result.offset, expected: result.expected };
}

describe('ShellJsonReader', () => {
  it('reads values with their offsets and object members in the order written', () => {
    const result = readJson('x {"10": 1, "2": [true, null], "a\\u00e9\\n": "\\"q\\""} tail', 1);
    expect(result).toEqual({
      ok: true,
      end: 52,
      value: {
        kind: 'object',
        offset: 2,
        members: [
          { name: '10', nameOffset: 3, value: { kind: 'scalar', offset: 9, value: 1 } },
          {
            name: '2',
            nameOffset: 12,
            value: {
              kind: 'array',
              offset: 17,
              items: [
                { kind: 'scalar', offset: 18, value: true },
                { kind: 'scalar', offset: 24, value: null },
              ],
            },
          },
          { name: 'aé\n', nameOffset: 31, value: { kind: 'scalar', offset: 44, value: '"q"' } },
        ],
      },
    });
  });

  it.each([
    ['', 0, 'a JSON value (object, array, string, number, true, false or null)'],
    ['{', 1, 'a member name in double quotes'],
    ['{"a" 1}', 5, "':'"],
    ['{"a": 1,}', 8, 'a member name in double quotes'],
    ['[1 2]', 3, "',' or ']'"],
    ['"abc', 4, 'a closing \'"\''],
    ['"a\tb"', 2, 'no control character inside a string (escape it)'],
    ['"\\x"', 1, 'an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX'],
    ['"\\u12g4"', 1, 'four hex digits after \\u'],
    ['01', 1, "end"],
    ['-', 0, 'a JSON value (object, array, string, number, true, false or null)'],
    ['nul', 0, '"null"'],
    ['{"a": 1, "a": 2}', 9, 'a member name other than "a" (no duplicates)'],
  ])('refuses %j at offset %i', (text, offset, expected) => {
    if (expected === 'end') {
      // "01": a number ends after "0"; what follows is for the caller to judge.
      expect(readJson(text, 0)).toMatchObject({ ok: true, end: offset });
      return;
    }
    expect(failure(text)).toEqual({ offset, expected });
  });

  it('refuses nesting deeper than the limit', () => {
    expect(readJson(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`, 0).ok).toBe(true);
    expect(failure(`${'['.repeat(MAX_JSON_DEPTH + 1)}`)).toEqual({ offset: MAX_JSON_DEPTH, expected: `at most ${MAX_JSON_DEPTH} levels of nesting` });
  });

  it('reads back whatever JSON.stringify writes, as JSON.parse would', () => {
    fc.assert(
      fc.property(fc.json({ depthSize: 'small', maxDepth: MAX_JSON_DEPTH - 1 }), (text) => {
        const result = readJson(text, 0);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.end).toBe(text.length);
        expect(plain(result.value)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('never throws on arbitrary text, and fails where JSON.parse fails', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const result = readJson(text, 0);
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        // RFC 8259 section 2: only space, tab, line feed and carriage return are whitespace.
        const readsWhole = result.ok && /^[ \t\n\r]*$/.test(text.slice(result.end));
        expect(readsWhole).toBe(parses);
      }),
      { numRuns: 2000 },
    );
  });
});
