import { describe, expect, it } from 'vitest';
import { parseObjectLinks, sameObjectLinks } from '../../../src/domain/registration/ObjectLinks.ts';
import type { RegisteredObjects } from '../../../src/domain/registration/ObjectLinks.ts';

describe('parseObjectLinks', () => {
  it('reads objects, instances, versions and the content formats of the root link', () => {
    expect(parseObjectLinks('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.1,</3/0>,</3303/0>')).toEqual({
      ok: true,
      objects: {
        rootPath: '/',
        contentFormats: [11543],
        objects: [
          { objectId: 1, instanceId: 0, version: null },
          { objectId: 3, instanceId: null, version: '1.1' },
          { objectId: 3, instanceId: 0, version: null },
          { objectId: 3303, instanceId: 0, version: null },
        ],
        ignoredLinks: 0,
      },
    });
  });

  it('follows an alternate root path and a quoted list of content formats', () => {
    const parsed = parseObjectLinks('</lwm2m>;rt="oma.lwm2m";ct="60 110 112 11542 11543",</lwm2m/1/0>,</lwm2m/3/0>,</other/3/0>');
    expect(parsed.ok && parsed.objects.rootPath).toBe('/lwm2m');
    expect(parsed.ok && parsed.objects.contentFormats).toEqual([60, 110, 112, 11542, 11543]);
    expect(parsed.ok && parsed.objects.objects.map((o) => `${o.objectId}/${String(o.instanceId)}`)).toEqual(['1/0', '3/0']);
    expect(parsed.ok && parsed.objects.ignoredLinks).toBe(1);
  });

  it('uses "/" without a root link, and ignores links that are not object or instance paths', () => {
    const parsed = parseObjectLinks('</1/0>,</3/0/1>,</65535/0>,</sensors/temp>');
    expect(parsed.ok && parsed.objects).toEqual({ rootPath: '/', contentFormats: [], objects: [{ objectId: 1, instanceId: 0, version: null }], ignoredLinks: 3 });
  });

  it('refuses bad link format, a bad ver and a bad ct', () => {
    expect(parseObjectLinks('</1/0').ok).toBe(false);
    expect(parseObjectLinks('</3>;ver=one').ok).toBe(false);
    expect(parseObjectLinks('</>;rt="oma.lwm2m";ct=json').ok).toBe(false);
  });
});

describe('sameObjectLinks', () => {
  const parsed = (text: string): RegisteredObjects => {
    const result = parseObjectLinks(text);
    if (!result.ok) throw new Error(result.reason);
    return result.objects;
  };
  const announcement = '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.1,</3/0>,</3303/0>';

  it('holds for two parses of one announcement', () => {
    expect(sameObjectLinks(parsed(announcement), parsed(announcement))).toBe(true);
  });

  it('tells apart announcements that differ in an instance, a version, a content format, the root or the links ignored', () => {
    const one = parsed(announcement);
    for (const other of [
      '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.1,</3/0>,</3303/1>',
      '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.2,</3/0>,</3303/0>',
      '</>;rt="oma.lwm2m";ct=11542,</1/0>,</3>;ver=1.1,</3/0>,</3303/0>',
      '</lwm2m>;rt="oma.lwm2m";ct=11543,</lwm2m/1/0>,</lwm2m/3>;ver=1.1,</lwm2m/3/0>,</lwm2m/3303/0>',
      '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.1,</3/0>,</3303/0>,</sensors/temp>',
      '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.1,</3/0>',
    ]) {
      expect(sameObjectLinks(one, parsed(other)), other).toBe(false);
    }
  });
});
