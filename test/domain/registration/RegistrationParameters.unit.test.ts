import { describe, expect, it } from 'vitest';
import { parseRegisterParameters, parseUpdateParameters } from '../../../src/domain/registration/RegistrationParameters.ts';

describe('parseRegisterParameters', () => {
  it('reads a 1.1 Register with the Q flag', () => {
    expect(parseRegisterParameters(['ep=dev-1', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q'])).toEqual({
      ok: true,
      parameters: { endpoint: 'dev-1', lifetime: 300, lwm2mVersion: '1.1', binding: 'U', queueMode: true, smsNumber: null },
    });
  });

  it('applies the defaults of Core 1.1 section 6.2.1 and reads 1.0 queue mode from the binding', () => {
    expect(parseRegisterParameters(['ep=old', 'b=UQ', 'sms=+4912345'])).toEqual({
      ok: true,
      parameters: { endpoint: 'old', lifetime: 86400, lwm2mVersion: '1.0', binding: 'U', queueMode: true, smsNumber: '+4912345' },
    });
  });

  it('ignores unknown parameters', () => {
    expect(parseRegisterParameters(['ep=x', 'pid=7']).ok).toBe(true);
  });

  it('reads a 1.2 Register: Q without a value, and the MQTT and HTTP binding letters of Transport 1.2', () => {
    expect(parseRegisterParameters(['ep=dev-12', 'lt=600', 'lwm2m=1.2', 'b=UMH', 'Q', 'sms=+4912345', 'apn=internet'])).toEqual({
      ok: true,
      parameters: { endpoint: 'dev-12', lifetime: 600, lwm2mVersion: '1.2', binding: 'UMH', queueMode: true, smsNumber: '+4912345' },
    });
  });

  it.each([
    [[], 'missing'],
    [['ep='], 'missing'],
    [['ep=a', 'ep=b'], 'twice'],
    [['ep=a', 'lt=0'], 'lifetime'],
    [['ep=a', 'lt=ten'], 'lifetime'],
    [['ep=a', 'lt=99999999999'], 'lifetime'],
    [['ep=a', 'b=X'], 'binding'],
    [['ep=a', 'b=UU'], 'binding'],
    [['ep=a', 'b=Q'], 'no transport'],
    [['ep=a', 'lwm2m=one'], 'version'],
    [['ep=a', 'sms=abc'], 'MSISDN'],
    [['ep=a', 'Q=1'], 'no value'],
    [[`ep=${'x'.repeat(256)}`], 'longer'],
  ])('refuses %j (%s)', (query, reason) => {
    const parsed = parseRegisterParameters(query);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});

describe('parseUpdateParameters', () => {
  it('reads nothing from an empty update (a keep-alive)', () => {
    expect(parseUpdateParameters([])).toEqual({ ok: true, parameters: { lifetime: null, binding: null, bindingQueue: null, queueParameter: false, smsNumber: null } });
  });

  it('reads lifetime, binding and queue letters', () => {
    expect(parseUpdateParameters(['lt=90', 'b=UQ'])).toEqual({ ok: true, parameters: { lifetime: 90, binding: 'U', bindingQueue: true, queueParameter: false, smsNumber: null } });
    expect(parseUpdateParameters(['lt=-1']).ok).toBe(false);
  });
});
