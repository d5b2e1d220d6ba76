import { describe, expect, it } from 'vitest';
import { ParsedObjectLinks } from '../../../src/app/registration/ParsedObjectLinks.ts';
import { parseObjectLinks } from '../../../src/domain/registration/ObjectLinks.ts';

const announcement = '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303/0>';

describe('ParsedObjectLinks', () => {
  it('parses as parseObjectLinks does, errors included', () => {
    const links = new ParsedObjectLinks();
    expect(links.parse(announcement)).toEqual(parseObjectLinks(announcement));
    expect(links.parse('</1/0')).toEqual(parseObjectLinks('</1/0'));
  });

  it('hands out the objects kept for a text, so that devices announcing the same text share them', () => {
    const links = new ParsedObjectLinks();
    const first = links.parse(announcement);
    if (!first.ok) throw new Error(first.reason);
    const beforeKept = links.parse(announcement);
    expect(beforeKept.ok && beforeKept.objects).not.toBe(first.objects);
    links.keep(announcement, first.objects);
    const second = links.parse(announcement);
    expect(second.ok && second.objects).toBe(first.objects);
  });

  it('keeps no text longer than its bound, and a bounded number of texts, the first ones', () => {
    const links = new ParsedObjectLinks();
    const long = `</>;rt="oma.lwm2m",${Array.from({ length: 600 }, (_, index) => `</3303/${index}>`).join(',')}`;
    const parsedLong = links.parse(long);
    if (!parsedLong.ok) throw new Error(parsedLong.reason);
    links.keep(long, parsedLong.objects);
    const again = links.parse(long);
    expect(again.ok && again.objects).not.toBe(parsedLong.objects);
    const texts = Array.from({ length: 1_001 }, (_, index) => `</3303/${index}>`);
    const kept = texts.map((text) => {
      const parsed = links.parse(text);
      if (!parsed.ok) throw new Error(parsed.reason);
      links.keep(text, parsed.objects);
      return parsed.objects;
    });
    const firstAgain = links.parse(texts[0] ?? '');
    const lastAgain = links.parse(texts[1_000] ?? '');
    expect(firstAgain.ok && firstAgain.objects).toBe(kept[0]);
    expect(lastAgain.ok && lastAgain.objects).not.toBe(kept[1_000]);
  });
});
