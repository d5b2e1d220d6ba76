/**
 * A device's registration as the registration events record it, for tests that put registrations in
 * the log themselves (a node that has since stopped, a registration long expired): a plain-CoAP
 * device announcing object 3, registered from 127.0.0.1 at `registeredAt`, with the fields given.
 */
import type { RegistrationRecord } from '../../src/domain/registration/RegistrationEvents.ts';

export function testRegistration(fields: Partial<RegistrationRecord> & Pick<RegistrationRecord, 'endpoint'>): RegistrationRecord {
  const at = fields.registeredAt ?? '2026-01-01T00:00:00.000Z';
  return {
    registrationId: `reg-${fields.endpoint}`,
    address: '127.0.0.1',
    port: 5999,
    channel: 'plain',
    pskIdentity: null,
    lifetime: 60,
    lwm2mVersion: '1.1',
    binding: 'U',
    queueMode: false,
    smsNumber: null,
    objectLinks: { rootPath: '/', contentFormats: [], objects: [{ objectId: 3, instanceId: 0, version: null }], ignoredLinks: 0 },
    registeredAt: at,
    lastUpdateAt: at,
    ...fields,
  };
}
