/** The audit budget: a burst, then a refill per second of the injected clock; the rest only counted. */
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { SecurityAuditLog } from '../../../src/app/security/SecurityAuditLog.ts';
import type { SecurityAuditEvent } from '../../../src/domain/security/SecurityAuditEvents.ts';
import { securityStream } from '../../../src/domain/security/SecurityAuditEvents.ts';

function failure(port: number): SecurityAuditEvent {
  return {
    type: 'DtlsHandshakeFailed',
    data: { server: 'lwm2m', address: '192.0.2.1', port, pskIdentity: `made-up-${port}`, credential: null, endpoint: null, reason: 'unknown PSK identity', failedAt: '2026-01-01T00:00:00.000Z' },
  };
}

describe('SecurityAuditLog', () => {
  it('records a burst, then as many events as the refill allows, and counts the others', async () => {
    const store = new MemoryEventStore();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const audit = new SecurityAuditLog({ store, clock: { now: () => new Date(now) }, logger: silentLogger(), burst: 3, perSecond: 2 });
    const stream = securityStream(null, '192.0.2.1');
    const outcomes: boolean[] = [];
    for (let port = 1; port <= 5; port++) outcomes.push(await audit.record(stream, failure(port), 'system:test'));
    expect(outcomes).toEqual([true, true, true, false, false]);
    expect(audit.unrecorded).toBe(2);

    now += 1_000; // two tokens back
    for (let port = 6; port <= 8; port++) outcomes.push(await audit.record(stream, failure(port), 'system:test'));
    expect(outcomes.slice(5)).toEqual([true, true, false]);
    const read = await store.readStream(stream);
    expect(read.status === 'found' ? read.events.map((event) => (event.data as { port: number }).port) : []).toEqual([1, 2, 3, 6, 7]);
    expect(audit.unrecorded).toBe(3);
  });

  it('names the stream by device, or by source address when the identity is bound to none', () => {
    expect(securityStream('dev-1', '192.0.2.1')).toBe('security-dev-1');
    expect(securityStream(null, '192.0.2.1')).toBe('security-peer-192.0.2.1');
  });
});
