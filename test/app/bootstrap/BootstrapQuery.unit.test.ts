import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBootstrapQuery } from '../../../src/app/bootstrap/BootstrapServer.ts';

describe('parseBootstrapQuery', () => {
  it('reads ep and pct, and refuses a missing ep or a bad pct', () => {
    expect(parseBootstrapQuery(['ep=dev-1', 'pct=112'])).toEqual({ endpoint: 'dev-1', preferredContentFormat: 112 });
    expect(parseBootstrapQuery(['ep=dev-1'])).toEqual({ endpoint: 'dev-1', preferredContentFormat: null });
    expect(parseBootstrapQuery(['pct=112'])).toHaveProperty('error');
    expect(parseBootstrapQuery(['ep='])).toHaveProperty('error');
    expect(parseBootstrapQuery(['ep=x', 'pct=70000'])).toHaveProperty('error');
    expect(parseBootstrapQuery(['ep=x', 'pct=01'])).toHaveProperty('error');
  });

  it('reads back any ep and pct it is given, and never throws on arbitrary arguments', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 65535 }), (endpoint, pct) => {
        expect(parseBootstrapQuery([`ep=${endpoint}`, `pct=${pct}`])).toEqual({ endpoint, preferredContentFormat: pct });
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.string()), (query) => {
        const parsed = parseBootstrapQuery(query);
        expect('error' in parsed || parsed.endpoint.length > 0).toBe(true);
      }),
    );
  });
});
