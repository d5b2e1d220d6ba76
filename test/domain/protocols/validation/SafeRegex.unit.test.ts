import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_INPUT_LENGTH, MAX_PATTERN_LENGTH, compileSafeRegex, matchesWhole } from '../../../../src/domain/protocols/validation/SafeRegex.ts';

function regex(pattern: string): RegExp {
  const compiled = compileSafeRegex(pattern);
  if (!compiled.ok) throw new Error(`expected ${pattern} to compile: ${compiled.reason}`);
  return compiled.regex;
}

function refusal(pattern: string): string {
  const compiled = compileSafeRegex(pattern);
  if (compiled.ok) throw new Error(`expected ${pattern} to be refused`);
  return compiled.reason;
}

describe('SafeRegex', () => {
  it('matches the whole value: the guide\'s ".*dd" means "ends with dd"', () => {
    const endsWithDd = regex('.*dd');
    expect(matchesWhole(endsWithDd, 'xxdd')).toEqual({ ok: true, matches: true });
    expect(matchesWhole(endsWithDd, 'xxddx')).toEqual({ ok: true, matches: false });
    expect(matchesWhole(regex('a|b'), 'ab')).toEqual({ ok: true, matches: false });
    expect(matchesWhole(regex('a|b'), 'b')).toEqual({ ok: true, matches: true });
  });

  it.each([
    '^[0-9]{4}$',
    '[A-Z][a-z]+/[A-Z][a-z_]+',
    '(?:on|off)',
    '(ab)+',
    '(foo|bar)?x',
    '(a|b){3}',
    '(a?){2,5}',
    '\\d{1,3}(\\.\\d{1,3}){3}',
    '\\p{L}+',
    '[(+*)]+',
    '\\(a+\\)+',
    '\\u{1F600}+',
    '(?<year>\\d{4})-(?=\\d)\\d\\d',
    '\\s*\\d+\\s*',
  ])('accepts %s', (pattern) => {
    expect(compileSafeRegex(pattern).ok).toBe(true);
  });

  it.each([
    ['(a+)+', /nested quantifiers/],
    ['(a*)*b', /nested quantifiers/],
    ['((ab)+c)*', /nested quantifiers/],
    ['(a{2,})+', /nested quantifiers/],
    ['(a?){2,}', /nested quantifiers/],
    ['(a+){3}', /nested quantifiers/],
    ['(a{1,8}){2}', /nested quantifiers/],
    ['(a|a)*', /alternation/],
    ['(foo|bar)+', /alternation/],
    ['((a|b)c){3,}', /alternation/],
    ['(a)\\1', /backreferences/],
    ['(?<x>a)\\k<x>', /backreferences/],
    ['.*.*.*.*x', /^the pattern has 4 costly quantifiers \(\*, \+, \{n,\} or \{n,m\} with m >= 8\); at most 3 are allowed$/],
    ['a{1,8}b{1,8}c{1,8}d{1,8}', /^the pattern has 4 costly quantifiers \(\*, \+, \{n,\} or \{n,m\} with m >= 8\); at most 3 are allowed$/],
    ['(a', /not a valid regular expression/],
    ['a)|(b', /not a valid regular expression/],
    ['\\q', /not a valid regular expression/],
  ])('refuses %s', (pattern, reason) => {
    expect(refusal(pattern)).toMatch(reason);
  });

  it('refuses patterns longer than the limit', () => {
    expect(refusal('a'.repeat(MAX_PATTERN_LENGTH + 1))).toBe(`the pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
    expect(compileSafeRegex('a'.repeat(MAX_PATTERN_LENGTH)).ok).toBe(true);
  });

  it('does not test values longer than the input limit', () => {
    expect(matchesWhole(regex('a*'), 'a'.repeat(MAX_INPUT_LENGTH))).toEqual({ ok: true, matches: true });
    expect(matchesWhole(regex('a*'), 'a'.repeat(MAX_INPUT_LENGTH + 1))).toEqual({
      ok: false,
      reason: `the value is longer than ${MAX_INPUT_LENGTH} characters, the limit for pattern rules`,
    });
  });

  it('runs the worst accepted pattern on the longest accepted input quickly', () => {
    const worst = regex('.*.*.*x');
    const started = performance.now();
    expect(matchesWhole(worst, 'a'.repeat(MAX_INPUT_LENGTH))).toEqual({ ok: true, matches: false });
    // About 10 ms on the reference machine; the bound leaves room for a loaded CI host.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('accepts no pattern that backtracks exponentially (random patterns, adversarial inputs)', () => {
    // Patterns built from atoms, quantifiers, groups and alternations; the inputs are runs of the
    // atoms' letters ending in a character nothing matches, which makes a backtracking engine try
    // every split. 48 characters: an exponential pattern (2^48 splits) would never finish, while the
    // polynomial ones that the vetting lets through take well under a millisecond.
    const atom = fc.constantFrom('a', 'b', '.', '\\w', '[ab]', 'a?');
    const quantifier = fc.constantFrom('', '*', '+', '?', '{2}', '{1,8}', '{2,}');
    const pattern: fc.Arbitrary<string> = fc.letrec<{ pattern: string }>((tie) => ({
      pattern: fc.oneof(
        { depthSize: 'small' },
        fc.tuple(atom, quantifier).map(([a, q]) => a + q),
        fc.tuple(fc.array(tie('pattern'), { maxLength: 3 }), quantifier).map(([parts, q]) => `(${parts.join('')})${q}`),
        fc.tuple(tie('pattern'), tie('pattern'), quantifier).map(([x, y, q]) => `(${x}|${y})${q}`),
        fc.array(tie('pattern'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
      ),
    })).pattern;
    let accepted = 0;
    fc.assert(
      fc.property(pattern, fc.constantFrom('a', 'ab', 'b'), (candidate, unit) => {
        const compiled = compileSafeRegex(candidate);
        if (!compiled.ok) return;
        accepted += 1;
        const started = performance.now();
        matchesWhole(compiled.regex, `${unit.repeat(48).slice(0, 48)}!`);
        expect(performance.now() - started).toBeLessThan(250);
      }),
      { numRuns: 1500 },
    );
    // The generator must reach accepted patterns often enough for the property to mean something.
    expect(accepted).toBeGreaterThan(300);
  });
});
