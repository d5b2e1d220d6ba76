/** The audit's per-window limit on the injected clock: the first failures on their streams, the rest counted. */
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { SecurityAuditLog } from '../../../src/app/security/SecurityAuditLog.ts';
import type { RefusedRequestsCounted } from '../../../src/domain/refusals/RefusalTally.ts';
import type { SecurityAuditEvent } from '../../../src/domain/security/SecurityAuditEvents.ts';
import { securityStream } from '../../../src/domain/security/SecurityAuditEvents.ts';

function failure(port: number, address = '192.0.2.1'): SecurityAuditEvent {
  return {
    type: 'DtlsHandshakeFailed',
    data: { server: 'lwm2m', address, port, pskIdentity: `made-up-${port}`, credential: null, endpoint: null, reason: 'unknown PSK identity', failedAt: '2026-01-01T00:00:00.000Z' },
  };
}

describe('SecurityAuditLog', () => {
  it('records the first failures of a window on their stream and counts the others on refusals-security', async () => {
    const store = new MemoryEventStore();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const audit = new SecurityAuditLog({ store, clock: { now: () => new Date(now) }, logger: silentLogger(), policy: { individualLimit: 3, windowSeconds: 60 } });
    const stream = securityStream(null, '192.0.2.1');
    const outcomes: boolean[] = [];
    for (let port = 1; port <= 5; port++) outcomes.push(await audit.record(stream, failure(port), 'system:test'));
    expect(outcomes).toEqual([true, true, true, false, false]);

    now += 60_000; // the next window
    for (let port = 6; port <= 9; port++) outcomes.push(await audit.record(stream, failure(port), 'system:test'));
    await audit.close();
    expect(outcomes.slice(5)).toEqual([true, true, true, false]);
    const read = await store.readStream(stream);
    expect(read.status === 'found' ? read.events.map((event) => (event.data as { port: number }).port) : []).toEqual([1, 2, 3, 6, 7, 8]);
    const counts = await store.readStream('refusals-security');
    const counted = counts.status === 'found' ? counts.events.map((event) => event.data as unknown as RefusedRequestsCounted) : [];
    expect(counted.map(({ count, reasons, endpoints }) => ({ count, reasons, endpoints }))).toEqual([
      { count: 2, reasons: [{ name: 'DtlsHandshakeFailed: unknown PSK identity', count: 2 }], endpoints: [{ name: 'made-up-4', count: 1 }, { name: 'made-up-5', count: 1 }] },
      { count: 1, reasons: [{ name: 'DtlsHandshakeFailed: unknown PSK identity', count: 1 }], endpoints: [{ name: 'made-up-9', count: 1 }] },
    ]);
    expect(audit.unrecorded).toBe(3);
  });

  it('keeps a flood of 10,000 failed handshakes over 10 minutes to a bounded number of events that count all of them', async () => {
    const store = new MemoryEventStore();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const audit = new SecurityAuditLog({ store, clock: { now: () => new Date(now) }, logger: silentLogger() });
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const address = `198.51.100.${attempt % 250}`;
      await audit.record(securityStream(null, address), failure(attempt, address), 'system:test');
      now += 60; // 10,000 in 600 seconds
    }
    await audit.close();

    const events = await store.readAll({ after: 0, maxCount: 100_000 });
    const individual = events.filter((event) => event.stream.startsWith('security-'));
    const counts = events.filter((event) => event.type === 'RefusedRequestsCounted');
    // Ten windows of a minute: at most 20 failures each on their streams, and one count each.
    expect(events.length).toBeLessThanOrEqual(10 * 21);
    expect(individual.length + counts.length).toBe(events.length);
    expect(new Set(counts.map((event) => event.stream))).toEqual(new Set(['refusals-security']));
    const counted = counts.reduce((sum, event) => sum + (event.data as unknown as RefusedRequestsCounted).count, 0);
    expect(individual.length + counted).toBe(10_000);
  });

  it('names the stream by device, or by source address when the identity is bound to none', () => {
    expect(securityStream('dev-1', '192.0.2.1')).toBe('security-dev-1');
    expect(securityStream(null, '192.0.2.1')).toBe('security-peer-192.0.2.1');
  });
});
