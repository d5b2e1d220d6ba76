import { describe, expect, it } from 'vitest';
import { firstSentence } from '../../../scripts/generate-object-models.ts';

// The shipped catalog keeps only the first sentence of each description, to stay small.
describe('firstSentence', () => {
  it('keeps the first sentence of a description, on one line', () => {
    expect(firstSentence('Reboots the device.  Then it\nregisters again.')).toBe('Reboots the device.');
    expect(firstSentence('Version 1.0 of the\n  firmware! Done')).toBe('Version 1.0 of the firmware!');
    expect(firstSentence('No full stop')).toBe('No full stop');
    expect(firstSentence('')).toBe('');
  });

  it('cuts a long sentence to 120 characters with an ellipsis', () => {
    const cut = firstSentence(`${'word '.repeat(60)}end.`);
    expect(cut).toHaveLength(120);
    expect(cut.endsWith('…')).toBe(true);
  });
});
