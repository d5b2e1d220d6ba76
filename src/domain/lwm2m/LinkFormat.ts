/**
 * The CoRE Link Format, RFC 6690 section 2: `<target>;param=value;param="quoted",<target>...`.
 * LwM2M uses it for the object links of Register and Update (Core 1.1 section 6.2.1) and for the
 * answer to Discover (section 6.3.1). Parsing untrusted text never throws: a typed error says what is
 * wrong and at which character.
 *
 * Leniency: whitespace around `,` and `;` is skipped (RFC 6690 has none, but clients send line
 * breaks between links); everything else follows the grammar.
 */

export interface LinkParam {
  /** As written; RFC 6690 parameter names are compared case-insensitively. */
  readonly name: string;
  /** null for a parameter without a value (`;obs`); quoted values unescaped. */
  readonly value: string | null;
}

export interface CoreLink {
  readonly target: string;
  readonly params: readonly LinkParam[];
}

export interface LinkFormatError {
  readonly reason: string;
  /** Index of the character (UTF-16 code unit) where the problem is. */
  readonly offset: number;
}

export type LinkFormatResult = { readonly ok: true; readonly links: CoreLink[] } | { readonly ok: false; readonly error: LinkFormatError };

export interface LinkFormatLimits {
  readonly maxLinks: number;
  readonly maxParamsPerLink: number;
}

const defaultLimits: LinkFormatLimits = { maxLinks: 10_000, maxParamsPerLink: 64 };

/** RFC 5987 attr-char, the characters of a parmname (RFC 6690 section 2). */
const parmnameChar = /[A-Za-z0-9!#$&+\-.^_`|~]/;
/** RFC 6690 section 2: ptokenchar. */
const ptokenChar = /[!#$%&'()*+\-./0-9:<=>?@A-Za-z[\]^_`{|}~]/;

export function parseLinkFormat(text: string, limits: LinkFormatLimits = defaultLimits): LinkFormatResult {
  const links: CoreLink[] = [];
  let i = 0;
  const fail = (reason: string, offset = i): LinkFormatResult => ({ ok: false, error: { reason, offset } });
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
  };
  skipSpace();
  if (i === text.length) return { ok: true, links };
  for (;;) {
    if (links.length >= limits.maxLinks) return fail(`more than ${limits.maxLinks} links`);
    if (text.charAt(i) !== '<') return fail(`expected "<" to start a link, found ${describe(text, i)}`);
    const close = text.indexOf('>', i + 1);
    if (close < 0) return fail('link target has no closing ">"');
    const target = text.slice(i + 1, close);
    const bad = /[\s<"\\^`{|}\x00-\x1f\x7f]/.exec(target);
    if (bad) return fail(`character ${JSON.stringify(bad[0])} is not allowed in a link target`, i + 1 + bad.index);
    i = close + 1;
    const params: LinkParam[] = [];
    skipSpace();
    while (text.charAt(i) === ';') {
      i++;
      skipSpace();
      if (params.length >= limits.maxParamsPerLink) return fail(`more than ${limits.maxParamsPerLink} parameters on one link`);
      const nameStart = i;
      while (i < text.length && parmnameChar.test(text.charAt(i))) i++;
      if (i === nameStart) return fail(`expected a parameter name, found ${describe(text, i)}`);
      const name = text.slice(nameStart, i);
      let value: string | null = null;
      if (text.charAt(i) === '=') {
        i++;
        if (text.charAt(i) === '"') {
          const quoted = readQuoted(text, i);
          if (!quoted.ok) return fail(quoted.reason, quoted.offset);
          value = quoted.value;
          i = quoted.next;
        } else {
          const valueStart = i;
          while (i < text.length && ptokenChar.test(text.charAt(i))) i++;
          if (i === valueStart) return fail(`parameter "${name}" has "=" but no value`);
          value = text.slice(valueStart, i);
        }
      }
      params.push({ name, value });
      skipSpace();
    }
    links.push({ target, params });
    if (i === text.length) return { ok: true, links };
    if (text.charAt(i) !== ',') return fail(`expected "," or ";" after a link, found ${describe(text, i)}`);
    i++;
    skipSpace();
    if (i === text.length) return fail('a "," must be followed by a link');
  }
}

type Quoted = { ok: true; value: string; next: number } | { ok: false; reason: string; offset: number };

/** RFC 7230 quoted-string as RFC 6690 uses it: `\` escapes the next character. */
function readQuoted(text: string, start: number): Quoted {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '"') return { ok: true, value, next: i + 1 };
    if (c === '\\') {
      if (i + 1 >= text.length) break;
      value += text.charAt(++i);
    } else {
      value += c;
    }
  }
  return { ok: false, reason: 'quoted value is not closed', offset: start };
}

function describe(text: string, i: number): string {
  return i >= text.length ? 'the end' : JSON.stringify(text.charAt(i));
}

/** The value of the first parameter with this name (case-insensitive); undefined when absent. */
export function linkParam(link: CoreLink, name: string): string | null | undefined {
  const lower = name.toLowerCase();
  return link.params.find((param) => param.name.toLowerCase() === lower)?.value;
}

/** Writes links as RFC 6690 text; values that are not a ptoken are quoted. */
export function serializeLinkFormat(links: readonly CoreLink[]): string {
  return links
    .map((link) => {
      let text = `<${link.target}>`;
      for (const param of link.params) {
        text += `;${param.name}`;
        if (param.value !== null) text += `=${formatValue(param.value)}`;
      }
      return text;
    })
    .join(',');
}

function formatValue(value: string): string {
  if (value.length > 0 && [...value].every((c) => ptokenChar.test(c))) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
