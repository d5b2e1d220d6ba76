/**
 * The uplink router of a CoAP port: a request goes to the handler of its first Uri-Path segment, the
 * rest to the fallback, and a segment is routed once.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingCoapRequest } from '../../../src/adapters/coap/CoapEndpoint.ts';
import { CoapRouter } from '../../../src/adapters/coap/CoapRouter.ts';

function request(path: readonly string[]): IncomingCoapRequest {
  return { peer: { address: '192.0.2.1', port: 5683 }, method: 'POST', path, query: [], contentFormat: undefined, accept: undefined, observe: undefined, payload: new Uint8Array(), options: [] };
}

describe('CoAP uplink router', () => {
  it('hands a request to the handler of its first path segment, whatever follows it', async () => {
    const router = new CoapRouter().route('rd', () => ({ code: '2.01' })).route('dp', () => ({ code: '2.04' }));
    expect(await router.handle(request(['rd']))).toEqual({ code: '2.01' });
    expect(await router.handle(request(['rd', 'a1b2']))).toEqual({ code: '2.01' });
    expect(await router.handle(request(['dp']))).toEqual({ code: '2.04' });
  });

  it('answers 4.04 for an unrouted path or the root, unless a fallback is given', async () => {
    const router = new CoapRouter().route('bs', () => ({ code: '2.04' }));
    expect(await router.handle(request(['fw', 'f1']))).toEqual({ code: '4.04' });
    expect(await router.handle(request([]))).toEqual({ code: '4.04' });
    const withFallback = new CoapRouter(() => ({ code: '4.00' })).route('bs', () => ({ code: '2.04' }));
    expect(await withFallback.handle(request(['rdx']))).toEqual({ code: '4.00' });
  });

  it('refuses a second handler for a routed segment', () => {
    const router = new CoapRouter().route('dp', () => ({ code: '2.04' }));
    expect(() => router.route('dp', () => ({ code: '2.04' }))).toThrow(/\/dp is already routed/);
  });
});
