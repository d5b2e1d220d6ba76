import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { linkParam, parseLinkFormat, serializeLinkFormat } from '../../../src/domain/lwm2m/LinkFormat.ts';
import type { CoreLink } from '../../../src/domain/lwm2m/LinkFormat.ts';

describe('parseLinkFormat', () => {
  it('parses an LwM2M registration payload with a root link, ct and ver', () => {
    const parsed = parseLinkFormat('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1,</3303/0>');
    expect(parsed).toEqual({
      ok: true,
      links: [
        { target: '/', params: [{ name: 'rt', value: 'oma.lwm2m' }, { name: 'ct', value: '11543' }] },
        { target: '/1/0', params: [] },
        { target: '/3/0', params: [{ name: 'ver', value: '1.1' }] },
        { target: '/3303/0', params: [] },
      ],
    });
  });

  it('unescapes quoted values, keeps valueless parameters and tolerates line breaks between links', () => {
    const parsed = parseLinkFormat('</3/0/1>;obs;title="a \\"quoted\\" \\\\ one",\n  </3/0/2>;pmin=10 ; pmax=60');
    expect(parsed.ok && parsed.links).toEqual([
      { target: '/3/0/1', params: [{ name: 'obs', value: null }, { name: 'title', value: 'a "quoted" \\ one' }] },
      { target: '/3/0/2', params: [{ name: 'pmin', value: '10' }, { name: 'pmax', value: '60' }] },
    ]);
    expect(parsed.ok && linkParam(parsed.links[1] as CoreLink, 'PMAX')).toBe('60');
  });

  it('accepts an empty payload as no links', () => {
    expect(parseLinkFormat('')).toEqual({ ok: true, links: [] });
  });

  it.each([
    ['</1/0', 'no closing', 0],
    ['1/0', 'expected "<"', 0],
    ['</1/0>;', 'parameter name', 7],
    ['</1/0>;ver=', 'no value', 11],
    ['</1/0>;t="open', 'not closed', 9],
    ['</1/0>,', 'followed by a link', 7],
    ['</1/0> </2/0>', 'expected ","', 7],
    ['</1 0>', 'not allowed', 3],
  ])('reports %s with a reason and position', (text, reason, offset) => {
    const parsed = parseLinkFormat(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.reason).toContain(reason);
      expect(parsed.error.offset).toBe(offset);
    }
  });

  it('bounds the number of links', () => {
    const parsed = parseLinkFormat('</1>,</2>,</3>', { maxLinks: 2, maxParamsPerLink: 4 });
    expect(parsed.ok).toBe(false);
  });

  // Generous timeout: generating the inputs is slow on a loaded machine; parsing them is linear.
  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: fc.constantFrom('<', '>', ';', ',', '=', '"', '\\', '/', '1', 'a', ' ', '\n', 'é') }), (text) => {
        const parsed = parseLinkFormat(text);
        if (!parsed.ok) expect(parsed.error.offset).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 1_000 },
    );
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (text) => void parseLinkFormat(text)));
  }, 30_000);

  it('parses what it serializes', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9.\-_]{0,8}$/);
    const link = fc.record({
      target: fc.stringMatching(/^\/[a-z0-9/._\-]{0,20}$/),
      params: fc.array(fc.record({ name, value: fc.option(fc.string({ maxLength: 12 }), { nil: null }) }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(link, { maxLength: 6 }), (links) => {
        expect(parseLinkFormat(serializeLinkFormat(links))).toEqual({ ok: true, links });
      }),
    );
  });

  it('serializes Discover answers with quoted values only where needed', () => {
    expect(
      serializeLinkFormat([
        { target: '/3', params: [{ name: 'ver', value: '1.1' }] },
        { target: '/3/0/1', params: [{ name: 'dim', value: '2' }, { name: 'title', value: 'two words' }] },
      ]),
    ).toBe('</3>;ver=1.1,</3/0/1>;dim=2;title="two words"');
  });
});
