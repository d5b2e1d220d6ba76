/**
 * Regex rules run operator-supplied patterns on the JavaScript backtracking engine, which has no time
 * limit: a pattern like `(a+)+$` takes exponential time on "aaaa…b". Patterns are therefore vetted
 * when a rule is defined, and the input is bounded when it is evaluated:
 *
 * - a pattern is at most MAX_PATTERN_LENGTH characters and must compile with the `u` flag on its own
 *   (so that it cannot close the anchoring group we wrap it in);
 * - no backreferences (`\1`, `\k<name>`): matching with them is not even polynomial;
 * - a quantifier "repeats without a small bound" (is costly) when it is `*`, `+`, `{n,}` or `{n,m}`
 *   with m >= COSTLY_REPEAT. No costly repetition of a group that contains a quantifier or an
 *   alternation, and no repetition at all of a group that contains a costly quantifier: `(a+)+`,
 *   `(a|a)*` and `(a+){10}` are the exponential (or high-polynomial) shapes. Small bounded nestings
 *   such as `(\.\d{1,3}){3}` stay allowed; harmless patterns like `(foo|bar)+` are refused, and the
 *   message says why;
 * - at most MAX_COSTLY_QUANTIFIERS costly quantifiers: k of them in a row cost up to n^k steps on an
 *   input of length n;
 * - the input is at most MAX_INPUT_LENGTH characters: with the limits above, the worst accepted
 *   pattern (`.*.*.*x`) then runs in about 10 ms (measured on Node 24: 588 ms at 1024 characters).
 *
 * The pattern must match the whole value: the guide's ".*dd" means "ends with dd".
 */

export const MAX_PATTERN_LENGTH = 256;
export const MAX_COSTLY_QUANTIFIERS = 3;
export const MAX_INPUT_LENGTH = 256;
/** A `{n,m}` with m at least this repeats enough to count as costly. */
const COSTLY_REPEAT = 8;

export type SafeRegexResult = { readonly ok: true; readonly regex: RegExp } | { readonly ok: false; readonly reason: string };

export function compileSafeRegex(pattern: string): SafeRegexResult {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, reason: `the pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : 'it does not compile';
    return { ok: false, reason: `the pattern is not a valid regular expression: ${detail}` };
  }
  const unsafe = findUnsafeConstruct(pattern);
  if (unsafe !== null) return { ok: false, reason: unsafe };
  return { ok: true, regex: new RegExp(`^(?:${pattern})$`, 'u') };
}

/** Matches the whole of `input`, or says why it cannot be tested. */
export function matchesWhole(regex: RegExp, input: string): { readonly ok: true; readonly matches: boolean } | { readonly ok: false; readonly reason: string } {
  if (input.length > MAX_INPUT_LENGTH) {
    return { ok: false, reason: `the value is longer than ${MAX_INPUT_LENGTH} characters, the limit for pattern rules` };
  }
  return { ok: true, matches: regex.test(input) };
}

interface GroupFrame {
  hasQuantifier: boolean;
  hasCostlyQuantifier: boolean;
  hasAlternation: boolean;
}

function newFrame(): GroupFrame {
  return { hasQuantifier: false, hasCostlyQuantifier: false, hasAlternation: false };
}

interface Quantifier {
  readonly length: number;
  /** Can repeat more than once: `*`, `+`, `{n,}`, `{n,m}` with m > 1. */
  readonly repeats: boolean;
  /** Repeats without a small bound. */
  readonly costly: boolean;
}

const BRACE_QUANTIFIER = /\{([0-9]+)(,([0-9]*))?\}/y;

/** The quantifier starting at `index` (with its lazy `?`), or null. Assumes a pattern valid under `u`. */
function quantifierAt(pattern: string, index: number): Quantifier | null {
  const char = pattern[index];
  let quantifier: Quantifier | null = null;
  if (char === '*' || char === '+') quantifier = { length: 1, repeats: true, costly: true };
  else if (char === '?') quantifier = { length: 1, repeats: false, costly: false };
  else if (char === '{') {
    BRACE_QUANTIFIER.lastIndex = index;
    const match = BRACE_QUANTIFIER.exec(pattern);
    if (match === null) return null;
    const unbounded = match[2] !== undefined && (match[3] ?? '') === '';
    const max = unbounded ? Infinity : Number(match[3] ?? match[1]);
    quantifier = { length: match[0].length, repeats: max > 1, costly: max >= COSTLY_REPEAT };
  }
  if (quantifier === null) return null;
  return pattern[index + quantifier.length] === '?' ? { ...quantifier, length: quantifier.length + 1 } : quantifier;
}

/** Scans a pattern that compiles under `u` and names the first construct the rules above refuse. */
function findUnsafeConstruct(pattern: string): string | null {
  const frames: GroupFrame[] = [newFrame()];
  let costly = 0;
  let index = 0;
  const top = (): GroupFrame => frames[frames.length - 1] ?? newFrame();
  const noteQuantifier = (quantifier: Quantifier): void => {
    top().hasQuantifier = true;
    if (quantifier.costly) {
      top().hasCostlyQuantifier = true;
      costly += 1;
    }
  };
  while (index < pattern.length) {
    const char = pattern[index];
    if (char === '\\') {
      const next = pattern[index + 1] ?? '';
      if (/^[1-9]$/.test(next) || next === 'k') return 'backreferences are not allowed in patterns (their matching time has no bound)';
      index += 2;
      // \u{…}, \p{…}, \xHH and the like: the quantifier check below skips their braces as atoms.
      if ((next === 'u' || next === 'p' || next === 'P') && pattern[index] === '{') index = pattern.indexOf('}', index) + 1;
    } else if (char === '[') {
      index += 1;
      while (index < pattern.length && pattern[index] !== ']') index += pattern[index] === '\\' ? 2 : 1;
      index += 1;
    } else if (char === '(') {
      frames.push(newFrame());
      index += 1;
      // The `?` of (?:, (?=, (?!, (?<=, (?<!, (?<name> is syntax, not a quantifier.
      if (pattern[index] === '?') index += 1;
      continue;
    } else if (char === ')') {
      const group = frames.pop() ?? newFrame();
      index += 1;
      const quantifier = quantifierAt(pattern, index);
      if (quantifier !== null) {
        if ((quantifier.costly && group.hasQuantifier) || (quantifier.repeats && group.hasCostlyQuantifier)) {
          return 'a repeated group contains a quantifier, like (a+)+: such nested quantifiers can take exponential time';
        }
        if (quantifier.costly && group.hasAlternation) {
          return 'a repeated group contains an alternation, like (a|b)+: such patterns can take exponential time';
        }
        noteQuantifier(quantifier);
        index += quantifier.length;
      }
      top().hasQuantifier ||= group.hasQuantifier;
      top().hasCostlyQuantifier ||= group.hasCostlyQuantifier;
      top().hasAlternation ||= group.hasAlternation;
      continue;
    } else if (char === '|') {
      top().hasAlternation = true;
      index += 1;
      continue;
    } else {
      index += 1;
    }
    // After an atom (escape, class or plain character): its quantifier, if any.
    const quantifier = quantifierAt(pattern, index);
    if (quantifier !== null) {
      noteQuantifier(quantifier);
      index += quantifier.length;
    }
  }
  if (costly > MAX_COSTLY_QUANTIFIERS) {
    return (
      `the pattern has ${costly} costly quantifiers (*, +, {n,} or {n,m} with m >= ${COSTLY_REPEAT}); ` +
      `at most ${MAX_COSTLY_QUANTIFIERS} are allowed`
    );
  }
  return null;
}
