/** How operations go on the wire (LwM2M Transport 1.1, the CoAP mapping of Core 1.1 sections 6.3 and 6.4), checked message by message. */
import { describe, expect, it } from 'vitest';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import type { JsonValue } from '../../../src/domain/Json.ts';
import type { OperationKind, UncheckedOperation } from '../../../src/domain/operations/OperationEvents.ts';
import { parsedOperation } from '../../support/TestOperations.ts';
import { buildCancelRequest, buildRequest, cancelsByReset, initialFormat, interpretResponse, parseOperation, validateOperation } from '../../../src/app/operations/OperationRequests.ts';
import type { DeviceProfile } from '../../../src/app/operations/OperationRequests.ts';

const catalog = coreObjectCatalog();
const v11: DeviceProfile = { rootPath: '/', lwm2mVersion: '1.1', contentFormats: [] };
const v10: DeviceProfile = { rootPath: '/lwm2m', lwm2mVersion: '1.0', contentFormats: [] };
const spec = (kind: OperationKind, paths: string[], content: JsonValue | null = null): UncheckedOperation => ({ kind, paths, content });

function built(unchecked: UncheckedOperation, device: DeviceProfile = v11) {
  const operation = parsedOperation(unchecked);
  const result = buildRequest(operation, device, initialFormat(operation, device), catalog);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

describe('operation requests', () => {
  it('reads and observes with an Accept chosen by version, under the alternate root path', () => {
    expect(built(spec('read', ['/3/0']))).toEqual({ method: 'GET', path: ['3', '0'], accept: 112 });
    expect(built(spec('read', ['/3/0']), v10)).toEqual({ method: 'GET', path: ['lwm2m', '3', '0'], accept: 11542 });
    expect(built(spec('observe', ['/3303/0/5700']))).toEqual({ method: 'GET', path: ['3303', '0', '5700'], accept: 112, observe: 0 });
    expect(built(spec('discover', ['/3']))).toEqual({ method: 'GET', path: ['3'], accept: 40 });
  });

  it('uses the format an operator chose, and refuses one that does not fit the operation', () => {
    expect(built({ ...spec('read', ['/3/0/9']), format: 60 })).toEqual({ method: 'GET', path: ['3', '0', '9'], accept: 60 });
    expect(built({ ...spec('observe', ['/3/0']), format: 11542 })).toEqual({ method: 'GET', path: ['3', '0'], accept: 11542, observe: 0 });
    expect(built({ ...spec('write-replace', ['/3/0/14'], { values: [{ path: '/3/0/14', text: '+02' }] }), format: 60 })).toMatchObject({ contentFormat: 60, payload: Uint8Array.of(0x63, 0x2b, 0x30, 0x32) });
    expect(built({ ...spec('read-composite', ['/3/0/2']), format: 110 })).toMatchObject({ contentFormat: 110, accept: 110 });
    expect(validateOperation({ ...spec('read', ['/3/0']), format: 60 }, catalog)).toEqual({ ok: false, reason: 'content format 60 does not fit read /3/0 (usable: 11544, 112, 110, 11542, 11543, 1542, 1543)' });
    expect(validateOperation({ ...spec('read-composite', ['/3/0']), format: 11542 }, catalog).ok).toBe(false);
    expect(validateOperation({ ...spec('delete', ['/3/0']), format: 110 }, catalog)).toEqual({ ok: false, reason: 'delete takes no content format' });
  });

  it('discovers with a depth and observes with attributes in the query, and refuses them malformed', () => {
    expect(built(spec('discover', ['/3'], { depth: 1 }))).toEqual({ method: 'GET', path: ['3'], accept: 40, query: ['depth=1'] });
    expect(built(spec('observe', ['/3303/0/5700'], { pmin: 10, pmax: 60, gt: 30.5, lt: 5, st: 0.5, epmin: 1, epmax: 100 }))).toEqual({
      method: 'GET',
      path: ['3303', '0', '5700'],
      accept: 112,
      query: ['pmin=10', 'pmax=60', 'gt=30.5', 'lt=5', 'st=0.5', 'epmin=1', 'epmax=100'],
      observe: 0,
    });
    expect(validateOperation(spec('discover', ['/3'], { depth: 4 }), catalog)).toEqual({ ok: false, reason: 'discover content must be null or { "depth": 0..3 }' });
    expect(validateOperation(spec('observe', ['/3/0/9'], { pmin: null }), catalog)).toEqual({ ok: false, reason: 'observe attributes must be numbers' });
    expect(validateOperation(spec('observe', ['/3/0/9'], { often: 1 }), catalog)).toEqual({ ok: false, reason: 'unknown attribute often (known: pmin, pmax, gt, lt, st, epmin, epmax, edge, con, hqmax)' });
    expect(validateOperation(spec('cancel-observation', ['/3/0/9'], { reset: 'yes' }), catalog)).toEqual({ ok: false, reason: 'cancel-observation content must be null or { "reset": true }' });
  });

  it('cancels an observation with the Observe it ends again, Observe 1 and every other option identical (RFC 7641 section 3.6)', () => {
    expect(buildCancelRequest({ paths: ['/3303/0/5700'], composite: false, format: 110, query: ['pmin=10'] }, v11)).toEqual({
      ok: true,
      value: { method: 'GET', path: ['3303', '0', '5700'], accept: 110, query: ['pmin=10'], observe: 1 },
    });
    expect(buildCancelRequest({ paths: ['/3/0'], composite: true, format: 110, query: [] }, v11)).toMatchObject({ ok: true, value: { method: 'FETCH', path: [], contentFormat: 110, accept: 110, observe: 1 } });
    // Recorded before the format was kept: the format the registration gives, as it was observed with.
    expect(buildCancelRequest({ paths: ['/3/0'], composite: false, format: undefined, query: [] }, v10)).toEqual({ ok: true, value: { method: 'GET', path: ['lwm2m', '3', '0'], accept: 11542, observe: 1 } });
  });

  it('reads and observes the root "/" as a composite, and no other operation', () => {
    const root = built(spec('read-composite', ['/']));
    expect(root).toMatchObject({ method: 'FETCH', path: [], contentFormat: 112 });
    expect(built({ ...spec('observe-composite', ['/']), format: 110 }).payload).toEqual(new TextEncoder().encode('[{"n":"/"}]'));
    expect(validateOperation(spec('read-composite', ['/']), catalog)).toEqual({ ok: true, value: undefined });
    expect(validateOperation(spec('read', ['/']), catalog)).toEqual({ ok: false, reason: 'invalid LwM2M path "/": it names no object' });
  });

  it('writes attributes as a query and executes with text arguments', () => {
    expect(built(spec('write-attributes', ['/3303/0/5700'], { pmin: 10, gt: 30.5, epmax: null }))).toEqual({ method: 'PUT', path: ['3303', '0', '5700'], query: ['pmin=10', 'gt=30.5', 'epmax'] });
    const execute = built(spec('execute', ['/3/0/4'], "0='now'"));
    expect(execute).toMatchObject({ method: 'POST', path: ['3', '0', '4'], contentFormat: 0 });
    expect(new TextDecoder().decode(execute.payload)).toBe("0='now'");
    expect(built(spec('delete', ['/3303/1']))).toEqual({ method: 'DELETE', path: ['3303', '1'] });
  });

  it('writes the 1.2 attributes edge, con and hqmax to a 1.2 device, in Write-Attributes and an Observe, and refuses them below 1.2', () => {
    const v12: DeviceProfile = { ...v11, lwm2mVersion: '1.2' };
    const attributes = { edge: 1, con: 0, hqmax: 10, pmin: 5 };
    expect(built(spec('write-attributes', ['/3303/0/5700'], attributes), v12)).toEqual({ method: 'PUT', path: ['3303', '0', '5700'], query: ['edge=1', 'con=0', 'hqmax=10', 'pmin=5'] });
    expect(built(spec('write-attributes', ['/3/0'], { con: null }), v12)).toEqual({ method: 'PUT', path: ['3', '0'], query: ['con'] });
    expect(built(spec('observe', ['/3303/0/5700'], { con: 1 }), v12)).toMatchObject({ query: ['con=1'], observe: 0 });
    for (const device of [v11, v10]) {
      expect(buildRequest(parsedOperation(spec('write-attributes', ['/3303/0/5700'], attributes)), device, undefined, catalog)).toEqual({
        ok: false,
        reason: `edge, con, hqmax need LwM2M 1.2 (Core 1.2 section 5.1.2); the device registered with ${device.lwm2mVersion}`,
      });
    }
    expect(built(spec('write-attributes', ['/3303/0/5700'], { epmin: 1 }), v10)).toEqual({ method: 'PUT', path: ['lwm2m', '3303', '0', '5700'], query: ['epmin=1'] });
    expect(validateOperation(spec('write-attributes', ['/3303/0/5700'], { edge: 2 }), catalog)).toEqual({ ok: false, reason: 'edge must be 0 or 1' });
    expect(validateOperation(spec('write-attributes', ['/3303/0/5700'], { hqmax: -1 }), catalog)).toEqual({ ok: false, reason: 'hqmax must be a whole number from 0' });
    expect(validateOperation(spec('write-attributes', ['/3303/0/5700'], { pmin: 1.5 }), catalog)).toEqual({ ok: false, reason: 'pmin must be a whole number of seconds from 0' });
  });

  it('encodes writes, create and composite operations in the chosen format', () => {
    const write = built(spec('write-replace', ['/3/0/14'], { values: [{ path: '/3/0/14', text: '+02' }] }), { ...v11, contentFormats: [110] });
    expect(write).toMatchObject({ method: 'PUT', path: ['3', '0', '14'], contentFormat: 110 });
    expect(JSON.parse(new TextDecoder().decode(write.payload))).toEqual([{ bn: '/3/0/14', vs: '+02' }]);
    expect(built(spec('write-partial', ['/3/0'], { values: [{ path: '/3/0/14', text: '+02' }] }))).toMatchObject({ method: 'POST', contentFormat: 112 });
    expect(built(spec('create', ['/3303'], { values: [{ path: '/3303/1/5700', text: '1.5' }] }))).toMatchObject({ method: 'POST', path: ['3303'] });
    expect(built(spec('read-composite', ['/3/0/2', '/3303/0/5700']))).toMatchObject({ method: 'FETCH', path: [], contentFormat: 112, accept: 112 });
    expect(built(spec('observe-composite', ['/3303/0/5700']))).toMatchObject({ method: 'FETCH', observe: 0 });
    expect(built(spec('write-composite', ['/3/0/14'], { values: [{ path: '/3/0/14', text: 'x' }] }))).toMatchObject({ method: 'iPATCH', contentFormat: 112 });
    const composite10 = buildRequest(parsedOperation(spec('read-composite', ['/3/0/2'])), v10, initialFormat(parsedOperation(spec('read-composite', ['/3/0/2'])), v10), catalog);
    expect(composite10).toEqual({ ok: false, reason: 'composite operations need LwM2M 1.1 or later (the device registered 1.0)' });
  });

  it('refuses bad operations before they are queued, with the reason', () => {
    expect(validateOperation(spec('read', []), catalog)).toEqual({ ok: false, reason: 'an operation needs at least one path' });
    expect(validateOperation(spec('read', ['/3/0', '/4/0']), catalog)).toEqual({ ok: false, reason: 'read takes exactly one path' });
    expect(validateOperation(spec('write-replace', ['/3/0/14'], { values: [{ path: '/3/0/9', text: 'lots' }] }), catalog).ok).toBe(false);
    const attributes = validateOperation(spec('write-attributes', ['/3/0/9'], { often: 1 }), catalog);
    expect(!attributes.ok && attributes.reason).toBe('unknown attribute often (known: pmin, pmax, gt, lt, st, epmin, epmax, edge, con, hqmax)');
    expect(validateOperation(spec('execute', ['/3/0/4'], { a: 1 }), catalog)).toEqual({ ok: false, reason: 'execute arguments must be a string' });
  });

  it('decodes a read answer into typed values, and says why an answer is unusable', () => {
    const answer = { code: '2.05', payload: new TextEncoder().encode('21.5'), contentFormat: 0, options: [] };
    const read = interpretResponse(parsedOperation(spec('read', ['/3303/0/5700'])), answer, 0, catalog, new Date());
    expect(read).toMatchObject({ ok: true, value: { content: { contentFormat: 0, values: [{ path: '/3303/0/5700', type: 'float', text: '21.5' }] } } });
    const broken = interpretResponse(parsedOperation(spec('read', ['/3303/0/5700'])), { ...answer, payload: new TextEncoder().encode('warm') }, 0, catalog, new Date());
    expect(broken.ok).toBe(false);
    const links = interpretResponse(parsedOperation(spec('discover', ['/3'])), { ...answer, contentFormat: 40, payload: new TextEncoder().encode('</3/0>;pmin=10,</3/0/1>') }, 40, catalog, new Date());
    expect(links).toEqual({ ok: true, value: { content: { links: [{ target: '/3/0', attributes: { pmin: '10' } }, { target: '/3/0/1', attributes: {} }] }, values: [] } });
  });

  it('reads an operation stored while its content was any JSON value as it is, and builds the same request from it', () => {
    // OperationRequested events in the log hold the operation as it was requested, its content untyped JSON.
    const stored = {
      write: { kind: 'write-replace', paths: ['/3/0/14'], content: { values: [{ path: '/3/0/14', type: 'string', text: '+02' }] }, format: 60 },
      observe: { kind: 'observe', paths: ['/3303/0/5700'], content: { pmin: 10, gt: 30.5 } },
      attributes: { kind: 'write-attributes', paths: ['/3/0/9'], content: { pmax: 60, lt: null } },
      discover: { kind: 'discover', paths: ['/3'], content: { depth: 1 } },
      execute: { kind: 'execute', paths: ['/3/0/4'], content: "0='on',1" },
      cancel: { kind: 'cancel-observation', paths: ['/3/0/9'], content: { reset: true } },
      composite: { kind: 'read-composite', paths: ['/3/0/2', '/3303/0/5700'], content: null },
    } satisfies Record<string, UncheckedOperation>;
    for (const old of Object.values(stored)) expect(parseOperation(old)).toEqual({ ok: true, value: old });
    expect(built(stored.write)).toMatchObject({ method: 'PUT', contentFormat: 60, payload: Uint8Array.of(0x63, 0x2b, 0x30, 0x32) });
    expect(built(stored.observe)).toMatchObject({ method: 'GET', query: ['pmin=10', 'gt=30.5'], observe: 0 });
    expect(built(stored.attributes)).toEqual({ method: 'PUT', path: ['3', '0', '9'], query: ['pmax=60', 'lt'] });
    expect(built(stored.discover)).toEqual({ method: 'GET', path: ['3'], accept: 40, query: ['depth=1'] });
    expect(built(stored.execute)).toMatchObject({ method: 'POST', contentFormat: 0, payload: new TextEncoder().encode("0='on',1") });
    expect(cancelsByReset(parsedOperation(stored.cancel))).toBe(true);
    expect(built(stored.composite)).toMatchObject({ method: 'FETCH', path: [] });
  });
});
