/** Given events / when command / then events, for the observations of a device. */
import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import { observationDecider } from '../../../src/domain/observations/ObservationDecider.ts';
import type { ObservationEstablished, ObservationEvent } from '../../../src/domain/observations/ObservationEvents.ts';

const now = new Date('2026-01-01T00:00:00Z');

function established(token: string, registrationId: string): ObservationEvent {
  const data: ObservationEstablished = { endpoint: 'dev', token, paths: ['/3303/0/5700'], composite: false, registrationId, operationId: `op-${token}`, establishedAt: now.toISOString() };
  return { type: 'ObservationEstablished', data };
}

describe('observation decider', () => {
  it('establishes a token once', () => {
    const command = { type: 'EstablishObservation' as const, observation: { endpoint: 'dev', token: 'aa', paths: ['/3/0'], composite: false, registrationId: 'r1', operationId: 'op' }, now };
    expect(observationDecider.decide(command, observationDecider.initialState)).toMatchObject([{ type: 'ObservationEstablished', data: { token: 'aa', establishedAt: now.toISOString() } }]);
    expect(observationDecider.decide(command, foldEvents(observationDecider, [established('aa', 'r1')]))).toEqual([]);
  });

  it('cancels an active observation, and ignores an unknown or already cancelled one', () => {
    const state = foldEvents(observationDecider, [established('aa', 'r1')]);
    const cancel = { type: 'CancelObservation' as const, endpoint: 'dev', token: 'aa', reason: 'cancel-requested' as const, now };
    const events = observationDecider.decide(cancel, state);
    expect(events).toEqual([{ type: 'ObservationCancelled', data: { endpoint: 'dev', token: 'aa', reason: 'cancel-requested', cancelledAt: now.toISOString() } }]);
    expect(observationDecider.decide(cancel, foldEvents(observationDecider, [established('aa', 'r1'), ...events]))).toEqual([]);
    expect(observationDecider.decide({ ...cancel, token: 'bb' }, state)).toEqual([]);
  });

  it('ends the observations of earlier registrations when the device registers again, and all of them when it leaves', () => {
    const state = foldEvents(observationDecider, [established('aa', 'r1'), established('bb', 'r1'), established('cc', 'r2')]);
    const renewed = observationDecider.decide({ type: 'EndObservationsOfOtherRegistrations', endpoint: 'dev', currentRegistrationId: 'r2', now }, state);
    expect(renewed.map((event) => [event.data.token, event.type === 'ObservationCancelled' ? event.data.reason : ''])).toEqual([
      ['aa', 'new-registration'],
      ['bb', 'new-registration'],
    ]);
    const gone = observationDecider.decide({ type: 'EndObservationsOfOtherRegistrations', endpoint: 'dev', currentRegistrationId: null, now }, state);
    expect(gone.map((event) => [event.data.token, event.type === 'ObservationCancelled' ? event.data.reason : ''])).toEqual([
      ['aa', 'registration-ended'],
      ['bb', 'registration-ended'],
      ['cc', 'registration-ended'],
    ]);
  });
});
