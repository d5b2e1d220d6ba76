import { describe, expect, it } from 'vitest';
import { bootstrapSessionDecider, maxRecordedContent, SessionNotActive } from '../../../src/domain/bootstrap/BootstrapSessionDecider.ts';
import type { BootstrapPlanOutcome, BootstrapSessionCommand } from '../../../src/domain/bootstrap/BootstrapSessionDecider.ts';
import type { BootstrapEvent } from '../../../src/domain/bootstrap/BootstrapEvents.ts';
import { foldEvents } from '../../../src/domain/Decider.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);
const peer = { address: '192.0.2.1', port: 56830, channel: 'plain' } as const;
const identity = { kind: 'endpoint', value: 'dev-1' } as const;

const plan: BootstrapPlanOutcome = {
  ok: true,
  endpoint: 'dev-1',
  preferredContentFormat: 112,
  contentFormat: 112,
  keptAccounts: { basis: 'assumed', securityInstances: [0] },
  steps: [
    { kind: 'discover', target: '/', purpose: null },
    { kind: 'delete', target: '/0', purpose: null },
    { kind: 'write', target: '/0/0', purpose: 'lwm2m-server-security' },
    { kind: 'finish', target: '/bs', purpose: null },
  ],
};

function request(sessionId: string, now: Date, outcome: BootstrapPlanOutcome = plan): BootstrapSessionCommand {
  return { type: 'RequestBootstrap', sessionId, requestedEndpoint: 'dev-1', peer, identity, plan: outcome, now, sessionTimeoutSeconds: 60 };
}

/** given events, when command, then events. */
function given(events: readonly BootstrapEvent[]) {
  const state = foldEvents(bootstrapSessionDecider, events);
  return {
    when: (command: BootstrapSessionCommand) => ({
      then: (expected: readonly BootstrapEvent[]) => expect(bootstrapSessionDecider.decide(command, state)).toEqual(expected),
      thenRefuses: () => expect(() => bootstrapSessionDecider.decide(command, state)).toThrow(SessionNotActive),
      events: () => bootstrapSessionDecider.decide(command, state),
    }),
  };
}

function run(commands: readonly BootstrapSessionCommand[], history: BootstrapEvent[] = []): BootstrapEvent[] {
  for (const command of commands) history.push(...given(history).when(command).events());
  return history;
}

const started: BootstrapEvent = {
  type: 'BootstrapSessionStarted',
  data: {
    sessionId: 's1',
    endpoint: 'dev-1',
    peer,
    identity,
    preferredContentFormat: 112,
    contentFormat: 112,
    keptAccounts: { basis: 'assumed', securityInstances: [0] },
    steps: plan.ok ? plan.steps : [],
    startedAt: t0.toISOString(),
    deadline: at(60).toISOString(),
  },
};

describe('bootstrapSessionDecider', () => {
  it('starts a session with its plan and a deadline', () => {
    given([]).when(request('s1', t0)).then([started]);
  });

  it('runs every step in order and finishes on the 2.04 to Bootstrap-Finish', () => {
    const history = run([
      request('s1', t0),
      ...[0, 1, 2, 3].flatMap((step): BootstrapSessionCommand[] => [
        { type: 'SendStep', sessionId: 's1', step, now: at(step + 1) },
        { type: 'RecordAnswer', sessionId: 's1', step, code: ['2.05', '2.02', '2.04', '2.04'][step] ?? '', now: at(step + 1) },
      ]),
    ]);
    expect(history.map((event) => event.type)).toEqual([
      'BootstrapSessionStarted',
      ...Array.from({ length: 4 }, () => ['BootstrapStepSent', 'BootstrapStepAnswered']).flat(),
      'BootstrapSessionFinished',
    ]);
    expect(history.at(-1)).toEqual({ type: 'BootstrapSessionFinished', data: { sessionId: 's1', at: at(4).toISOString() } });
    expect(foldEvents(bootstrapSessionDecider, history).active).toBeNull();
  });

  it('finishes a Bootstrap-Pack session when its pack is sent, with no answer awaited', () => {
    const pack: BootstrapPlanOutcome = { ...plan, ok: true, preferredContentFormat: null, steps: [{ kind: 'pack', target: '/bspack', purpose: null }] };
    const history = run([request('s1', t0, pack), { type: 'SendStep', sessionId: 's1', step: 0, now: at(0) }]);
    expect(history.slice(1)).toEqual([
      { type: 'BootstrapStepSent', data: { sessionId: 's1', step: 0, at: t0.toISOString() } },
      { type: 'BootstrapSessionFinished', data: { sessionId: 's1', at: t0.toISOString() } },
    ]);
    expect(foldEvents(bootstrapSessionDecider, history).active).toBeNull();
    given(history).when({ type: 'RecordAnswer', sessionId: 's1', step: 0, code: '2.04', now: at(1) }).thenRefuses();
  });

  it('fails on a device error to a write, recording the answer and the code', () => {
    const history = run([
      request('s1', t0),
      { type: 'SendStep', sessionId: 's1', step: 0, now: at(1) },
      { type: 'RecordAnswer', sessionId: 's1', step: 0, code: '2.05', now: at(1) },
      { type: 'SendStep', sessionId: 's1', step: 1, now: at(2) },
      { type: 'RecordAnswer', sessionId: 's1', step: 1, code: '2.02', now: at(2) },
      { type: 'SendStep', sessionId: 's1', step: 2, now: at(3) },
    ]);
    given(history)
      .when({ type: 'RecordAnswer', sessionId: 's1', step: 2, code: '4.00', now: at(3) })
      .then([
        { type: 'BootstrapStepAnswered', data: { sessionId: 's1', step: 2, code: '4.00', at: at(3).toISOString() } },
        {
          type: 'BootstrapSessionFailed',
          data: { sessionId: 's1', reason: 'device-error', step: 2, code: '4.00', detail: 'the device answered 4.00 to write /0/0', at: at(3).toISOString() },
        },
      ]);
  });

  it('lets a failed Bootstrap-Discover inform without failing the session', () => {
    const history = run([request('s1', t0), { type: 'SendStep', sessionId: 's1', step: 0, now: at(1) }]);
    given(history)
      .when({ type: 'RecordAnswer', sessionId: 's1', step: 0, code: '4.04', now: at(1) })
      .then([{ type: 'BootstrapStepAnswered', data: { sessionId: 's1', step: 0, code: '4.04', at: at(1).toISOString() } }]);
  });

  it("keeps a Bootstrap-Discover's answer, cut to its bound, and records the plan it revised, whose steps the session then runs", () => {
    const revised = [
      { kind: 'discover', target: '/', purpose: null },
      { kind: 'delete', target: '/0', purpose: null },
      { kind: 'write', target: '/0/1', purpose: 'lwm2m-server-security' },
      { kind: 'finish', target: '/bs', purpose: null },
    ] as const;
    const answer = '</>;lwm2m=1.1,</0/0>;uri="coap://bs.example.com"';
    const history = run([request('s1', t0), { type: 'SendStep', sessionId: 's1', step: 0, now: at(1) }]);
    const keptAccounts = { basis: 'discovered', securityInstances: [0] } as const;
    const events = given(history)
      .when({ type: 'RecordAnswer', sessionId: 's1', step: 0, code: '2.05', content: answer, revision: { keptAccounts, steps: revised }, now: at(1) })
      .events();
    expect(events).toEqual([
      { type: 'BootstrapStepAnswered', data: { sessionId: 's1', step: 0, code: '2.05', content: answer, at: at(1).toISOString() } },
      { type: 'BootstrapPlanRevised', data: { sessionId: 's1', step: 0, keptAccounts, steps: revised, at: at(1).toISOString() } },
    ]);
    expect(foldEvents(bootstrapSessionDecider, [...history, ...events]).active?.steps).toEqual(revised);

    const long = given(history).when({ type: 'RecordAnswer', sessionId: 's1', step: 0, code: '2.05', content: `</0/0>,${'</3/0>,'.repeat(1000)}`, now: at(1) }).events();
    expect(long).toHaveLength(1);
    expect((long[0]?.data as { content: string }).content).toHaveLength(maxRecordedContent);
  });

  it('fails a step without an answer (timeout)', () => {
    const history = run([request('s1', t0), { type: 'SendStep', sessionId: 's1', step: 0, now: at(1) }]);
    given(history)
      .when({ type: 'RecordNoAnswer', sessionId: 's1', step: 0, reason: 'timeout', detail: 'no response', now: at(30) })
      .then([{ type: 'BootstrapSessionFailed', data: { sessionId: 's1', reason: 'timeout', step: 0, code: null, detail: 'no response', at: at(30).toISOString() } }]);
  });

  it('refuses a second request while the session is under way (concurrent bootstrap)', () => {
    given([started])
      .when(request('s2', at(10)))
      .then([
        {
          type: 'BootstrapRequestRefused',
          data: { sessionId: 's2', endpoint: 'dev-1', peer, identity, reason: 'concurrent-bootstrap', activeSessionId: 's1', at: at(10).toISOString() },
        },
      ]);
  });

  it('expires a session at its deadline, not before, and only the named one', () => {
    given([started]).when({ type: 'ExpireSession', sessionId: 's1', now: at(59) }).then([]);
    given([started]).when({ type: 'ExpireSession', sessionId: 'other', now: at(61) }).then([]);
    given([started])
      .when({ type: 'ExpireSession', sessionId: 's1', now: at(60) })
      .then([
        {
          type: 'BootstrapSessionFailed',
          data: { sessionId: 's1', reason: 'timeout', step: null, code: null, detail: `the session did not finish by its deadline ${at(60).toISOString()}`, at: at(60).toISOString() },
        },
      ]);
  });

  it('fails an expired session and starts a fresh one on a later request', () => {
    const events = given([started]).when(request('s2', at(61))).events();
    expect(events.map((event) => event.type)).toEqual(['BootstrapSessionFailed', 'BootstrapSessionStarted']);
    expect(events[0]?.data).toMatchObject({ sessionId: 's1', reason: 'timeout' });
    expect(events[1]?.data).toMatchObject({ sessionId: 's2', deadline: at(121).toISOString() });
  });

  it('fails an expired session instead of sending its next step', () => {
    given([started])
      .when({ type: 'SendStep', sessionId: 's1', step: 0, now: at(60) })
      .then([
        {
          type: 'BootstrapSessionFailed',
          data: { sessionId: 's1', reason: 'timeout', step: null, code: null, detail: `the session did not finish by its deadline ${at(60).toISOString()}`, at: at(60).toISOString() },
        },
      ]);
  });

  it('refuses an unknown endpoint and incomplete data without starting a session', () => {
    given([])
      .when(request('s1', t0, { ok: false, reason: 'unknown-endpoint' }))
      .then([{ type: 'BootstrapRequestRefused', data: { sessionId: 's1', endpoint: 'dev-1', peer, identity, reason: 'unknown-endpoint', activeSessionId: null, at: t0.toISOString() } }]);
    const refused = given([]).when(request('s1', t0, { ok: false, reason: 'incomplete-registration' })).events();
    expect(foldEvents(bootstrapSessionDecider, refused).active).toBeNull();
  });

  it('refuses commands of a session that is not active, and steps out of order', () => {
    given([]).when({ type: 'SendStep', sessionId: 's1', step: 0, now: t0 }).thenRefuses();
    given([started]).when({ type: 'SendStep', sessionId: 's1', step: 1, now: t0 }).thenRefuses();
    given([started]).when({ type: 'RecordAnswer', sessionId: 's1', step: 0, code: '2.05', now: t0 }).thenRefuses();
    given([started]).when({ type: 'SendStep', sessionId: 's0', step: 0, now: t0 }).thenRefuses();
    const failed = run([{ type: 'ExpireSession', sessionId: 's1', now: at(60) }], [started]);
    given(failed).when({ type: 'SendStep', sessionId: 's1', step: 0, now: at(61) }).thenRefuses();
  });
});
