/**
 * The bootstrap sessions read model, fed with the events the session decider records (through
 * the command runner on a memory store), in an SQLite database.
 */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { AggregateCommandRunner } from '../../../src/app/kernel/AggregateCommandRunner.ts';
import { bootstrapStream } from '../../../src/domain/bootstrap/BootstrapEvents.ts';
import { bootstrapSessionDecider } from '../../../src/domain/bootstrap/BootstrapSessionDecider.ts';
import type { BootstrapPlanOutcome, BootstrapSessionCommand } from '../../../src/domain/bootstrap/BootstrapSessionDecider.ts';
import { bootstrapSessionsProjection } from '../../../src/projections/bootstrap/BootstrapSessionsProjection.ts';
import { BootstrapSessionQueries } from '../../../src/projections/bootstrap/BootstrapSessionQueries.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(t0 + seconds * 1000);
const peer = { address: '192.0.2.7', port: 5000, channel: 'plain' } as const;

const plan: BootstrapPlanOutcome = {
  ok: true,
  endpoint: 'dev-1',
  preferredContentFormat: null,
  contentFormat: 11542,
  keptAccounts: { basis: 'assumed', securityInstances: [0] },
  steps: [
    { kind: 'delete', target: '/0', purpose: null },
    { kind: 'write', target: '/0/0', purpose: 'lwm2m-server-security' },
    { kind: 'finish', target: '/bs', purpose: null },
  ],
};

function requestBootstrap(sessionId: string, now: Date, outcome: BootstrapPlanOutcome = plan): BootstrapSessionCommand {
  return { type: 'RequestBootstrap', sessionId, requestedEndpoint: 'dev-1', peer, identity: { kind: 'endpoint', value: 'dev-1' }, plan: outcome, now, sessionTimeoutSeconds: 60 };
}

async function history(): Promise<MemoryEventStore> {
  const store = new MemoryEventStore();
  const runner = new AggregateCommandRunner({ store });
  const run = (command: BootstrapSessionCommand, endpoint = 'dev-1') => runner.run(bootstrapStream(endpoint), bootstrapSessionDecider, command);
  // s1 finishes; s2 is refused while s3 runs; s3 fails on a device error; an unknown endpoint is refused.
  await run(requestBootstrap('s1', at(0)));
  for (const [step, code] of [[0, '2.02'], [1, '2.04'], [2, '2.04']] as const) {
    await run({ type: 'SendStep', sessionId: 's1', step, now: at(step + 1) });
    await run({ type: 'RecordAnswer', sessionId: 's1', step, code, now: at(step + 1) });
  }
  await run(requestBootstrap('s3', at(100)));
  await run(requestBootstrap('s2', at(101)));
  await run({ type: 'SendStep', sessionId: 's3', step: 0, now: at(102) });
  await run({ type: 'RecordAnswer', sessionId: 's3', step: 0, code: '4.01', now: at(103) });
  await run({ type: 'RequestBootstrap', sessionId: 'u1', requestedEndpoint: 'nobody', peer, identity: { kind: 'endpoint', value: 'nobody' }, plan: { ok: false, reason: 'unknown-endpoint' }, now: at(200), sessionTimeoutSeconds: 60 }, 'nobody');
  return store;
}

async function project(store: MemoryEventStore): Promise<DatabaseSync> {
  const db = new DatabaseSync(':memory:');
  bootstrapSessionsProjection.create(db);
  for (const event of await store.readAll({ filter: bootstrapSessionsProjection.filter })) bootstrapSessionsProjection.apply(db, event);
  return db;
}

describe('bootstrap sessions read model', () => {
  it('lists an endpoint\'s sessions newest first, each with its steps and outcome', async () => {
    const queries = new BootstrapSessionQueries(await project(await history()));
    const sessions = queries.sessions('dev-1', 10);
    expect(sessions.map((s) => [s.sessionId, s.status, s.reason])).toEqual([
      ['s2', 'refused', 'concurrent-bootstrap'],
      ['s3', 'failed', 'device-error'],
      ['s1', 'finished', null],
    ]);
    const [refused, failed, finished] = sessions;
    expect(refused?.detail).toBe('session s3 is under way');
    expect(refused?.steps).toEqual([]);
    expect(failed).toMatchObject({ failedStep: 0, code: '4.01', endedAt: at(103) });
    expect(failed?.steps.map((s) => [s.kind, s.target, s.code])).toEqual([
      ['delete', '/0', '4.01'],
      ['write', '/0/0', null],
      ['finish', '/bs', null],
    ]);
    expect(finished).toMatchObject({
      address: '192.0.2.7',
      port: 5000,
      channel: 'plain',
      identityKind: 'endpoint',
      identityValue: 'dev-1',
      contentFormat: 11542,
      preferredContentFormat: null,
      startedAt: at(0),
      deadline: at(60),
      endedAt: at(3),
    });
    expect(finished?.steps).toEqual([
      { step: 0, kind: 'delete', target: '/0', purpose: null, sentAt: at(1), answeredAt: at(1), code: '2.02', answer: null },
      { step: 1, kind: 'write', target: '/0/0', purpose: 'lwm2m-server-security', sentAt: at(2), answeredAt: at(2), code: '2.04', answer: null },
      { step: 2, kind: 'finish', target: '/bs', purpose: null, sentAt: at(3), answeredAt: at(3), code: '2.04', answer: null },
    ]);
    expect(finished).toMatchObject({ bootstrapAccounts: [0], bootstrapAccountsBasis: 'assumed' });
    expect(queries.sessions('nobody', 10).map((s) => [s.status, s.reason])).toEqual([['refused', 'unknown-endpoint']]);
  });

  it("shows a Bootstrap-Discover's answer and the plan it revised: the kept accounts and the new instance ids", async () => {
    const store = new MemoryEventStore();
    const runner = new AggregateCommandRunner({ store });
    const run = (command: BootstrapSessionCommand) => runner.run(bootstrapStream('dev-1'), bootstrapSessionDecider, command);
    const discover = { kind: 'discover', target: '/', purpose: null } as const;
    const finish = { kind: 'finish', target: '/bs', purpose: null } as const;
    const discovering: BootstrapPlanOutcome = {
      ok: true,
      endpoint: 'dev-1',
      preferredContentFormat: 112,
      contentFormat: 112,
      keptAccounts: { basis: 'assumed', securityInstances: [0] },
      steps: [discover, { kind: 'write', target: '/0/1', purpose: 'lwm2m-server-security' }, finish],
    };
    await run(requestBootstrap('d1', at(0), discovering));
    await run({ type: 'SendStep', sessionId: 'd1', step: 0, now: at(1) });
    const answer = '</>;lwm2m=1.1,</0/1>;uri="coap://bs"';
    const revision = {
      keptAccounts: { basis: 'discovered', securityInstances: [1] },
      steps: [discover, { kind: 'write', target: '/0/0', purpose: 'lwm2m-server-security' }, finish],
    } as const;
    await run({ type: 'RecordAnswer', sessionId: 'd1', step: 0, code: '2.05', content: answer, revision, now: at(1) });
    const session = new BootstrapSessionQueries(await project(store)).session('d1');
    expect(session).toMatchObject({ bootstrapAccounts: [1], bootstrapAccountsBasis: 'discovered' });
    expect(session?.steps.map((step) => [step.kind, step.target, step.code, step.answer])).toEqual([
      ['discover', '/', '2.05', answer],
      ['write', '/0/0', null, null],
      ['finish', '/bs', null, null],
    ]);
  });

  it('pages by position and finds a session by id', async () => {
    const queries = new BootstrapSessionQueries(await project(await history()));
    const [newest] = queries.sessions('dev-1', 1);
    expect(newest?.sessionId).toBe('s2');
    expect(queries.sessions('dev-1', 10, newest?.position).map((s) => s.sessionId)).toEqual(['s3', 's1']);
    expect(queries.session('s3')?.status).toBe('failed');
    expect(queries.session('missing')).toBeUndefined();
  });

  it('shows the DTLS channel of sessions recorded as "dtls" by earlier versions as "psk", like registrations', async () => {
    const store = new MemoryEventStore();
    const recordedPeer = { address: '192.0.2.8', port: 5001, channel: 'dtls' };
    const identity = { kind: 'pskIdentity', value: 'id-1' };
    await store.appendToStream(
      bootstrapStream('dev-1'),
      [
        {
          type: 'BootstrapSessionStarted',
          data: { sessionId: 'old', endpoint: 'dev-1', peer: recordedPeer, identity, preferredContentFormat: null, contentFormat: 11542, steps: [], startedAt: at(0).toISOString(), deadline: at(60).toISOString() },
          metadata: { schemaVersion: 1 },
        },
        {
          type: 'BootstrapRequestRefused',
          data: { sessionId: 'old-refused', endpoint: 'dev-1', peer: recordedPeer, identity, reason: 'concurrent-bootstrap', activeSessionId: 'old', at: at(1).toISOString() },
          metadata: { schemaVersion: 1 },
        },
      ],
      'no_stream',
    );
    const queries = new BootstrapSessionQueries(await project(store));
    expect(queries.sessions('dev-1', 10).map((s) => [s.sessionId, s.channel])).toEqual([
      ['old-refused', 'psk'],
      ['old', 'psk'],
    ]);
  });

  it('rebuilds to the same tables', async () => {
    const store = await history();
    const db = await project(store);
    const before = new BootstrapSessionQueries(db).sessions('dev-1', 10);
    bootstrapSessionsProjection.drop(db);
    bootstrapSessionsProjection.create(db);
    for (const event of await store.readAll({ filter: bootstrapSessionsProjection.filter })) bootstrapSessionsProjection.apply(db, event);
    expect(new BootstrapSessionQueries(db).sessions('dev-1', 10)).toEqual(before);
  });
});
