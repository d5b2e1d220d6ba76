import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { logOperationOutcomes, logRegistrationEvents } from '../../../src/app/devices/DeviceActivityLog.ts';
import type { OperationQueueState } from '../../../src/domain/operations/OperationQueueDecider.ts';
import type { RegistrationRecord } from '../../../src/domain/registration/RegistrationEvents.ts';
import { CapturedOutput } from '../../cli/CapturedOutput.ts';
import { testRegistration } from '../../support/TestRegistrations.ts';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

function capture(level: string): { readonly logger: pino.Logger; readonly lines: () => LogLine[] } {
  const output = new CapturedOutput();
  return {
    logger: pino({ level }, output),
    lines: () => output.text.trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as LogLine),
  };
}

const registration: RegistrationRecord = testRegistration({ endpoint: 'dev-1', registrationId: 'r1' });

describe('device activity log', () => {
  it('logs Register, De-register and expiry at info and Update at debug, each with the endpoint', () => {
    const events = [
      { type: 'DeviceRegistered', data: { registration, replacedRegistrationId: null } },
      { type: 'RegistrationUpdated', data: { endpoint: 'dev-1', registrationId: 'r1', address: '127.0.0.1', port: 5999, previousAddress: null, lifetime: null, binding: null, queueMode: null, smsNumber: null, objectLinks: null, updatedAt: '2026-01-01T00:00:30.000Z' } },
      { type: 'DeviceDeregistered', data: { endpoint: 'dev-1', registrationId: 'r1', address: '127.0.0.1', port: 5999, deregisteredAt: '2026-01-01T00:00:40.000Z' } },
      { type: 'RegistrationExpired', data: { endpoint: 'dev-1', registrationId: 'r1', lastUpdateAt: '2026-01-01T00:00:30.000Z', lifetime: 60, graceSeconds: 15, expiredAt: '2026-01-01T00:01:45.000Z' } },
    ] as const;
    const info = capture('info');
    logRegistrationEvents(info.logger, events);
    expect(info.lines().map((line) => [line.level, line.msg, line['endpoint']])).toEqual([
      [30, 'device registered', 'dev-1'],
      [30, 'device de-registered', 'dev-1'],
      [30, 'registration expired', 'dev-1'],
    ]);
    const debug = capture('debug');
    logRegistrationEvents(debug.logger, events);
    expect(debug.lines()[1]).toMatchObject({ level: 20, msg: 'registration updated', endpoint: 'dev-1' });
  });

  it("logs each operation's outcome with the endpoint, kind and path", () => {
    const before: OperationQueueState = {
      inFlight: { operationId: 'op-1', operation: { kind: 'read', paths: ['/3/0'], content: null }, attempts: 1, sentAt: '2026-01-01T00:00:00.000Z' },
      pending: [{ operationId: 'op-2', operation: { kind: 'execute', paths: ['/3/0/4'], content: null }, attempts: 0 }],
      finished: {},
    };
    const { logger, lines } = capture('info');
    logOperationOutcomes(logger, 'dev-1', [{ type: 'OperationSucceeded', data: { operationId: 'op-1', responseCode: '2.05', content: null, completedAt: 't' } }], before);
    logOperationOutcomes(logger, 'dev-1', [{ type: 'OperationFailed', data: { operationId: 'op-1', responseCode: '4.04', reason: 'the device answered 4.04 Not Found', attempts: 1, failedAt: 't' } }], before);
    logOperationOutcomes(logger, 'dev-1', [{ type: 'OperationCancelled', data: { operationId: 'op-2', cancelledBy: 'user:t', reason: null, wasSent: false, cancelledAt: 't' } }], before);
    logOperationOutcomes(logger, 'dev-1', [{ type: 'OperationSent', data: { operationId: 'op-2', attempt: 1, sentAt: 't' } }], before);
    expect(lines().map((line) => [line.level, line.msg, line['endpoint'], line['kind'], line['paths']])).toEqual([
      [30, 'operation succeeded', 'dev-1', 'read', ['/3/0']],
      [40, 'operation failed', 'dev-1', 'read', ['/3/0']],
      [30, 'operation cancelled', 'dev-1', 'execute', ['/3/0/4']],
    ]);
  });
});
