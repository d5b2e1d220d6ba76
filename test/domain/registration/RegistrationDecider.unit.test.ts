import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../../src/domain/Decider.ts';
import { RegistrationRefused, defaultRegistrationPolicy, registrationDecider } from '../../../src/domain/registration/RegistrationDecider.ts';
import type { RegistrationCommand, Source } from '../../../src/domain/registration/RegistrationDecider.ts';
import type { RegistrationEvent } from '../../../src/domain/registration/RegistrationEvents.ts';
import type { RegisteredObjects } from '../../../src/domain/registration/ObjectLinks.ts';
import type { RegisterParameters } from '../../../src/domain/registration/RegistrationParameters.ts';

const decider = registrationDecider();
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);
const plain: Source = { address: '192.0.2.1', port: 40000, channel: 'plain', pskIdentity: null };
const dtls = (pskIdentity: string | null): Source => ({ address: '192.0.2.1', port: 40001, channel: 'psk', pskIdentity });
const links: RegisteredObjects = { rootPath: '/', contentFormats: [], objects: [{ objectId: 3, instanceId: 0, version: null }], ignoredLinks: 0 };
const params = (overrides: Partial<RegisterParameters> = {}): RegisterParameters => ({
  endpoint: 'dev-1',
  lifetime: 60,
  lwm2mVersion: '1.1',
  binding: 'U',
  queueMode: false,
  smsNumber: null,
  ...overrides,
});
const register = (overrides: Partial<Extract<RegistrationCommand, { type: 'Register' }>> = {}): RegistrationCommand => ({
  type: 'Register',
  registrationId: 'reg-1',
  source: plain,
  parameters: params(),
  objectLinks: links,
  device: { securityMode: 'NO_SEC', pskIdentity: null },
  now: t0,
  ...overrides,
});
const update = (seconds: number, overrides: Partial<Extract<RegistrationCommand, { type: 'Update' }>> = {}): RegistrationCommand => ({
  type: 'Update',
  registrationId: 'reg-1',
  source: plain,
  parameters: { lifetime: null, binding: null, bindingQueue: null, queueParameter: false, smsNumber: null },
  objectLinks: null,
  now: at(seconds),
  ...overrides,
});

function given(events: RegistrationEvent[], command: RegistrationCommand): RegistrationEvent[] {
  return decider.decide(command, foldEvents(decider, events));
}

const registered = given([], register());

describe('RegistrationDecider: Register', () => {
  it('registers a known device with what came on the wire', () => {
    expect(registered).toEqual([
      {
        type: 'DeviceRegistered',
        data: {
          registration: {
            endpoint: 'dev-1',
            registrationId: 'reg-1',
            address: '192.0.2.1',
            port: 40000,
            channel: 'plain',
            pskIdentity: null,
            lifetime: 60,
            lwm2mVersion: '1.1',
            binding: 'U',
            queueMode: false,
            smsNumber: null,
            objectLinks: links,
            registeredAt: t0.toISOString(),
            lastUpdateAt: t0.toISOString(),
          },
          replacedRegistrationId: null,
        },
      },
    ]);
  });

  it('replaces an existing registration of the same endpoint', () => {
    const events = given(registered, register({ registrationId: 'reg-2', now: at(10) }));
    expect(events[0]?.type).toBe('DeviceRegistered');
    expect(events[0]?.type === 'DeviceRegistered' && events[0].data.replacedRegistrationId).toBe('reg-1');
  });

  it('accepts 1.0 and 1.2, and refuses 1.3 and 2.0 with 4.12 unless the policy serves them', () => {
    expect(given([], register({ parameters: params({ lwm2mVersion: '1.0' }) }))[0]?.type).toBe('DeviceRegistered');
    expect(given([], register({ parameters: params({ lwm2mVersion: '1.2' }) }))[0]?.type).toBe('DeviceRegistered');
    for (const lwm2mVersion of ['1.3', '2.0']) {
      const refused = given([], register({ parameters: params({ lwm2mVersion }) }));
      expect(refused[0]?.type === 'RegistrationRejected' && refused[0].data).toMatchObject({ reason: 'unsupported-version', responseCode: '4.12', lwm2mVersion });
    }
    const with13 = registrationDecider({ ...defaultRegistrationPolicy, supportedVersions: ['1.0', '1.1', '1.2', '1.3'] });
    expect(with13.decide(register({ parameters: params({ lwm2mVersion: '1.3' }) }), with13.initialState)[0]?.type).toBe('DeviceRegistered');
  });

  it('rejects an unknown endpoint with an audit event at most once a minute', () => {
    const first = given([], register({ device: undefined }));
    expect(first).toEqual([
      {
        type: 'RegistrationRejected',
        data: { endpoint: 'dev-1', reason: 'unknown-endpoint', responseCode: '4.03', address: '192.0.2.1', port: 40000, channel: 'plain', lwm2mVersion: '1.1', rejectedAt: t0.toISOString() },
      },
    ]);
    expect(given(first, register({ device: undefined, now: at(59) }))).toEqual([]);
    expect(given(first, register({ device: undefined, now: at(60) }))[0]?.type).toBe('RegistrationRejected');
  });

  it('rejects a PSK device on the plain channel and accepts it on the PSK channel with its own identity', () => {
    const psk = { securityMode: 'PSK' as const, pskIdentity: 'id-dev-1' };
    const rejection = (command: RegistrationCommand): unknown => {
      const events = given([], command);
      return events[0]?.type === 'RegistrationRejected' ? events[0].data.reason : events[0]?.type;
    };
    expect(rejection(register({ device: psk }))).toBe('security-mode');
    expect(rejection(register({ device: psk, source: dtls('id-dev-1') }))).toBe('DeviceRegistered');
    expect(rejection(register({ device: psk, source: dtls('id-of-another') }))).toBe('identity-mismatch');
    expect(rejection(register({ device: psk, source: dtls(null) }))).toBe('identity-mismatch');
    // A NO_SEC device has no identity: a DTLS session (someone else's key) cannot register it.
    expect(rejection(register({ source: dtls('id-of-another') }))).toBe('identity-mismatch');
  });

  it('refuses an Update from another PSK identity than the registration one', () => {
    const psk = { securityMode: 'PSK' as const, pskIdentity: 'id-dev-1' };
    const events = given([], register({ device: psk, source: dtls('id-dev-1') }));
    expect(given(events, update(1, { source: dtls('id-dev-1') }))[0]?.type).toBe('RegistrationUpdated');
    expect(() => given(events, update(1, { source: dtls('id-of-another') }))).toThrow(/another PSK identity/);
  });

  it('accepts an X509 or RPK device only over a session whose credential is bound to its endpoint', () => {
    const certified = (certifiedEndpoint: string): Source => ({ address: '192.0.2.1', port: 40002, channel: 'certificate', pskIdentity: null, certifiedEndpoint });
    const outcome = (command: RegistrationCommand): unknown => {
      const events = given([], command);
      return events[0]?.type === 'RegistrationRejected' ? events[0].data.reason : events[0]?.type;
    };
    for (const securityMode of ['X509', 'RPK'] as const) {
      const device = { securityMode, pskIdentity: null };
      expect(outcome(register({ device, source: certified('dev-1') }))).toBe('DeviceRegistered');
      expect(outcome(register({ device, source: certified('dev-2') }))).toBe('identity-mismatch');
      expect(outcome(register({ device }))).toBe('security-mode');
      expect(outcome(register({ device, source: dtls('dev-1') }))).toBe('security-mode');
    }
    // Another device's certificate cannot register a NO_SEC device either.
    expect(outcome(register({ source: certified('dev-2') }))).toBe('identity-mismatch');
    const events = given([], register({ device: { securityMode: 'X509', pskIdentity: null }, source: certified('dev-1') }));
    expect(given(events, update(1, { source: certified('dev-1') }))[0]?.type).toBe('RegistrationUpdated');
    expect(() => given(events, update(1, { source: certified('dev-2') }))).toThrow(/another certificate or public key/);
  });

  it('serves TCP as the plain channel and TLS as the PSK or certificate channel (RFC 8323), each keeping its registrations', () => {
    const tcp: Source = { address: '192.0.2.1', port: 40003, channel: 'tcp', pskIdentity: null };
    const tls = (pskIdentity: string | null): Source => ({ address: '192.0.2.1', port: 40004, channel: 'tls', pskIdentity });
    const psk = { securityMode: 'PSK' as const, pskIdentity: 'id-dev-1' };
    const outcome = (command: RegistrationCommand): unknown => {
      const events = given([], command);
      return events[0]?.type === 'RegistrationRejected' ? events[0].data.reason : events[0]?.type;
    };
    expect(outcome(register({ source: tcp }))).toBe('DeviceRegistered');
    expect(outcome(register({ device: psk, source: tcp }))).toBe('security-mode');
    expect(outcome(register({ device: psk, source: tls('id-dev-1') }))).toBe('DeviceRegistered');
    expect(outcome(register({ device: psk, source: tls('id-of-another') }))).toBe('identity-mismatch');
    expect(outcome(register({ device: psk, source: tls(null) }))).toBe('identity-mismatch');
    const overTcp = given([], register({ source: tcp }));
    expect(overTcp[0]).toMatchObject({ data: { registration: { channel: 'tcp', pskIdentity: null } } });
    expect(given(overTcp, update(1, { source: tcp }))[0]?.type).toBe('RegistrationUpdated');
    expect(() => given(overTcp, update(1))).toThrow(/made on the tcp channel/);
    const overTls = given([], register({ device: psk, source: tls('id-dev-1') }));
    expect(() => given(overTls, update(1, { source: dtls('id-dev-1') }))).toThrow(/made on the tls channel/);
    // A TLS certificate channel authenticates as the DTLS one does: the endpoint the certificate is bound to.
    const certified = (certifiedEndpoint: string): Source => ({ address: '192.0.2.1', port: 40005, channel: 'tls-certificate', pskIdentity: null, certifiedEndpoint });
    const x509 = { securityMode: 'X509' as const, pskIdentity: null };
    expect(outcome(register({ device: x509, source: certified('dev-1') }))).toBe('DeviceRegistered');
    expect(outcome(register({ device: x509, source: certified('dev-2') }))).toBe('identity-mismatch');
    expect(outcome(register({ device: x509, source: tls(null) }))).toBe('security-mode');
  });
});

describe('RegistrationDecider: Update and De-register', () => {
  it('records an empty update as a keep-alive that moves the lifetime on', () => {
    const events = given(registered, update(50));
    expect(events).toEqual([
      {
        type: 'RegistrationUpdated',
        data: {
          endpoint: 'dev-1',
          registrationId: 'reg-1',
          address: '192.0.2.1',
          port: 40000,
          previousAddress: null,
          lifetime: null,
          binding: null,
          queueMode: null,
          smsNumber: null,
          objectLinks: null,
          updatedAt: at(50).toISOString(),
        },
      },
    ]);
    // 50 + 60 + 45 grace: not expired at 154 s, expired at 155 s.
    expect(given([...registered, ...events], { type: 'Expire', registrationId: 'reg-1', now: at(154) })).toEqual([]);
    expect(given([...registered, ...events], { type: 'Expire', registrationId: 'reg-1', now: at(155) })[0]?.type).toBe('RegistrationExpired');
  });

  it('records a new source address, new lifetime, queue mode and object links', () => {
    const newLinks: RegisteredObjects = { ...links, objects: [...links.objects, { objectId: 3303, instanceId: 0, version: null }] };
    const events = given(registered, update(5, {
      source: { ...plain, address: '198.51.100.7', port: 1234 },
      parameters: { lifetime: 120, binding: 'U', bindingQueue: null, queueParameter: true, smsNumber: null },
      objectLinks: newLinks,
    }));
    expect(events[0]?.type === 'RegistrationUpdated' && events[0].data).toMatchObject({
      address: '198.51.100.7',
      port: 1234,
      previousAddress: { address: '192.0.2.1', port: 40000 },
      lifetime: 120,
      binding: null,
      queueMode: true,
      objectLinks: newLinks,
    });
    const state = foldEvents(decider, [...registered, ...events]);
    expect(state.registration).toMatchObject({ address: '198.51.100.7', lifetime: 120, queueMode: true, objectLinks: newLinks, lastUpdateAt: at(5).toISOString() });
  });

  it('lets a 1.0 client turn queue mode off with its binding', () => {
    const old = given([], register({ parameters: params({ lwm2mVersion: '1.0', queueMode: true }) }));
    const events = given(old, update(1, { parameters: { lifetime: null, binding: 'U', bindingQueue: false, queueParameter: false, smsNumber: null } }));
    expect(events[0]?.type === 'RegistrationUpdated' && events[0].data.queueMode).toBe(false);
  });

  it('refuses an unknown id, an expired registration and another channel', () => {
    const refusal = (command: RegistrationCommand): string | undefined => {
      try {
        given(registered, command);
        return undefined;
      } catch (error) {
        return error instanceof RegistrationRefused ? error.responseCode : 'other';
      }
    };
    expect(refusal(update(1, { registrationId: 'nope' }))).toBe('4.04');
    expect(refusal(update(105))).toBe('4.04');
    expect(refusal(update(1, { source: dtls(null) }))).toBe('4.03');
    expect(refusal({ type: 'Deregister', registrationId: 'nope', source: plain, now: at(1) })).toBe('4.04');
    expect(() => given([], update(1))).toThrow(RegistrationRefused);
  });

  it('de-registers, after which updates get 4.04 and expiry does nothing', () => {
    const events = given(registered, { type: 'Deregister', registrationId: 'reg-1', source: plain, now: at(3) });
    expect(events).toEqual([
      { type: 'DeviceDeregistered', data: { endpoint: 'dev-1', registrationId: 'reg-1', address: '192.0.2.1', port: 40000, previousAddress: null, deregisteredAt: at(3).toISOString() } },
    ]);
    expect(() => given([...registered, ...events], update(4))).toThrow(RegistrationRefused);
    expect(given([...registered, ...events], { type: 'Expire', registrationId: 'reg-1', now: at(1000) })).toEqual([]);
  });
});

describe('RegistrationDecider: Update and De-register from another address (NoSec)', () => {
  it('accepts both on the registration id alone and records where they came from and where the registration was', () => {
    const elsewhere: Source = { address: '198.51.100.9', port: 61000, channel: 'plain', pskIdentity: null };
    const updated = given(registered, update(1, { source: elsewhere }));
    expect(updated[0]?.data).toMatchObject({ address: '198.51.100.9', port: 61000, previousAddress: { address: '192.0.2.1', port: 40000 } });
    expect(given(registered, { type: 'Deregister', registrationId: 'reg-1', source: elsewhere, now: at(2) })).toEqual([
      {
        type: 'DeviceDeregistered',
        data: {
          endpoint: 'dev-1',
          registrationId: 'reg-1',
          address: '198.51.100.9',
          port: 61000,
          previousAddress: { address: '192.0.2.1', port: 40000 },
          deregisteredAt: at(2).toISOString(),
        },
      },
    ]);
  });
});

describe('RegistrationDecider: Expire', () => {
  it('expires after lifetime plus grace, only the registration it names', () => {
    expect(given(registered, { type: 'Expire', registrationId: 'reg-1', now: at(104) })).toEqual([]);
    expect(given(registered, { type: 'Expire', registrationId: 'other', now: at(1000) })).toEqual([]);
    expect(given(registered, { type: 'Expire', registrationId: 'reg-1', now: at(105) })).toEqual([
      {
        type: 'RegistrationExpired',
        data: { endpoint: 'dev-1', registrationId: 'reg-1', lastUpdateAt: t0.toISOString(), lifetime: 60, graceSeconds: 45, expiredAt: at(105).toISOString() },
      },
    ]);
  });
});

describe('RegistrationDecider: several nodes on one event store', () => {
  const onNodeA = given([], register({ nodeId: 'node-a' }));

  it('records the node a device registered with, and a Register on another node takes the registration over', () => {
    expect(onNodeA).toMatchObject([{ type: 'DeviceRegistered', data: { registration: { nodeId: 'node-a' } } }]);
    const onNodeB = given(onNodeA, register({ registrationId: 'reg-2', nodeId: 'node-b', now: at(10) }));
    expect(onNodeB).toMatchObject([{ type: 'DeviceRegistered', data: { registration: { nodeId: 'node-b' }, replacedRegistrationId: 'reg-1' } }]);
  });

  it('answers 4.04 to an Update that reaches a node not holding the registration, so that the device registers again there', () => {
    expect(() => given(onNodeA, update(30, { nodeId: 'node-b' }))).toThrow(expect.objectContaining({ responseCode: '4.04' }));
    expect(given(onNodeA, update(30, { nodeId: 'node-a' }))).toMatchObject([{ type: 'RegistrationUpdated', data: { endpoint: 'dev-1' } }]);
    expect(given(onNodeA, update(30, { nodeId: 'node-a' }))[0]?.data).not.toHaveProperty('nodeId');
  });

  it('accepts a De-register on any node: the device leaves', () => {
    expect(given(onNodeA, { type: 'Deregister', registrationId: 'reg-1', source: plain, now: at(30) })).toMatchObject([{ type: 'DeviceDeregistered' }]);
  });

  it('replays a registration recorded without a node id as held by whichever node serves it, which its next Update records', () => {
    const legacy = given([], register());
    expect(legacy[0]?.type === 'DeviceRegistered' && legacy[0].data.registration).not.toHaveProperty('nodeId');
    const adopted = given(legacy, update(30, { nodeId: 'node-b' }));
    expect(adopted).toMatchObject([{ type: 'RegistrationUpdated', data: { nodeId: 'node-b' } }]);
    const state = foldEvents(decider, [...legacy, ...adopted]);
    expect(state.registration?.nodeId).toBe('node-b');
    expect(() => given([...legacy, ...adopted], update(40, { nodeId: 'node-a' }))).toThrow(expect.objectContaining({ responseCode: '4.04' }));
  });
});
