/**
 * The security audit trail of a device (`security-<endpoint>`: failed DTLS handshakes with its
 * identity, identity mismatches) is part of its history; the audit of unknown peers
 * (`security-peer-<address>`) belongs to no device, and telemetry and alarms stay out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import type { DtlsHandshakeFailed, PskIdentityMismatch } from '../../../src/domain/security/SecurityAuditEvents.ts';
import { securityStream } from '../../../src/domain/security/SecurityAuditEvents.ts';
import { deviceStream } from '../../../src/domain/devices/DeviceEvents.ts';
import { DeviceHistoryQueries } from '../../../src/projections/history/DeviceHistoryQueries.ts';
import { deviceHistoryProjection } from '../../../src/projections/history/DeviceHistoryProjection.ts';
import { Projector } from '../../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../../src/projections/ReadModelDatabase.ts';
import { imported, registration } from '../DeviceEventFixtures.ts';

let dir: string;
let store: SqliteEventStore;
let database: ReadModelDatabase;
let projector: Projector;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'history-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
  database = ReadModelDatabase.open(dir);
  projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: [deviceHistoryProjection], logger: silentLogger() });
  projector.start();
});

afterEach(async () => {
  await projector.close();
  database.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function handshakeFailed(endpoint: string | null, pskIdentity: string | null): NewEvent {
  const data: DtlsHandshakeFailed = { server: 'lwm2m', address: '127.0.0.1', port: 40000, pskIdentity, credential: null, endpoint, reason: 'wrong PSK?', failedAt: '2026-11-25T08:00:00.000Z' };
  return { type: 'DtlsHandshakeFailed', data: { ...data } };
}

function mismatch(boundEndpoint: string | null, requestedEndpoint: string): NewEvent {
  const data: PskIdentityMismatch = { server: 'lwm2m', address: '127.0.0.1', port: 40000, pskIdentity: 'id-a', boundEndpoint, requestedEndpoint, refusedAt: '2026-11-25T08:00:01.000Z' };
  return { type: 'PskIdentityMismatch', data: { ...data } };
}

describe('device history: security audit events', () => {
  it("joins a device's security audit events to its history, and leaves unknown peers' and telemetry out", async () => {
    await store.appendToStream(deviceStream('a'), [imported(registration('a'))], 'no_stream');
    await store.appendToStream(securityStream('a', '127.0.0.1'), [handshakeFailed('a', 'id-a'), mismatch('a', 'b')], 'any');
    await store.appendToStream('telemetry-a', [{ type: 'MeasurementRecorded', data: {} }], 'any');
    await store.appendToStream('alarms-a', [{ type: 'AlarmRaised', data: {} }], 'any');
    // An unknown identity from 127.0.0.1: its stream is security-peer-127.0.0.1, no device's.
    const last = await store.appendToStream(securityStream(null, '127.0.0.1'), [handshakeFailed(null, 'nobody')], 'any');
    await projector.waitFor(last.position);

    const history = new DeviceHistoryQueries(database.db);
    expect(history.page('a', 10, 0).entries.map((entry) => [entry.category, entry.stream, entry.type])).toEqual([
      ['device', 'device-a', 'DeviceRegistrationImported'],
      ['security', 'security-a', 'DtlsHandshakeFailed'],
      ['security', 'security-a', 'PskIdentityMismatch'],
    ]);
    expect(history.page('peer-127.0.0.1', 10, 0).entries).toEqual([]);
    // The security audit alone (the console's device page), counted and paged by itself.
    const audit = history.page('a', 1, 0, 'security');
    expect(audit.entries.map((entry) => entry.type)).toEqual(['DtlsHandshakeFailed']);
    expect({ hasNextPage: audit.hasNextPage, totalCount: audit.totalCount }).toEqual({ hasNextPage: true, totalCount: 2 });
    expect(history.page('a', 10, audit.entries[0]?.position ?? 0, 'security').entries.map((entry) => entry.type)).toEqual(['PskIdentityMismatch']);
  });

  it('keeps the security events of a device whose endpoint name begins with "peer-"', async () => {
    const last = await store.appendToStream(securityStream('peer-7', '127.0.0.1'), [handshakeFailed('peer-7', 'id-7')], 'any');
    await projector.waitFor(last.position);
    expect(new DeviceHistoryQueries(database.db).page('peer-7', 10, 0).entries.map((entry) => entry.type)).toEqual(['DtlsHandshakeFailed']);
  });
});
