import { describe, expect, it } from 'vitest';
import { RefusalTally } from '../../../src/domain/refusals/RefusalTally.ts';
import type { RefusedRequestsCounted } from '../../../src/domain/refusals/RefusalTally.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(t0 + ms);
const policy = { windowSeconds: 60, individualLimit: 20, topCount: 3, trackedNames: 50 };

describe('RefusalTally', () => {
  it('lets 20 refusals a window be recorded one by one and counts the rest into one count per window, all 10,000 of a 10-minute flood', () => {
    const tally = new RefusalTally('registration', policy);
    let individual = 0;
    const counted: RefusedRequestsCounted[] = [];
    for (let i = 0; i < 10_000; i++) {
      // 10,000 refusals spread evenly over 10 minutes, each for a made-up name, from 4 addresses.
      const { individually, ended } = tally.refuse({ endpoint: `made-up-${i}`, address: `192.0.2.${i % 4}`, reason: 'unknown-endpoint' }, at(i * 60));
      if (individually) individual++;
      if (ended) counted.push(ended);
    }
    const last = tally.end(at(600_000), true);
    if (last) counted.push(last);
    expect(individual + counted.length).toBeLessThanOrEqual(10 * (20 + 1));
    expect(individual + counted.reduce((sum, each) => sum + each.count, 0)).toBe(10_000);
    expect(counted.map((each) => each.from)).toEqual(Array.from({ length: 10 }, (_, minute) => at(minute * 60_000).toISOString()));
    const [first] = counted;
    expect(first).toMatchObject({ interface: 'registration', until: at(60_000).toISOString(), count: 980, reasons: [{ name: 'unknown-endpoint', count: 980 }] });
    expect(first?.sources).toEqual([
      { name: '192.0.2.0', count: 245 },
      { name: '192.0.2.1', count: 245 },
      { name: '192.0.2.2', count: 245 },
    ]);
    expect(first?.otherSources).toBe(245);
    expect(first?.endpoints.map(({ count }) => count)).toEqual([1, 1, 1]);
    expect(first?.otherEndpoints).toBe(977);
  });

  it('counts refusals its caller let through but did not record, and records nothing for a window without counts', () => {
    const tally = new RefusalTally('bootstrap', { ...policy, individualLimit: 1 });
    expect(tally.refuse({ endpoint: 'a', address: '192.0.2.1', reason: 'unknown-endpoint' }, at(0))).toEqual({ individually: true, ended: null });
    expect(tally.pendingUntil).toBeNull();
    expect(tally.end(at(60_000))).toBeNull();
    expect(tally.count({ endpoint: 'a', address: '192.0.2.1', reason: 'unknown-endpoint' }, at(61_000))).toBeNull();
    expect(tally.pendingUntil).toEqual(at(121_000));
    expect(tally.end(at(120_999))).toBeNull();
    expect(tally.end(at(121_000))).toMatchObject({ interface: 'bootstrap', count: 1, from: at(61_000).toISOString(), until: at(121_000).toISOString(), endpoints: [{ name: 'a', count: 1 }] });
  });

  it('names at most trackedNames addresses and names a window, the rest counted among the others', () => {
    const tally = new RefusalTally('registration', { ...policy, individualLimit: 0, trackedNames: 2 });
    for (const address of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.1']) tally.refuse({ endpoint: 'x', address, reason: 'unknown-endpoint' }, at(0));
    expect(tally.end(at(1), true)).toMatchObject({
      count: 4,
      sources: [
        { name: '192.0.2.1', count: 2 },
        { name: '192.0.2.2', count: 1 },
      ],
      otherSources: 1,
      endpoints: [{ name: 'x', count: 4 }],
      otherEndpoints: 0,
    });
  });
});
