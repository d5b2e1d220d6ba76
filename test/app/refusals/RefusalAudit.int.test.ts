/** The bounded audit of refused requests on a memory event store: when each window's count is appended. */
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { RefusalAudit } from '../../../src/app/refusals/RefusalAudit.ts';
import { systemClock } from '../../../src/domain/Clock.ts';
import { ManualClock } from '../../support/ManualClock.ts';

const refusal = { endpoint: 'made-up', address: '192.0.2.1', reason: 'unknown-endpoint' };

describe('RefusalAudit', () => {
  it('appends the count of a window once the injected clock has passed its end, and the window under way at close', async () => {
    const store = new MemoryEventStore();
    const clock = new ManualClock();
    const audit = new RefusalAudit({ store, clock, logger: silentLogger(), interface: 'registration', policy: { individualLimit: 1 } });
    expect(audit.admit(refusal)).toBe(true);
    expect(audit.admit(refusal)).toBe(false);
    clock.advanceSeconds(59);
    await audit.flush();
    expect(await store.headPosition()).toBe(0);
    clock.advanceSeconds(1);
    await audit.flush();
    expect((await store.readAll()).map((event) => [event.stream, event.type, (event.data as { count: number }).count])).toEqual([['refusals-registration', 'RefusedRequestsCounted', 1]]);
    expect(audit.admit(refusal)).toBe(true);
    audit.count(refusal);
    await audit.close();
    expect((await store.readAll()).map((event) => (event.data as { count: number }).count)).toEqual([1, 1]);
  });

  it('appends a count by its timer when no refusal follows the window', async () => {
    const store = new MemoryEventStore();
    const audit = new RefusalAudit({ store, clock: systemClock, logger: silentLogger(), interface: 'bootstrap', policy: { individualLimit: 0, windowSeconds: 0.05 } });
    try {
      expect(audit.admit(refusal)).toBe(false);
      const deadline = Date.now() + 5_000;
      while ((await store.headPosition()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await store.readAll()).map((event) => event.data)).toMatchObject([{ interface: 'bootstrap', count: 1, endpoints: [{ name: 'made-up', count: 1 }] }]);
    } finally {
      await audit.close();
    }
  });
});
