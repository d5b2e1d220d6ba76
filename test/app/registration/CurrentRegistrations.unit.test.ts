import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { CurrentRegistrations } from '../../../src/app/registration/CurrentRegistrations.ts';
import type { JsonValue } from '../../../src/domain/Json.ts';
import { parseObjectLinks } from '../../../src/domain/registration/ObjectLinks.ts';
import type { RegisteredObjects } from '../../../src/domain/registration/ObjectLinks.ts';
import { registrationDecider } from '../../../src/domain/registration/RegistrationDecider.ts';
import type { RegistrationEvent, RegistrationRecord } from '../../../src/domain/registration/RegistrationEvents.ts';
import { registrationStream } from '../../../src/domain/registration/RegistrationEvents.ts';
import { testRegistration } from '../../support/TestRegistrations.ts';

const at = '2026-12-07T03:00:00.000Z';

function objectLinks(text: string): RegisteredObjects {
  const parsed = parseObjectLinks(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.objects;
}

function record(endpoint: string, links: RegisteredObjects): RegistrationRecord {
  return testRegistration({ endpoint, registrationId: `id-${endpoint}`, address: '192.0.2.1', port: 5683, lifetime: 300, objectLinks: links, registeredAt: at });
}

let position = 0;

/** As a store hands an event over: its data a copy of its own (parsed from the log on SQLite). */
function recorded(endpoint: string, revision: number, event: RegistrationEvent): RecordedEvent {
  position++;
  return {
    id: `event-${position}`,
    type: event.type,
    data: JSON.parse(JSON.stringify(event.data)) as JsonValue,
    metadata: { schemaVersion: 1 },
    stream: registrationStream(endpoint),
    revision,
    position,
    recordedAt: new Date(at),
  };
}

describe('CurrentRegistrations', () => {
  const announcement = '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303/0>';

  it('keeps one copy of the object links that devices of one model announce, over Registers and Updates', () => {
    const current = new CurrentRegistrations(registrationDecider());
    for (const endpoint of ['a', 'b', 'c']) current.apply(recorded(endpoint, 0, { type: 'DeviceRegistered', data: { registration: record(endpoint, objectLinks(announcement)), replacedRegistrationId: null } }));
    current.apply(recorded('d', 0, { type: 'DeviceRegistered', data: { registration: record('d', objectLinks('</1/0>,</3/0>')), replacedRegistrationId: null } }));
    current.apply(recorded('e', 0, { type: 'DeviceRegistered', data: { registration: record('e', objectLinks(announcement)), replacedRegistrationId: null } }));
    const shared = current.registration('a')?.objectLinks;
    expect(shared).toEqual(objectLinks(announcement));
    for (const endpoint of ['b', 'c', 'e']) expect(current.registration(endpoint)?.objectLinks).toBe(shared);
    expect(current.registration('d')?.objectLinks).not.toBe(shared);
    current.apply(
      recorded('b', 1, {
        type: 'RegistrationUpdated',
        data: { endpoint: 'b', registrationId: 'id-b', address: '192.0.2.2', port: 5683, previousAddress: { address: '192.0.2.1', port: 5683 }, lifetime: null, binding: null, queueMode: null, smsNumber: null, objectLinks: null, updatedAt: '2026-12-07T03:01:00.000Z' },
      }),
    );
    expect(current.registration('b')).toEqual({ ...record('b', objectLinks(announcement)), address: '192.0.2.2', lastUpdateAt: '2026-12-07T03:01:00.000Z' });
    expect(current.registration('b')?.objectLinks).toBe(shared);
    expect(current.registrationAt({ address: '192.0.2.2', port: 5683 })?.endpoint).toBe('b');
    expect(current.registrationAt({ address: '192.0.2.1', port: 5683 })?.endpoint).not.toBe('b');
  });

  it('finds by source address the registration that last registered or updated from it, whether or not the address changed', () => {
    const current = new CurrentRegistrations(registrationDecider());
    const links = objectLinks(announcement);
    // Two devices behind one NAT address and port, one after the other.
    for (const endpoint of ['first', 'second']) current.apply(recorded(endpoint, 0, { type: 'DeviceRegistered', data: { registration: record(endpoint, links), replacedRegistrationId: null } }));
    const peer = { address: '192.0.2.1', port: 5683 };
    expect(current.registrationAt(peer)?.endpoint).toBe('second');
    const update = (endpoint: string, revision: number, address: string): void => {
      current.apply(
        recorded(endpoint, revision, {
          type: 'RegistrationUpdated',
          data: { endpoint, registrationId: `id-${endpoint}`, address, port: 5683, previousAddress: { address: '192.0.2.1', port: 5683 }, lifetime: null, binding: null, queueMode: null, smsNumber: null, objectLinks: null, updatedAt: '2026-12-07T03:01:00.000Z' },
        }),
      );
    };
    update('first', 1, '192.0.2.1');
    expect(current.registrationAt(peer)?.endpoint).toBe('first');
    expect(current.endpointOf('id-first')).toBe('first');
    update('first', 2, '192.0.2.9');
    expect(current.registrationAt({ address: '192.0.2.9', port: 5683 })?.endpoint).toBe('first');
    // The address it left is no longer its own; the other device there did not update since.
    expect(current.registrationAt(peer)).toBeUndefined();
    update('second', 1, '192.0.2.1');
    expect(current.registrationAt(peer)?.endpoint).toBe('second');
  });

  it('takes for expiry the registrations past lifetime plus grace, earliest first, by their last Update, looking only at the due deadlines', () => {
    const current = new CurrentRegistrations(registrationDecider());
    const links = objectLinks(announcement);
    const register = (endpoint: string, lifetime: number): void => {
      current.apply(recorded(endpoint, 0, { type: 'DeviceRegistered', data: { registration: { ...record(endpoint, links), lifetime }, replacedRegistrationId: null } }));
    };
    for (let index = 0; index < 5_000; index++) register(`idle-${index}`, 86_400);
    register('late', 120);
    register('early', 60);
    register('renewed', 60);
    register('gone', 60);
    current.apply(
      recorded('renewed', 1, {
        type: 'RegistrationUpdated',
        data: { endpoint: 'renewed', registrationId: 'id-renewed', address: '192.0.2.1', port: 5683, previousAddress: null, lifetime: null, binding: null, queueMode: null, smsNumber: null, objectLinks: null, updatedAt: '2026-12-07T03:00:50.000Z' },
      }),
    );
    current.apply(recorded('gone', 1, { type: 'DeviceDeregistered', data: { endpoint: 'gone', registrationId: 'id-gone', address: '192.0.2.1', port: 5683, previousAddress: null, deregisteredAt: at } }));
    // One entry a registration: the Update's later deadline moves nothing until its old second comes.
    expect(current.scheduledDeadlines).toBe(5_004);
    const registeredAt = Date.parse(at);
    // LwM2M Core 1.1 section 6.2: lifetime after the last Register or Update; the default policy adds 45 s of grace.
    expect(current.takeExpired(new Date(registeredAt + 104_999))).toEqual({ expired: [], examined: 0 });
    const first = current.takeExpired(new Date(registeredAt + 154_999));
    expect(first.expired.map((registration) => registration.endpoint)).toEqual(['early']);
    // The entries of early, renewed (carried to its new deadline) and gone (skipped): none of the 5,000 idle ones.
    expect(first.examined).toBe(3);
    // early was not expired (its Expire failed): taken again, before renewed (155 s) and late (165 s).
    expect(current.takeExpired(new Date(registeredAt + 165_000))).toMatchObject({ expired: ['early', 'renewed', 'late'].map((endpoint) => ({ endpoint })), examined: 3 });
    expect(current.scheduledDeadlines).toBeLessThanOrEqual(2 * current.count + 1_024);
  });

  it('gives the decider state and the revision a command is decided on, for registrations, ended ones and known devices rejected, not for strangers', () => {
    const current = new CurrentRegistrations(registrationDecider());
    const registration = record('a', objectLinks(announcement));
    current.apply(recorded('a', 0, { type: 'DeviceRegistered', data: { registration, replacedRegistrationId: null } }));
    expect(current.known('a')).toEqual({ state: { registration, lastRejectedAt: null }, revision: 0 });
    current.apply(recorded('a', 1, { type: 'DeviceDeregistered', data: { endpoint: 'a', registrationId: 'id-a', address: '192.0.2.1', port: 5683, previousAddress: null, deregisteredAt: at } }));
    expect(current.known('a')).toEqual({ state: { registration: null, lastRejectedAt: null }, revision: 1 });
    expect(current.registration('a')).toBeUndefined();
    expect(current.endpointOf('id-a')).toBeUndefined();
    const rejection = (endpoint: string, reason: 'security-mode' | 'unknown-endpoint'): RegistrationEvent => ({
      type: 'RegistrationRejected',
      data: { endpoint, reason, responseCode: '4.03', address: '192.0.2.1', port: 5683, channel: 'plain', lwm2mVersion: '1.1', rejectedAt: at },
    });
    current.apply(recorded('psk-device', 0, rejection('psk-device', 'security-mode')));
    expect(current.known('psk-device')).toEqual({ state: { registration: null, lastRejectedAt: at }, revision: 0 });
    current.apply(recorded('stranger', 0, rejection('stranger', 'unknown-endpoint')));
    expect(current.known('stranger')).toBeUndefined();
    expect(current.hasStream('stranger')).toBe(false);
    expect(current.count).toBe(0);
  });
});
