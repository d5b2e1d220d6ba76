/**
 * One log line per thing that happened to a device, with its endpoint: registrations (Register,
 * De-register and expiry at info; Update, the keep-alive a fleet sends all day, at debug) and the
 * outcome of each operation. The events are the record; these lines are for the person watching.
 */
import type { OperationEvent } from '../../domain/operations/OperationEvents.ts';
import type { OperationQueueState } from '../../domain/operations/OperationQueueDecider.ts';
import type { RegistrationEvent } from '../../domain/registration/RegistrationEvents.ts';
import type { Logger } from '../../adapters/logging/Logger.ts';

export function logRegistrationEvents(logger: Logger, events: readonly RegistrationEvent[]): void {
  for (const event of events) {
    switch (event.type) {
      case 'DeviceRegistered': {
        const { endpoint, registrationId, address, port, channel, lifetime, lwm2mVersion, binding } = event.data.registration;
        logger.info({ endpoint, registrationId, address, port, channel, lifetime, lwm2mVersion, binding }, 'device registered');
        break;
      }
      case 'RegistrationUpdated': {
        // Every keep-alive Update comes here: its line's fields are gathered only when debug lines are written.
        if (!logger.isLevelEnabled('debug')) break;
        const { endpoint, registrationId, address, port, lifetime } = event.data;
        logger.debug({ endpoint, registrationId, address, port, lifetime, moved: event.data.previousAddress !== null }, 'registration updated');
        break;
      }
      case 'DeviceDeregistered':
        logger.info({ endpoint: event.data.endpoint, registrationId: event.data.registrationId }, 'device de-registered');
        break;
      case 'RegistrationExpired':
        logger.info({ endpoint: event.data.endpoint, registrationId: event.data.registrationId, lastUpdateAt: event.data.lastUpdateAt, lifetime: event.data.lifetime }, 'registration expired');
        break;
      case 'RegistrationRejected':
        // Logged where it is decided, with the audit budget that may have left it unrecorded.
        break;
    }
  }
}

/** `before` is the queue the events were decided on: it tells each ended operation's kind and paths. */
export function logOperationOutcomes(logger: Logger, endpoint: string, events: readonly OperationEvent[], before: OperationQueueState): void {
  for (const event of events) {
    if (event.type !== 'OperationSucceeded' && event.type !== 'OperationFailed' && event.type !== 'OperationCancelled') continue;
    const { operationId } = event.data;
    const queued = before.inFlight?.operationId === operationId ? before.inFlight : before.pending.find((entry) => entry.operationId === operationId);
    const what = { endpoint, operationId, kind: queued?.operation.kind, paths: queued?.operation.paths };
    if (event.type === 'OperationSucceeded') logger.info({ ...what, responseCode: event.data.responseCode }, 'operation succeeded');
    else if (event.type === 'OperationFailed') logger.warn({ ...what, responseCode: event.data.responseCode, reason: event.data.reason, attempts: event.data.attempts }, 'operation failed');
    else logger.info({ ...what, cancelledBy: event.data.cancelledBy, reason: event.data.reason, wasSent: event.data.wasSent }, 'operation cancelled');
  }
}
