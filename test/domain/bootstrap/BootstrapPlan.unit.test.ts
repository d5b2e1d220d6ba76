import { Decoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBootstrapPack, buildBootstrapPlan, describeStep, freeInstanceIds, IncompleteBootstrapData, bootstrapContentFormat } from '../../../src/domain/bootstrap/BootstrapPlan.ts';
import type { BootstrapDefaults, BootstrapPlan, BootstrapStep } from '../../../src/domain/bootstrap/BootstrapPlan.ts';
import type { DeviceRegistrationData } from '../../../src/domain/devices/DeviceEvents.ts';
import { decodeContent, encodeContent } from '../../../src/domain/lwm2m/content/ContentCodecs.ts';
import { CONTENT_FORMAT } from '../../../src/domain/lwm2m/content/ContentFormat.ts';
import type { LwM2mNode, LwM2mValue } from '../../../src/domain/lwm2m/LwM2mValue.ts';
import { formatPath } from '../../../src/domain/lwm2m/LwM2mPath.ts';
import { findResource } from '../../../src/domain/lwm2m/ObjectModel.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { testDeviceData } from '../../support/TestDevices.ts';

const defaults: BootstrapDefaults = {
  lwm2mServerUri: { plain: 'coap://h', secure: 'coaps://lwm2m.example.com:5684' },
  bootstrapServerUri: { plain: 'coap://bs.example.com:5783', secure: 'coaps://bs.example.com:5784' },
  lifetime: 86400,
};

const sealedPlaceholder = { sealed: 'x', fingerprint: 'y' };
const lwm2mKey = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
const bootstrapKey = Uint8Array.from([0xfe, 0xdc, 0xba, 0x98]);

/** Every optional column set, as in the PSK fixture's second row. */
const fullDevice: DeviceRegistrationData = {
  ...testDeviceData('lwm2m-psk-0002', 'PSK'),
  serverUri: 'coaps://lwm2m.example.com:5684',
  lwm2mPskId: 'lwm2m-psk-0002',
  lwm2mPskKey: sealedPlaceholder,
  bootstrapPskId: 'lwm2m-psk-0002-bs',
  bootstrapPskKey: sealedPlaceholder,
  generateBootstrapServerConfig: true,
  securityInstanceOffset: 3,
  bootstrapShortServerId: 100,
  lwm2mShortServerId: 101,
  registrationLifetime: 3600,
  defaultMinimumPeriod: 10,
  defaultMaximumPeriod: 900,
  bindingMode: 'UQ',
  notificationIfDisabled: false,
  disableTimeout: 7200,
  externalBootstrapPskId: 'ext-bs-0002',
};

const fullKeys = { lwm2mPskKey: lwm2mKey, bootstrapPskKey: bootstrapKey };

function hex(text: string): Uint8Array {
  return Uint8Array.from((text.replace(/\s+/g, '').match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
}

function writes(plan: BootstrapPlan): Extract<BootstrapStep, { kind: 'write' }>[] {
  return plan.steps.filter((step): step is Extract<BootstrapStep, { kind: 'write' }> => step.kind === 'write');
}

function valueAt(node: LwM2mNode, resourceId: number): LwM2mValue | undefined {
  if (node.kind !== 'objectInstance') return undefined;
  const resource = node.resources.get(resourceId);
  return resource?.kind === 'resource' ? resource.value : undefined;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('buildBootstrapPlan', () => {
  it('deletes /0 and /1, writes the server account past the factory account assumed at /0/0 and finishes, in TLV, for a NO_SEC device of a 1.0 client', () => {
    const plan = buildBootstrapPlan(testDeviceData('dev-1'), { lwm2mPskKey: null, bootstrapPskKey: null }, defaults, null);
    expect(plan.contentFormat).toBe(CONTENT_FORMAT.tlv);
    expect(plan.kept).toEqual({ basis: 'assumed', securityInstances: [0] });
    expect(plan.steps.map(describeStep)).toEqual([
      { kind: 'delete', target: '/0', purpose: null },
      { kind: 'delete', target: '/1', purpose: null },
      { kind: 'write', target: '/0/1', purpose: 'lwm2m-server-security' },
      { kind: 'write', target: '/1/1', purpose: 'lwm2m-server' },
      { kind: 'finish', target: '/bs', purpose: null },
    ]);
  });

  it('skips the Security instances a Discover found kept, from the offset upward, and discovers again before Bootstrap-Finish', () => {
    const device = { ...testDeviceData('dev-1'), generateBootstrapServerConfig: true };
    const noKeys = { lwm2mPskKey: null, bootstrapPskKey: null };
    const targets = (plan: BootstrapPlan): string[] => plan.steps.map(describeStep).map((step) => `${step.kind} ${step.target}`);
    const keptAtZero = buildBootstrapPlan(device, noKeys, defaults, CONTENT_FORMAT.senmlCbor, { basis: 'discovered', securityInstances: [0] });
    // The generated Bootstrap-Server account replaces the device's own.
    expect(targets(keptAtZero)).toEqual(['discover /', 'delete /0', 'delete /1', 'write /0/1', 'write /1/1', 'write /0/0', 'discover /', 'finish /bs']);
    // A device that keeps its account at /0/1 (as Anjay does) is written from /0/0, around it.
    const keptAtOne = buildBootstrapPlan(device, noKeys, defaults, CONTENT_FORMAT.senmlCbor, { basis: 'discovered', securityInstances: [1] });
    expect(writes(keptAtOne).map((write) => formatPath(write.target))).toEqual(['/0/0', '/1/0', '/0/1']);
    expect(writes(keptAtOne).map((write) => write.node.id)).toEqual([0, 0, 1]);
    const keptPastOffset = buildBootstrapPlan({ ...device, securityInstanceOffset: 4 }, noKeys, defaults, CONTENT_FORMAT.tlv, { basis: 'discovered', securityInstances: [4, 6] });
    expect(writes(keptPastOffset).map((write) => formatPath(write.target))).toEqual(['/0/5', '/1/5', '/0/4']);
    const nothingKept = buildBootstrapPlan(device, noKeys, defaults, CONTENT_FORMAT.tlv, { basis: 'discovered', securityInstances: [] });
    expect(writes(nothingKept).map((write) => formatPath(write.target))).toEqual(['/0/0', '/1/0', '/0/1']);
  });

  it('wraps to the lowest free instance id past the last one', () => {
    expect(freeInstanceIds(65533, [0, 65534], 2)).toEqual([65533, 1]);
    expect(freeInstanceIds(0, [], 1)).toEqual([0]);
  });

  it('encodes the NO_SEC Security and Server instances byte for byte in TLV (Core 1.1 section 7.4.3)', () => {
    const plan = buildBootstrapPlan(testDeviceData('dev-1'), { lwm2mPskKey: null, bootstrapPskKey: null }, defaults, null);
    const [security, server] = writes(plan);
    if (!security || !server) throw new Error('two writes expected');
    const securityBytes = encodeContent(plan.contentFormat, security.node, security.target);
    // /0/0/0 "coap://h" (string, 8 bytes: length in its own byte), /0/0/1 false, /0/0/2 3 (NoSec), /0/0/10 1.
    expect(securityBytes).toEqual({ ok: true, value: hex('C8 00 08 636F61703A2F2F68  C1 01 00  C1 02 03  C1 0A 01') });
    const serverBytes = encodeContent(plan.contentFormat, server.node, server.target);
    // /1/0/0 1, /1/0/1 86400 (4 bytes), /1/0/6 true (storing: the definition's default), /1/0/7 "U".
    expect(serverBytes).toEqual({ ok: true, value: hex('C1 00 01  C4 01 00015180  C1 06 01  C1 07 55') });
  });

  it('writes every CSV column of a PSK device, instance ids from the offset, and the bootstrap server account over the assumed one', () => {
    const plan = buildBootstrapPlan(fullDevice, fullKeys, defaults, CONTENT_FORMAT.senmlCbor);
    expect(plan.contentFormat).toBe(CONTENT_FORMAT.senmlCbor);
    expect(plan.steps.map(describeStep).map((step) => `${step.kind} ${step.target}`)).toEqual([
      'discover /',
      'delete /0',
      'delete /1',
      'write /0/3',
      'write /1/3',
      'write /0/0',
      'discover /',
      'finish /bs',
    ]);
    const [security, server, bootstrap] = writes(plan);
    if (!security || !server || !bootstrap) throw new Error('three writes expected');
    expect(valueAt(security.node, 0)).toEqual({ type: 'string', value: 'coaps://lwm2m.example.com:5684' });
    expect(valueAt(security.node, 1)).toEqual({ type: 'boolean', value: false });
    expect(valueAt(security.node, 2)).toEqual({ type: 'integer', value: 0n });
    expect(valueAt(security.node, 3)).toEqual({ type: 'opaque', value: utf8('lwm2m-psk-0002') });
    expect(valueAt(security.node, 5)).toEqual({ type: 'opaque', value: lwm2mKey });
    expect(valueAt(security.node, 10)).toEqual({ type: 'integer', value: 101n });
    expect([...(server.node.resources.keys())]).toEqual([0, 1, 2, 3, 5, 6, 7]);
    expect([0, 1, 2, 3, 5, 6, 7].map((id) => valueAt(server.node, id)?.value)).toEqual([101n, 3600n, 10n, 900n, 7200n, false, 'UQ']);
    expect(valueAt(bootstrap.node, 0)).toEqual({ type: 'string', value: 'coaps://bs.example.com:5784' });
    expect(valueAt(bootstrap.node, 1)).toEqual({ type: 'boolean', value: true });
    expect(valueAt(bootstrap.node, 2)).toEqual({ type: 'integer', value: 0n });
    expect(valueAt(bootstrap.node, 3)).toEqual({ type: 'opaque', value: utf8('lwm2m-psk-0002-bs') });
    expect(valueAt(bootstrap.node, 5)).toEqual({ type: 'opaque', value: bootstrapKey });
    expect(valueAt(bootstrap.node, 10)).toEqual({ type: 'integer', value: 100n });
  });

  it('writes the binding T (and TQ) for a server URI of CoAP over TCP or TLS (RFC 8323 section 8)', () => {
    const binding = (serverUri: string, bindingMode: 'U' | 'UQ'): unknown => {
      const [, server] = writes(buildBootstrapPlan({ ...fullDevice, serverUri, bindingMode }, fullKeys, defaults, null));
      return server && valueAt(server.node, 7)?.value;
    };
    expect(binding('coaps+tcp://lwm2m.example.com:5684', 'U')).toBe('T');
    expect(binding('coaps+tcp://lwm2m.example.com:5684', 'UQ')).toBe('TQ');
    expect(binding('coap+tcp://lwm2m.example.com:5683', 'U')).toBe('T');
    expect(binding('coaps://lwm2m.example.com:5684', 'UQ')).toBe('UQ');
  });

  it('uses the service defaults: its own URI by security mode, the default lifetime', () => {
    const plan = buildBootstrapPlan({ ...fullDevice, serverUri: null, registrationLifetime: null }, fullKeys, defaults, null);
    const [security, server] = writes(plan);
    expect(security && valueAt(security.node, 0)).toEqual({ type: 'string', value: defaults.lwm2mServerUri.secure });
    expect(server && valueAt(server.node, 1)).toEqual({ type: 'integer', value: 86400n });
  });

  it('writes a NoSec bootstrap account when the device has no bootstrap PSK', () => {
    const plan = buildBootstrapPlan({ ...testDeviceData('dev-2'), generateBootstrapServerConfig: true }, { lwm2mPskKey: null, bootstrapPskKey: null }, defaults, null);
    const bootstrap = writes(plan)[2];
    expect(bootstrap?.target).toEqual({ objectId: 0, instanceId: 0 });
    expect(bootstrap && [...bootstrap.node.resources.keys()]).toEqual([0, 1, 2, 10]);
    expect(bootstrap && valueAt(bootstrap.node, 0)).toEqual({ type: 'string', value: defaults.bootstrapServerUri.plain });
    expect(bootstrap && valueAt(bootstrap.node, 2)).toEqual({ type: 'integer', value: 3n });
  });

  it('refuses a PSK device without its key', () => {
    expect(() => buildBootstrapPlan(fullDevice, { lwm2mPskKey: null, bootstrapPskKey: null }, defaults, null)).toThrow(IncompleteBootstrapData);
  });

  it('writes an X509 or RPK device its mode, its certificate or public key and the server credential, never a secret key', () => {
    const noKeys = { lwm2mPskKey: null, bootstrapPskKey: null };
    const serverCredential = { certificate: Uint8Array.from([0x30, 0x01, 0xaa]), publicKeyInfo: Uint8Array.from([0x30, 0x01, 0xbb]) };
    const withCredential = { ...defaults, serverCredential };
    const security = (device: DeviceRegistrationData, given: BootstrapDefaults = withCredential): LwM2mNode | undefined => writes(buildBootstrapPlan(device, noKeys, given, null))[0]?.node;
    const opaque = (...bytes: number[]): LwM2mValue => ({ type: 'opaque', value: Uint8Array.from(bytes) });

    const pinned = security({ ...testDeviceData('x509-1', 'X509'), lwm2mPskId: null, certificate: 'MAHM' });
    expect(pinned?.kind === 'objectInstance' && [...pinned.resources.keys()]).toEqual([0, 1, 2, 3, 4, 10]);
    expect(pinned && valueAt(pinned, 0)).toEqual({ type: 'string', value: defaults.lwm2mServerUri.secure });
    expect(pinned && valueAt(pinned, 2)).toEqual({ type: 'integer', value: 2n });
    expect(pinned && valueAt(pinned, 3)).toEqual(opaque(0x30, 0x01, 0xcc));
    expect(pinned && valueAt(pinned, 4)).toEqual(opaque(0x30, 0x01, 0xaa));

    const byName = security({ ...testDeviceData('x509-2', 'X509'), lwm2mPskId: null, serverPublicKey: 'MAHd' });
    expect(byName?.kind === 'objectInstance' && [...byName.resources.keys()]).toEqual([0, 1, 2, 4, 10]);
    expect(byName && valueAt(byName, 4)).toEqual(opaque(0x30, 0x01, 0xdd));

    const rpk = security({ ...testDeviceData('rpk-1', 'RPK'), lwm2mPskId: null, publicKey: 'MAHu' });
    expect(rpk && valueAt(rpk, 2)).toEqual({ type: 'integer', value: 1n });
    expect(rpk && valueAt(rpk, 3)).toEqual(opaque(0x30, 0x01, 0xee));
    expect(rpk && valueAt(rpk, 4)).toEqual(opaque(0x30, 0x01, 0xbb));
    expect(rpk?.kind === 'objectInstance' && rpk.resources.has(5)).toBe(false);

    expect(() => security({ ...testDeviceData('rpk-2', 'RPK'), lwm2mPskId: null, publicKey: 'MAHu' }, defaults)).toThrow(/needs a serverPublicKey/);
  });

  it('chooses the format: TLV without pct, the pct when it can carry an object instance, else SenML CBOR', () => {
    expect(bootstrapContentFormat(null)).toBe(CONTENT_FORMAT.tlv);
    expect(bootstrapContentFormat(CONTENT_FORMAT.tlv)).toBe(CONTENT_FORMAT.tlv);
    expect(bootstrapContentFormat(CONTENT_FORMAT.senmlJson)).toBe(CONTENT_FORMAT.senmlJson);
    expect(bootstrapContentFormat(CONTENT_FORMAT.textPlain)).toBe(CONTENT_FORMAT.senmlCbor);
    expect(bootstrapContentFormat(CONTENT_FORMAT.lwm2mJson)).toBe(CONTENT_FORMAT.senmlCbor);
  });
});

describe('buildBootstrapPack', () => {
  it('holds the writes of the Bootstrap-Request plan in one pack step, in SenML CBOR, with no Discover, Delete or Finish', () => {
    const pack = buildBootstrapPack(fullDevice, fullKeys, defaults);
    expect(pack.contentFormat).toBe(CONTENT_FORMAT.senmlCbor);
    expect(pack.kept).toEqual({ basis: 'assumed', securityInstances: [0] });
    expect(pack.steps.map(describeStep)).toEqual([{ kind: 'pack', target: '/bspack', purpose: null }]);
    const [step] = pack.steps;
    if (step?.kind !== 'pack') throw new Error('one pack step expected');
    expect(step.writes).toEqual(writes(buildBootstrapPlan(fullDevice, fullKeys, defaults, null)));
    expect(step.writes.map((write) => `${write.purpose} ${formatPath(write.target)}`)).toEqual(['lwm2m-server-security /0/3', 'lwm2m-server /1/3', 'bootstrap-server-security /0/0']);
  });

  it('refuses a PSK device without its key, as the Bootstrap-Request plan does', () => {
    expect(() => buildBootstrapPack(fullDevice, { lwm2mPskKey: null, bootstrapPskKey: null }, defaults)).toThrow(IncompleteBootstrapData);
  });
});

describe('Bootstrap-Write content against the object definitions of objects 0 and 1', () => {
  const catalog = coreObjectCatalog();
  const plan = buildBootstrapPlan(fullDevice, fullKeys, defaults, null);

  for (const version of ['1.0', '1.1']) {
    it(`writes only writable-by-bootstrap resources of the ${version} definitions, with their types`, () => {
      for (const write of writes(plan)) {
        const model = catalog.object(write.target.objectId, version);
        if (!model) throw new Error(`no model of object ${write.target.objectId} ${version}`);
        for (const [id, resource] of write.node.resources) {
          const definition = findResource(model, id);
          expect(definition, `/${write.target.objectId}/x/${id}`).toBeDefined();
          expect(definition?.multiple).toBe(false);
          expect(resource.kind === 'resource' && resource.value.type).toBe(definition?.type);
          expect(definition?.operations).not.toBe('E');
        }
        // The mandatory resources of the definition that the plan writes (the keys only for PSK).
        const mandatory = model.resources.filter((r) => r.mandatory && r.operations !== 'E' && ![3, 4, 5].includes(r.id)).map((r) => r.id);
        for (const id of mandatory) expect(write.node.resources.has(id), `mandatory /${write.target.objectId}/x/${id}`).toBe(true);
      }
    });
  }

  for (const [name, format] of [
    ['TLV', CONTENT_FORMAT.tlv],
    ['SenML CBOR', CONTENT_FORMAT.senmlCbor],
  ] as const) {
    it(`decodes each ${name} write back to the CSV's values`, () => {
      for (const write of writes(plan)) {
        const bytes = encodeContent(format, write.node, write.target);
        if (!bytes.ok) throw new Error(bytes.error.message);
        const decoded = decodeContent(format, bytes.value, write.target, catalog);
        expect(decoded).toEqual({ ok: true, value: write.node });
      }
    });
  }

  it('names each resource of the SenML CBOR write by its full path, with the labels of RFC 8428 (checked with cbor-x)', () => {
    const security = writes(plan)[0] as Extract<BootstrapStep, { kind: 'write' }>;
    const bytes = encodeContent(CONTENT_FORMAT.senmlCbor, security.node, security.target);
    if (!bytes.ok) throw new Error(bytes.error.message);
    const records = new Decoder({ mapsAsObjects: false, useRecords: false }).decode(bytes.value) as Map<number, unknown>[];
    const byPath = new Map<string, Map<number, unknown>>();
    let baseName = '';
    for (const record of records) {
      if (typeof record.get(-2) === 'string') baseName = record.get(-2) as string;
      const name = record.get(0);
      byPath.set(`${baseName}${typeof name === 'string' ? name : ''}`, record);
    }
    // vs (3) string, vb (4) boolean, v (2) number, vd (8) bytes.
    expect(byPath.get('/0/3/0')?.get(3)).toBe('coaps://lwm2m.example.com:5684');
    expect(byPath.get('/0/3/1')?.get(4)).toBe(false);
    expect(byPath.get('/0/3/2')?.get(2)).toBe(0);
    expect(Uint8Array.from(byPath.get('/0/3/3')?.get(8) as Uint8Array)).toEqual(utf8('lwm2m-psk-0002'));
    expect(Uint8Array.from(byPath.get('/0/3/5')?.get(8) as Uint8Array)).toEqual(lwm2mKey);
    expect(byPath.get('/0/3/10')?.get(2)).toBe(101);
    expect(byPath.size).toBe(6);
  });
});

describe('Bootstrap-Write content for any registration data (property)', () => {
  const catalog = coreObjectCatalog();
  const id16 = fc.integer({ min: 0, max: 65534 });
  const optionalSeconds = fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: null });
  const device = fc.record({
    securityMode: fc.constantFrom('NO_SEC' as const, 'PSK' as const),
    serverUri: fc.option(fc.webUrl(), { nil: null }),
    lwm2mPskId: fc.string({ minLength: 1, maxLength: 128 }),
    bootstrapPskId: fc.option(fc.string({ minLength: 1, maxLength: 128 }), { nil: null }),
    generateBootstrapServerConfig: fc.boolean(),
    securityInstanceOffset: fc.integer({ min: 0, max: 65533 }),
    bootstrapShortServerId: id16,
    lwm2mShortServerId: id16,
    registrationLifetime: optionalSeconds,
    defaultMinimumPeriod: optionalSeconds,
    defaultMaximumPeriod: optionalSeconds,
    disableTimeout: optionalSeconds,
    bindingMode: fc.constantFrom('U' as const, 'UQ' as const),
    notificationIfDisabled: fc.option(fc.boolean(), { nil: null }),
  });
  const key = fc.uint8Array({ minLength: 1, maxLength: 64 });

  it('decodes back to what the plan holds, in TLV and SenML CBOR, at the instance ids from the offset past the assumed /0/0', () => {
    fc.assert(
      fc.property(device, key, key, fc.constantFrom(CONTENT_FORMAT.tlv, CONTENT_FORMAT.senmlCbor), (fields, lwm2mPskKey, bootstrapPskKey, format) => {
        const data: DeviceRegistrationData = {
          ...testDeviceData('prop'),
          ...fields,
          lwm2mPskId: fields.securityMode === 'PSK' ? fields.lwm2mPskId : null,
          lwm2mPskKey: fields.securityMode === 'PSK' ? sealedPlaceholder : null,
          bootstrapPskKey: fields.bootstrapPskId === null ? null : sealedPlaceholder,
        };
        const plan = buildBootstrapPlan(data, { lwm2mPskKey, bootstrapPskKey: fields.bootstrapPskId === null ? null : bootstrapPskKey }, defaults, format);
        const planned = writes(plan);
        const first = Math.max(1, fields.securityInstanceOffset);
        expect(planned.map((write) => formatPath(write.target))).toEqual([`/0/${first}`, `/1/${first}`, ...(fields.generateBootstrapServerConfig ? ['/0/0'] : [])]);
        for (const write of planned) {
          const bytes = encodeContent(format, write.node, write.target);
          if (!bytes.ok) throw new Error(bytes.error.message);
          expect(decodeContent(format, bytes.value, write.target, catalog)).toEqual({ ok: true, value: write.node });
        }
      }),
      { numRuns: 200 },
    );
  });
});
