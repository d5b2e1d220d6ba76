/**
 * A device's active observations as a decider over `observations-<endpoint>`. Pure: tokens and time
 * arrive in commands.
 *
 * Rules:
 * - An observation is established once per token; a second Establish of a token is ignored.
 * - Cancelling an unknown or already cancelled observation decides nothing (an RST to a notification
 *   and a Cancel Observation may cross).
 * - A new registration cancels every observation of the registrations before it (LwM2M Core 1.1
 *   section 6.2.1: "the LwM2M Server MUST cancel observations" of a client that registers again);
 *   de-registration and expiry end them too.
 */
import type { Decider } from '../Decider.ts';
import type { ObservationCancelReason, ObservationEstablished, ObservationEvent } from './ObservationEvents.ts';

export type ObservationCommand =
  | { readonly type: 'EstablishObservation'; readonly observation: Omit<ObservationEstablished, 'establishedAt'>; readonly now: Date }
  | { readonly type: 'CancelObservation'; readonly endpoint: string; readonly token: string; readonly reason: ObservationCancelReason; readonly now: Date }
  /** Ends every observation not of `currentRegistrationId` (null: the device has no registration). */
  | { readonly type: 'EndObservationsOfOtherRegistrations'; readonly endpoint: string; readonly currentRegistrationId: string | null; readonly now: Date };

export interface ObservationState {
  /** Active observations by token. */
  readonly active: ReadonlyMap<string, ObservationEstablished>;
}

export const observationDecider: Decider<ObservationCommand, ObservationEvent, ObservationState> = {
  initialState: { active: new Map() },
  decide(command, state) {
    const now = command.now.toISOString();
    switch (command.type) {
      case 'EstablishObservation':
        if (state.active.has(command.observation.token)) return [];
        return [{ type: 'ObservationEstablished', data: { ...command.observation, establishedAt: now } }];
      case 'CancelObservation':
        if (!state.active.has(command.token)) return [];
        return [{ type: 'ObservationCancelled', data: { endpoint: command.endpoint, token: command.token, reason: command.reason, cancelledAt: now } }];
      case 'EndObservationsOfOtherRegistrations': {
        const reason: ObservationCancelReason = command.currentRegistrationId === null ? 'registration-ended' : 'new-registration';
        return [...state.active.values()]
          .filter((observation) => observation.registrationId !== command.currentRegistrationId)
          .map((observation) => ({ type: 'ObservationCancelled', data: { endpoint: command.endpoint, token: observation.token, reason, cancelledAt: now } }));
      }
    }
  },
  evolve(state, event) {
    const active = new Map(state.active);
    if (event.type === 'ObservationEstablished') active.set(event.data.token, event.data);
    else active.delete(event.data.token);
    return { active };
  },
};
