import { describe, expect, it } from 'vitest';
import { terminalText } from '../../src/cli/TerminalText.ts';

describe('terminalText', () => {
  it('escapes C0 and C1 controls, DEL and bidirectional controls, one \\u escape each', () => {
    expect(terminalText('a\u001b[31mb\u0007c\td\ne\u007ff\u009bg\u202eh\u2066i')).toBe(
      'a\\u001b[31mb\\u0007c\\u0009d\\u000ae\\u007ff\\u009bg\\u202eh\\u2066i',
    );
  });

  it('leaves printable text alone, whatever its script', () => {
    expect(terminalText('Température 😀 line 3, column 2 (endpoint id): "x"')).toBe('Température 😀 line 3, column 2 (endpoint id): "x"');
  });
});
