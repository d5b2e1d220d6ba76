import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import { DomainError } from '../../../src/domain/DomainError.ts';
import { OperationQueueFull, operationQueueDecider } from '../../../src/domain/operations/OperationQueueDecider.ts';
import type { OperationCommand } from '../../../src/domain/operations/OperationQueueDecider.ts';
import type { OperationEvent, OperationSpec } from '../../../src/domain/operations/OperationEvents.ts';
import { isReachable } from '../../../src/domain/operations/DeviceReachability.ts';

const decider = operationQueueDecider({ maxQueueLength: 3, maxAttempts: 2 });
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);
const read: OperationSpec = { kind: 'read', paths: ['/3/0'], content: null };

function given(events: OperationEvent[], command: OperationCommand): OperationEvent[] {
  return decider.decide(command, foldEvents(decider, events));
}

function request(operationId: string, operation: OperationSpec = read): OperationCommand {
  return { type: 'RequestOperation', operationId, endpoint: 'dev-1', operation, requestedBy: 'user:t1', correlationId: `c-${operationId}`, now: t0 };
}

/** Applies commands one after another, collecting every event. */
function history(...commands: OperationCommand[]): OperationEvent[] {
  const events: OperationEvent[] = [];
  for (const command of commands) events.push(...given(events, command));
  return events;
}

const deliver = (seconds: number, reachable = true): OperationCommand => ({ type: 'DeliverNext', reachable, now: at(seconds) });

describe('OperationQueueDecider', () => {
  it('records who requested what, under which correlation id', () => {
    expect(given([], request('op-1'))).toEqual([
      { type: 'OperationRequested', data: { operationId: 'op-1', endpoint: 'dev-1', operation: read, requestedBy: 'user:t1', correlationId: 'c-op-1', requestedAt: t0.toISOString() } },
    ]);
  });

  it('delivers in request order, one at a time, only when the device is reachable', () => {
    const queued = history(request('op-1'), request('op-2'));
    expect(given(queued, deliver(1, false))).toEqual([]);
    const first = given(queued, deliver(1));
    expect(first).toEqual([{ type: 'OperationSent', data: { operationId: 'op-1', attempt: 1, sentAt: at(1).toISOString() } }]);
    expect(given([...queued, ...first], deliver(2))).toEqual([]);
    const done = given([...queued, ...first], { type: 'RecordResponse', operationId: 'op-1', responseCode: '2.05', content: { '/3/0/0': 'ACME' }, now: at(2) });
    expect(done).toEqual([{ type: 'OperationSucceeded', data: { operationId: 'op-1', responseCode: '2.05', content: { '/3/0/0': 'ACME' }, completedAt: at(2).toISOString() } }]);
    expect(given([...queued, ...first, ...done], deliver(3))[0]).toMatchObject({ type: 'OperationSent', data: { operationId: 'op-2' } });
  });

  it('ends an operation done without a request (a cancel by Reset) as succeeded with no response code, only while it is in flight', () => {
    const cancel: OperationSpec = { kind: 'cancel-observation', paths: ['/3/0/9'], content: { reset: true } };
    const queued = history(request('op-1', cancel));
    const done: OperationCommand = { type: 'RecordDoneWithoutRequest', operationId: 'op-1', content: null, now: at(2) };
    expect(given(queued, done)).toEqual([]);
    const sent = history(request('op-1', cancel), deliver(1));
    const succeeded = given(sent, done);
    expect(succeeded).toEqual([{ type: 'OperationSucceeded', data: { operationId: 'op-1', responseCode: null, content: null, completedAt: at(2).toISOString() } }]);
    expect(given([...sent, ...succeeded], done)).toEqual([]);
  });

  it('puts a timed-out operation back at the head and fails it after the last attempt', () => {
    const events = history(request('op-1'), request('op-2'), deliver(1), { type: 'RecordTimeout', operationId: 'op-1', now: at(90) });
    expect(events.at(-1)).toEqual({ type: 'OperationDeliveryTimedOut', data: { operationId: 'op-1', attempt: 1, timedOutAt: at(90).toISOString() } });
    const again = given(events, deliver(100));
    expect(again).toEqual([{ type: 'OperationSent', data: { operationId: 'op-1', attempt: 2, sentAt: at(100).toISOString() } }]);
    const last = given([...events, ...again], { type: 'RecordTimeout', operationId: 'op-1', now: at(200) });
    expect(last.map((event) => event.type)).toEqual(['OperationDeliveryTimedOut', 'OperationFailed']);
    expect(last[1]?.type === 'OperationFailed' && last[1].data).toMatchObject({ responseCode: null, reason: 'the device did not answer, 2 attempts', attempts: 2 });
    expect(given([...events, ...again, ...last], deliver(201))[0]).toMatchObject({ data: { operationId: 'op-2', attempt: 1 } });
  });

  it('returns an attempt sent to an address the device left to the head, and fails it when it was the last', () => {
    const moved = (seconds: number): OperationCommand => ({ type: 'ReturnToQueue', operationId: 'op-1', reason: 'address-changed', from: '192.0.2.1:5683', to: '192.0.2.1:6000', now: at(seconds) });
    const events = history(request('op-1'), request('op-2'), deliver(1), moved(2));
    expect(events.at(-1)).toEqual({
      type: 'OperationReturnedToQueue',
      data: { operationId: 'op-1', attempt: 1, reason: 'address-changed', from: '192.0.2.1:5683', to: '192.0.2.1:6000', returnedAt: at(2).toISOString() },
    });
    const again = given(events, deliver(3));
    expect(again).toEqual([{ type: 'OperationSent', data: { operationId: 'op-1', attempt: 2, sentAt: at(3).toISOString() } }]);
    const last = given([...events, ...again], { type: 'ReturnToQueue', operationId: 'op-1', reason: 'new-registration', from: '192.0.2.1:6000', to: '192.0.2.9:7000', now: at(4) });
    expect(last.map((event) => event.type)).toEqual(['OperationReturnedToQueue', 'OperationFailed']);
    expect(last[1]?.type === 'OperationFailed' && last[1].data).toMatchObject({ reason: 'the device registered again from 192.0.2.9:7000 before answering the last of 2 attempts', attempts: 2 });
    expect(given([...events, ...again, ...last], moved(5))).toEqual([]);
  });

  it('fails on an error response with a reason a person understands', () => {
    const events = history(request('op-1'), deliver(1));
    const failed = given(events, { type: 'RecordResponse', operationId: 'op-1', responseCode: '4.04', content: null, now: at(2) });
    expect(failed[0]?.type === 'OperationFailed' && failed[0].data).toMatchObject({ responseCode: '4.04', reason: 'the device answered 4.04 Not Found', attempts: 1 });
    const reset = given(events, { type: 'RecordFailure', operationId: 'op-1', reason: 'the device reset the request', now: at(2) });
    expect(reset[0]?.type === 'OperationFailed' && reset[0].data.reason).toBe('the device reset the request');
  });

  it('is bounded', () => {
    const full = history(request('op-1'), request('op-2'), deliver(1), request('op-3'));
    expect(() => given(full, request('op-4'))).toThrow(OperationQueueFull);
    const after = given(full, { type: 'RecordResponse', operationId: 'op-1', responseCode: '2.05', content: null, now: at(2) });
    expect(given([...full, ...after], request('op-4'))[0]?.type).toBe('OperationRequested');
  });

  it('refuses a duplicate id', () => {
    expect(() => given(history(request('op-1')), request('op-1'))).toThrow(DomainError);
  });

  it('cancels pending and in-flight operations, ignores the late response, and refuses to cancel twice', () => {
    const events = history(request('op-1'), request('op-2'), deliver(1));
    const cancelInFlight = given(events, { type: 'CancelOperation', operationId: 'op-1', cancelledBy: 'user:t1', reason: 'changed my mind', now: at(2) });
    expect(cancelInFlight[0]?.type === 'OperationCancelled' && cancelInFlight[0].data).toMatchObject({ wasSent: true, reason: 'changed my mind' });
    const afterCancel = [...events, ...cancelInFlight];
    expect(given(afterCancel, { type: 'RecordResponse', operationId: 'op-1', responseCode: '2.05', content: null, now: at(3) })).toEqual([]);
    expect(given(afterCancel, deliver(3))[0]).toMatchObject({ data: { operationId: 'op-2' } });
    const cancelPending = given(afterCancel, { type: 'CancelOperation', operationId: 'op-2', cancelledBy: 'user:t1', reason: null, now: at(3) });
    expect(cancelPending[0]?.type === 'OperationCancelled' && cancelPending[0].data.wasSent).toBe(false);
    expect(() => given(afterCancel, { type: 'CancelOperation', operationId: 'op-1', cancelledBy: 'user:t1', reason: null, now: at(4) })).toThrow(/already been cancelled/);
    expect(() => given(afterCancel, { type: 'CancelOperation', operationId: 'nope', cancelledBy: 'user:t1', reason: null, now: at(4) })).toThrow(/no operation/);
  });
});

describe('isReachable', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  it('is always true for a registered device in U binding, never for an unregistered one', () => {
    expect(isReachable({ registered: true, queueMode: false, lastMessageAt: null }, now)).toBe(true);
    expect(isReachable({ registered: false, queueMode: false, lastMessageAt: now.toISOString() }, now)).toBe(false);
  });

  it('is true for a queue-mode device only within the awake time after its last message', () => {
    expect(isReachable({ registered: true, queueMode: true, lastMessageAt: '2026-01-01T00:08:28Z' }, now)).toBe(true);
    expect(isReachable({ registered: true, queueMode: true, lastMessageAt: '2026-01-01T00:08:27Z' }, now)).toBe(false);
    expect(isReachable({ registered: true, queueMode: true, lastMessageAt: null }, now)).toBe(false);
  });
});

describe('OperationQueueDecider: several nodes on one event store', () => {
  it('records the node that sent each attempt, and in the state, when and by whom the one in flight went', () => {
    const sent = history(request('op-1'), { type: 'DeliverNext', reachable: true, nodeId: 'node-a', now: at(1) });
    expect(sent.at(-1)).toEqual({ type: 'OperationSent', data: { operationId: 'op-1', attempt: 1, sentAt: at(1).toISOString(), nodeId: 'node-a' } });
    expect(foldEvents(decider, sent).inFlight).toMatchObject({ operationId: 'op-1', attempts: 1, sentAt: at(1).toISOString(), sentBy: 'node-a' });
  });

  it("ignores a time-out or a return of an attempt that is no longer the one in flight (a node's late word after another took over and sent again)", () => {
    const first = history(request('op-1'), { type: 'DeliverNext', reachable: true, nodeId: 'node-a', now: at(1) });
    const takenOver = [...first, ...given(first, { type: 'RecordTimeout', operationId: 'op-1', attempt: 1, now: at(100) })];
    const again = [...takenOver, ...given(takenOver, { type: 'DeliverNext', reachable: true, nodeId: 'node-b', now: at(100) })];
    expect(foldEvents(decider, again).inFlight).toMatchObject({ attempts: 2, sentBy: 'node-b' });
    expect(given(again, { type: 'RecordTimeout', operationId: 'op-1', attempt: 1, now: at(101) })).toEqual([]);
    expect(given(again, { type: 'ReturnToQueue', operationId: 'op-1', attempt: 1, reason: 'new-registration', from: '192.0.2.1:1', to: '192.0.2.2:2', now: at(101) })).toEqual([]);
    expect(given(again, { type: 'RecordTimeout', operationId: 'op-1', attempt: 2, now: at(200) })).toMatchObject([{ type: 'OperationDeliveryTimedOut' }, { type: 'OperationFailed' }]);
  });
});
