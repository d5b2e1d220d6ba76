import { describe, expect, it } from 'vitest';
import { chooseDeliveryMethod } from '../../../src/domain/firmware/FirmwareDeliveryMethod.ts';
import type { FirmwareSource } from '../../../src/domain/firmware/FirmwareRepositoryEvents.ts';
import { updateResultFailure } from '../../../src/domain/firmware/FirmwareUpdateResult.ts';

const stored: FirmwareSource = { kind: 'stored', fileName: 'f.bin', sha256: 'a'.repeat(64), size: 3 };
const served = ['coap://127.0.0.1:5683/fw/f1', 'http://127.0.0.1:4000/fw/f1'];

describe('choosing pull or push from /5/0/8 and /5/0/9', () => {
  it('pulls over CoAP by default (no /5/0/9, no /5/0/8)', () => {
    expect(chooseDeliveryMethod(stored, { deliveryMethod: undefined, protocols: [] }, served)).toEqual({ ok: true, method: 'pull', packageUri: served[0] });
  });

  it('pulls with a protocol the device has, and pushes when it has none the service serves', () => {
    expect(chooseDeliveryMethod(stored, { deliveryMethod: 2, protocols: [2] }, served)).toEqual({ ok: true, method: 'pull', packageUri: served[1] });
    expect(chooseDeliveryMethod(stored, { deliveryMethod: 2, protocols: [1] }, served)).toEqual({ ok: true, method: 'push', packageUri: null });
    expect(chooseDeliveryMethod(stored, { deliveryMethod: 1, protocols: [0] }, served)).toEqual({ ok: true, method: 'push', packageUri: null });
    expect(chooseDeliveryMethod(stored, { deliveryMethod: 0, protocols: [3] }, served)).toMatchObject({ ok: false });
  });

  it('gives an external URL as is, only to a device that pulls with its protocol', () => {
    const external: FirmwareSource = { kind: 'external', url: 'https://fw.example.com/a.bin' };
    expect(chooseDeliveryMethod(external, { deliveryMethod: 2, protocols: [0, 3] }, served)).toEqual({ ok: true, method: 'pull', packageUri: external.url });
    expect(JSON.stringify(chooseDeliveryMethod(external, { deliveryMethod: 0, protocols: [0] }, served))).toMatch(/"ok":false.*does not support the protocol/);
    expect(JSON.stringify(chooseDeliveryMethod(external, { deliveryMethod: 1, protocols: [3] }, served))).toMatch(/"ok":false.*only accepts push/);
  });

  it('names each Update Result failure and none for initial and success', () => {
    expect(updateResultFailure(0)).toBeUndefined();
    expect(updateResultFailure(1)).toBeUndefined();
    expect(updateResultFailure(5)).toBe('integrity check failure for new downloaded package');
    expect(updateResultFailure(9)).toBe('unsupported protocol');
    expect(updateResultFailure(42)).toBe('unknown update result 42');
  });
});
