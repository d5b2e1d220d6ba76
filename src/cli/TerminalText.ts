/**
 * Text from an operator's file (a CSV header, a cell quoted in a problem) printed on a terminal. A
 * control character in it would act on the terminal instead of being shown: an ECMA-48 escape
 * sequence recolours, moves the cursor, rewrites what was printed or sets the window title, and a line
 * break or tab inside a cell breaks the report's one-problem-per-line layout. Unicode bidirectional
 * controls reorder what is shown (Unicode Standard Annex #9). Each is shown as a `\u` escape instead.
 */

/** C0 controls, DEL, C1 controls, and the bidirectional marks, embeddings, overrides and isolates. */
function isUnprintable(codePoint: number): boolean {
  return (
    codePoint < 0x20 ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    codePoint === 0x061c ||
    codePoint === 0x200e ||
    codePoint === 0x200f ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069)
  );
}

export function terminalText(text: string): string {
  let shown = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    shown += isUnprintable(codePoint) ? `\\u${codePoint.toString(16).padStart(4, '0')}` : char;
  }
  return shown;
}
