/**
 * The bootstrap server on a real UDP endpoint (loopback, ephemeral port), devices imported from CSV
 * text by the CSV import service, and the node-coap bootstrap test client as the device. The server's
 * time (its clock, session deadlines, the endpoint's retransmissions) moves only when a test advances
 * it, so a loaded machine times nothing out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { DeviceImportService } from '../../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { openUdpCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import type { DatagramCoapEndpoint } from '../../../src/adapters/coap/DatagramCoapEndpoint.ts';
import { CoapRouter } from '../../../src/adapters/coap/CoapRouter.ts';
import { BootstrapServer } from '../../../src/app/bootstrap/BootstrapServer.ts';
import type { BootstrapChannel } from '../../../src/app/bootstrap/BootstrapServer.ts';
import { BootstrapDeviceDirectory } from '../../../src/app/bootstrap/BootstrapDeviceDirectory.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { CONTENT_FORMAT } from '../../../src/domain/lwm2m/content/ContentFormat.ts';
import type { BootstrapDefaults } from '../../../src/domain/bootstrap/BootstrapPlan.ts';
import { TestBootstrapClient } from '../../support/TestBootstrapClient.ts';
import type { TestBootstrapClientOptions } from '../../support/TestBootstrapClient.ts';
import { RawCoapPeer } from '../../support/RawCoapPeer.ts';
import { ManualTimers } from '../../support/ManualTimers.ts';
import { waitForStreamEvent } from '../../support/StreamEvents.ts';
import { FULL_PSK, bootstrapEvents, csv, fullPskRow, hexBytes, noSecRow, waitForSessionEnds } from '../../support/BootstrapTestData.ts';

const defaults: BootstrapDefaults = {
  lwm2mServerUri: { plain: 'coap://127.0.0.1:5683', secure: 'coaps://127.0.0.1:5684' },
  bootstrapServerUri: { plain: 'coap://127.0.0.1:5783', secure: 'coaps://127.0.0.1:5784' },
  lifetime: 86400,
};

interface Harness {
  readonly store: MemoryEventStore;
  readonly endpoint: DatagramCoapEndpoint;
  readonly server: BootstrapServer;
  readonly clients: TestBootstrapClient[];
  readonly timers: ManualTimers;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const harness of open.splice(0)) {
    await harness.server.close();
    for (const client of harness.clients) await client.close();
    await harness.endpoint.close();
    await harness.store.close();
  }
});

interface HarnessOptions {
  readonly host?: string;
  readonly sessionTimeoutSeconds?: number;
  readonly store?: MemoryEventStore;
  readonly channel?: BootstrapChannel;
  readonly individualRefusals?: number;
  readonly timers?: ManualTimers;
}

/** A bootstrap server on the store, as the service starts it, on the test's time. */
function startServer(store: MemoryEventStore, timers: ManualTimers, options: Pick<HarnessOptions, 'sessionTimeoutSeconds' | 'individualRefusals'> = {}): Promise<BootstrapServer> {
  return BootstrapServer.start({
    store,
    directory: new BootstrapDeviceDirectory(store),
    sealer: new AesGcmSecretSealer(Buffer.alloc(32, 7)),
    clock: timers.wallClock(),
    timers,
    logger: silentLogger(),
    defaults,
    ...(options.sessionTimeoutSeconds === undefined ? {} : { sessionTimeoutSeconds: options.sessionTimeoutSeconds }),
    ...(options.individualRefusals === undefined ? {} : { refusalPolicy: { individualLimit: options.individualRefusals } }),
  });
}

async function harness(rows: string[], options: HarnessOptions = {}): Promise<Harness> {
  const logger = silentLogger();
  const store = options.store ?? new MemoryEventStore();
  const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 7));
  if (rows.length > 0) {
    const report = await new DeviceImportService({ readCsv: readDeviceCsv, store, sealer, logger }).importDevices(csv(...rows), { actor: 'test', correlationId: 'test' });
    expect(report.errors).toEqual([]);
  }
  const host = options.host ?? '127.0.0.1';
  const timers = options.timers ?? new ManualTimers();
  const endpoint = await openUdpCoapEndpoint({ host, port: 0, logger, timers });
  const server = await startServer(store, timers, options);
  const uplink = new CoapRouter();
  server.serve(uplink, endpoint, options.channel);
  endpoint.handle(uplink.handle);
  const result = { store, endpoint, server, clients: [], timers };
  open.push(result);
  return result;
}

async function client(
  h: Harness,
  endpoint: string,
  options: Pick<TestBootstrapClientOptions, 'preferredContentFormat' | 'answerWritesWith' | 'silent' | 'bootstrapInstance'> = {},
): Promise<TestBootstrapClient> {
  const started = await TestBootstrapClient.start({ serverHost: h.endpoint.local.address, serverPort: h.endpoint.local.port, endpoint, ...options });
  h.clients.push(started);
  return started;
}

describe('BootstrapServer', () => {
  it('bootstraps a NO_SEC 1.0 client in TLV past its factory account at /0/0, and records every step', async () => {
    const h = await harness([noSecRow('nosec-1', 'coap://127.0.0.1:40001')]);
    const device = await client(h, 'nosec-1');
    expect(await device.requestBootstrap()).toBe('2.04');
    await device.finished;
    const events = await waitForSessionEnds(h.store, 'nosec-1');

    // A 1.0 client cannot be asked (no Bootstrap-Discover): offset 0 writes from /0/1, past the account assumed at /0/0.
    expect(device.served.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /0', 'DELETE /1', 'PUT /0/1', 'PUT /1/1', 'POST /bs']);
    expect(device.value(0, 0, 1)).toEqual({ type: 'boolean', value: true });
    expect(device.value(0, 0, 0)).toEqual({ type: 'string', value: `coap://${h.endpoint.local.address}:${h.endpoint.local.port}` });
    expect(device.served.filter((r) => r.method === 'PUT').map((r) => r.contentFormat)).toEqual([CONTENT_FORMAT.tlv, CONTENT_FORMAT.tlv]);
    expect(device.lwm2mServerAccount()).toEqual({
      uri: 'coap://127.0.0.1:40001',
      securityMode: 3n,
      shortServerId: 1n,
      pskIdentity: undefined,
      pskKey: undefined,
      lifetime: 86400n,
      binding: 'UQ',
    });
    expect(events.map((event) => event.type)).toEqual([
      'BootstrapSessionStarted',
      ...Array.from({ length: 5 }, () => ['BootstrapStepSent', 'BootstrapStepAnswered']).flat(),
      'BootstrapSessionFinished',
    ]);
    expect(events[0]?.data).toMatchObject({
      endpoint: 'nosec-1',
      peer: { address: '127.0.0.1', port: device.port, channel: 'plain' },
      identity: { kind: 'endpoint', value: 'nosec-1' },
      preferredContentFormat: null,
      contentFormat: CONTENT_FORMAT.tlv,
      keptAccounts: { basis: 'assumed', securityInstances: [0] },
    });
    expect(events.filter((e) => e.type === 'BootstrapStepAnswered').map((e) => (e.data as { code: string }).code)).toEqual(['2.02', '2.02', '2.04', '2.04', '2.04']);
  });

  it('finds a PSK device by its external bootstrap id, writes SenML CBOR for pct=112, and keeps the keys out of the log', async () => {
    const h = await harness([fullPskRow('psk-full', 'coaps://127.0.0.1:40002')]);
    const device = await client(h, FULL_PSK.externalBootstrapPskId, { preferredContentFormat: CONTENT_FORMAT.senmlCbor });
    expect(await device.requestBootstrap()).toBe('2.04');
    await device.finished;
    const events = await waitForSessionEnds(h.store, 'psk-full');

    expect(device.served.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /', 'DELETE /0', 'DELETE /1', 'PUT /0/3', 'PUT /1/3', 'PUT /0/0', 'GET /', 'POST /bs']);
    expect(device.served.filter((r) => r.method === 'PUT').every((r) => r.contentFormat === CONTENT_FORMAT.senmlCbor)).toBe(true);
    const account = device.lwm2mServerAccount();
    expect(account).toMatchObject({ uri: 'coaps://127.0.0.1:40002', securityMode: 0n, shortServerId: 101n, lifetime: 3600n, binding: 'UQ' });
    expect(new TextDecoder().decode(account.pskIdentity)).toBe(FULL_PSK.lwm2mPskId);
    expect(account.pskKey).toEqual(hexBytes(FULL_PSK.lwm2mPskKey));
    expect([2, 3, 5, 6].map((id) => device.value(1, 3, id)?.value)).toEqual([10n, 900n, 7200n, false]);
    // The factory bootstrap account at /0/0 survived the delete and was replaced by the generated one: the device has one.
    expect([...(device.objects.get(0)?.keys() ?? [])].sort()).toEqual([0, 3]);
    expect(device.value(0, 0, 1)).toEqual({ type: 'boolean', value: true });
    expect(device.value(0, 0, 10)).toEqual({ type: 'integer', value: 100n });
    expect(device.value(0, 0, 3)).toEqual({ type: 'opaque', value: new TextEncoder().encode(FULL_PSK.bootstrapPskId) });
    expect(device.value(0, 0, 5)).toEqual({ type: 'opaque', value: hexBytes(FULL_PSK.bootstrapPskKey) });
    expect(device.value(0, 0, 0)).toEqual({ type: 'string', value: defaults.bootstrapServerUri.secure });

    expect(events[0]?.data).toMatchObject({ identity: { kind: 'externalBootstrapPskId', value: FULL_PSK.externalBootstrapPskId }, contentFormat: CONTENT_FORMAT.senmlCbor });
    expect(events.at(-1)?.type).toBe('BootstrapSessionFinished');
    const log = JSON.stringify(await h.store.readAll());
    for (const secret of [FULL_PSK.lwm2mPskKey, FULL_PSK.bootstrapPskKey]) {
      expect(log.toLowerCase()).not.toContain(secret);
      expect(log).not.toContain(Buffer.from(hexBytes(secret)).toString('base64'));
    }
  });

  it('answers a Bootstrap-Pack-Request with the whole configuration in one SenML CBOR pack, recorded as a finished session, keys kept out of the log', async () => {
    const h = await harness([fullPskRow('psk-pack', 'coaps://127.0.0.1:40002')]);
    const device = await client(h, FULL_PSK.externalBootstrapPskId);
    expect(await device.requestBootstrapPack()).toEqual({ code: '2.05', contentFormat: CONTENT_FORMAT.senmlCbor });
    await device.finished;
    // The server sent no request: the pack was the answer.
    expect(device.served).toEqual([]);
    const account = device.lwm2mServerAccount();
    expect(account).toMatchObject({ uri: 'coaps://127.0.0.1:40002', securityMode: 0n, shortServerId: 101n, lifetime: 3600n, binding: 'UQ' });
    expect(new TextDecoder().decode(account.pskIdentity)).toBe(FULL_PSK.lwm2mPskId);
    expect(account.pskKey).toEqual(hexBytes(FULL_PSK.lwm2mPskKey));
    expect([2, 3, 5, 6].map((id) => device.value(1, 3, id)?.value)).toEqual([10n, 900n, 7200n, false]);
    expect(device.value(0, 0, 5)).toEqual({ type: 'opaque', value: hexBytes(FULL_PSK.bootstrapPskKey) });

    const events = await waitForSessionEnds(h.store, 'psk-pack');
    expect(events.map((event) => event.type)).toEqual(['BootstrapSessionStarted', 'BootstrapStepSent', 'BootstrapSessionFinished']);
    expect(events[0]?.data).toMatchObject({
      identity: { kind: 'externalBootstrapPskId', value: FULL_PSK.externalBootstrapPskId },
      preferredContentFormat: null,
      contentFormat: CONTENT_FORMAT.senmlCbor,
      steps: [{ kind: 'pack', target: '/bspack', purpose: null }],
    });
    const log = JSON.stringify(await h.store.readAll());
    for (const secret of [FULL_PSK.lwm2mPskKey, FULL_PSK.bootstrapPskKey]) {
      expect(log.toLowerCase()).not.toContain(secret);
      expect(log).not.toContain(Buffer.from(hexBytes(secret)).toString('base64'));
    }
  });

  it('refuses a Bootstrap-Pack-Request of an unknown endpoint with 4.00 and a refused session', async () => {
    const h = await harness([noSecRow('known-2')]);
    const device = await client(h, 'nobody-pack');
    expect((await device.requestBootstrapPack()).code).toBe('4.00');
    const events = await bootstrapEvents(h.store, 'nobody-pack');
    expect(events.map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([['BootstrapRequestRefused', 'unknown-endpoint']]);
  });

  it('writes a 1.1 client around the bootstrap account its Discover lists, and records the choice', async () => {
    const h = await harness([noSecRow('keeps-0', 'coap://127.0.0.1:40004'), noSecRow('keeps-1', 'coap://127.0.0.1:40005')]);
    // The account at /0/0 (Leshan, Wakaama, Zephyr): the default offset 0 must not write over it.
    const atZero = await client(h, 'keeps-0', { preferredContentFormat: CONTENT_FORMAT.senmlCbor });
    expect(await atZero.requestBootstrap()).toBe('2.04');
    await atZero.finished;
    expect(atZero.served.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /', 'DELETE /0', 'DELETE /1', 'PUT /0/1', 'PUT /1/1', 'GET /', 'POST /bs']);
    expect(atZero.value(0, 0, 1)).toEqual({ type: 'boolean', value: true });
    expect(atZero.lwm2mServerAccount()).toMatchObject({ uri: 'coap://127.0.0.1:40004', shortServerId: 1n });
    const zeroEvents = await waitForSessionEnds(h.store, 'keeps-0');
    expect(zeroEvents.find((e) => e.type === 'BootstrapPlanRevised')?.data).toMatchObject({ step: 0, keptAccounts: { basis: 'discovered', securityInstances: [0] } });
    expect(zeroEvents.at(-1)?.type).toBe('BootstrapSessionFinished');

    // The account at /0/1 (as Anjay keeps it): the writes take /0/0 and leave /0/1 alone.
    const atOne = await client(h, 'keeps-1', { preferredContentFormat: CONTENT_FORMAT.senmlCbor, bootstrapInstance: 1 });
    expect(await atOne.requestBootstrap()).toBe('2.04');
    await atOne.finished;
    expect(atOne.served.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /', 'DELETE /0', 'DELETE /1', 'PUT /0/0', 'PUT /1/0', 'GET /', 'POST /bs']);
    expect(atOne.value(0, 1, 1)).toEqual({ type: 'boolean', value: true });
    const oneEvents = await waitForSessionEnds(h.store, 'keeps-1');
    const revised = oneEvents.find((e) => e.type === 'BootstrapPlanRevised')?.data as { keptAccounts: unknown; steps: { target: string }[] } | undefined;
    expect(revised?.keptAccounts).toEqual({ basis: 'discovered', securityInstances: [1] });
    expect(revised?.steps.map((step) => step.target)).toEqual(['/', '/0', '/1', '/0/0', '/1/0', '/', '/bs']);
    // The Discover after the writes shows the account just written next to the kept one.
    const answers = oneEvents.flatMap((e) => {
      const content = e.type === 'BootstrapStepAnswered' ? (e.data as { content?: string }).content : undefined;
      return content === undefined ? [] : [content];
    });
    expect(answers).toEqual(['</>;lwm2m=1.1,</0/1>;uri="coap://127.0.0.1:' + String(h.endpoint.local.port) + '"', expect.stringContaining('</0/0>;ssid=1;uri="coap://127.0.0.1:40005"')]);
  });

  it('refuses an unknown endpoint with 4.00 and a refused session, and changes nothing else', async () => {
    const h = await harness([noSecRow('known-1')]);
    const before = await h.store.headPosition();
    const device = await client(h, 'nobody');
    expect(await device.requestBootstrap()).toBe('4.00');
    const events = await bootstrapEvents(h.store, 'nobody');
    expect(events.map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([['BootstrapRequestRefused', 'unknown-endpoint']]);
    expect(await h.store.headPosition()).toBe(before + 1);
    expect(device.served).toEqual([]);
  });

  it('records refusals of unknown endpoints one by one up to the limit of the window, and counts the others into one event', async () => {
    const h = await harness([], { individualRefusals: 2 });
    for (const name of ['made-up-1', 'made-up-2', 'made-up-3', 'made-up-4', 'made-up-3']) {
      const device = await client(h, name);
      expect(await device.requestBootstrap()).toBe('4.00');
    }
    expect((await h.store.readAll()).map((e) => e.stream)).toEqual(['bootstrap-made-up-1', 'bootstrap-made-up-2']);
    await h.server.close();
    const counted = (await h.store.readAll()).slice(2);
    expect(counted.map((e) => [e.stream, e.type])).toEqual([['refusals-bootstrap', 'RefusedRequestsCounted']]);
    expect(counted[0]?.data).toMatchObject({
      interface: 'bootstrap',
      count: 3,
      reasons: [{ name: 'unknown-endpoint', count: 3 }],
      sources: [{ name: '127.0.0.1', count: 3 }],
      otherSources: 0,
      endpoints: [
        { name: 'made-up-3', count: 2 },
        { name: 'made-up-4', count: 1 },
      ],
      otherEndpoints: 0,
    });
  });

  it('finds the device by the PSK identity of a DTLS channel, and refuses an ep that is not that device', async () => {
    // The PSK identity comes from the channel (here a stand-in for the DTLS endpoint's sessions).
    const h = await harness([fullPskRow('psk-dtls', 'coaps://127.0.0.1:40003')], {
      channel: { kind: 'psk', pskIdentityOf: () => FULL_PSK.bootstrapPskId },
    });
    const device = await client(h, 'psk-dtls');
    expect(await device.requestBootstrap()).toBe('2.04');
    await device.finished;
    const events = await waitForSessionEnds(h.store, 'psk-dtls');
    expect(events[0]?.data).toMatchObject({ identity: { kind: 'pskIdentity', value: FULL_PSK.bootstrapPskId }, peer: { channel: 'psk' } });
    expect(events.at(-1)?.type).toBe('BootstrapSessionFinished');

    const impostor = await client(h, 'someone-else');
    expect(await impostor.requestBootstrap()).toBe('4.00');
    expect((await bootstrapEvents(h.store, 'someone-else'))[0]?.data).toMatchObject({ reason: 'unknown-endpoint', identity: { kind: 'pskIdentity' } });
  });

  it('fails the session with the device error code when the device answers 4.00 to a write', async () => {
    const h = await harness([noSecRow('rejects-writes')]);
    const device = await client(h, 'rejects-writes', { answerWritesWith: '4.00' });
    expect(await device.requestBootstrap()).toBe('2.04');
    const events = await waitForSessionEnds(h.store, 'rejects-writes');
    const failed = events.at(-1);
    expect(failed?.type).toBe('BootstrapSessionFailed');
    expect(failed?.data).toMatchObject({ reason: 'device-error', code: '4.00', step: 2 });
    expect(device.served.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /0', 'DELETE /1', 'PUT /0/1']);
    expect(await h.store.readAll({ filter: { streamPrefixes: ['registration-'] } })).toEqual([]);
  });

  it('fails the session as timed out when the device goes silent, and a later request starts afresh', async () => {
    const h = await harness([noSecRow('goes-silent')], { sessionTimeoutSeconds: 0.4 });
    const silent = await client(h, 'goes-silent', { silent: true });
    expect(await silent.requestBootstrap()).toBe('2.04');
    await waitForStreamEvent(h.store, 'bootstrap-goes-silent', 'BootstrapStepSent');
    // The session's deadline; the first request's retransmission is not due yet (ACK_TIMEOUT is 2 s, RFC 7252 section 4.8).
    h.timers.advance(400);
    const events = await waitForSessionEnds(h.store, 'goes-silent');
    expect(events.at(-1)?.type).toBe('BootstrapSessionFailed');
    expect(events.at(-1)?.data).toMatchObject({ reason: 'timeout', step: 0 });

    const awake = await client(h, 'goes-silent');
    expect(await awake.requestBootstrap()).toBe('2.04');
    await awake.finished;
    const after = await waitForSessionEnds(h.store, 'goes-silent', 2);
    expect(after.filter((e) => e.type === 'BootstrapSessionStarted')).toHaveLength(2);
    expect(after.at(-1)?.type).toBe('BootstrapSessionFinished');
  });

  it('refuses the second of two concurrent requests of one endpoint; the first still finishes', async () => {
    const h = await harness([noSecRow('twice')]);
    const first = await client(h, 'twice');
    const second = await client(h, 'twice');
    const codes = await Promise.all([first.requestBootstrap(), second.requestBootstrap()]);
    expect([...codes].sort()).toEqual(['2.04', '4.00']);
    const winner = codes[0] === '2.04' ? first : second;
    const loser = winner === first ? second : first;
    await winner.finished;
    const events = await waitForSessionEnds(h.store, 'twice', 2);
    const refused = events.find((e) => e.type === 'BootstrapRequestRefused');
    const started = events.find((e) => e.type === 'BootstrapSessionStarted');
    expect(refused?.data).toMatchObject({ reason: 'concurrent-bootstrap', activeSessionId: (started?.data as { sessionId: string }).sessionId, peer: { port: loser.port } });
    expect(events.at(-1)?.type).toBe('BootstrapSessionFinished');
    expect(loser.served).toEqual([]);
  });

  it('serves IPv6 clients', async () => {
    const h = await harness([noSecRow('v6-device')], { host: '::1' });
    const device = await client(h, 'v6-device');
    expect(await device.requestBootstrap()).toBe('2.04');
    await device.finished;
    const events = await waitForSessionEnds(h.store, 'v6-device');
    expect(events[0]?.data).toMatchObject({ peer: { address: '::1' } });
    expect(events.at(-1)?.type).toBe('BootstrapSessionFinished');
  });

  it('answers 4.00 to a request without ep, 4.06 to a Bootstrap-Pack-Request accepting another format than SenML CBOR, 4.05 to other methods', async () => {
    const h = await harness([]);
    const peer = await RawCoapPeer.open({ address: '127.0.0.1', port: h.endpoint.local.port });
    try {
      const ask = async (code: string, path: string[], query: string[], messageId: number, accept?: number): Promise<string | undefined> => {
        const from = peer.received.length;
        peer.send({
          type: 'CON',
          code,
          messageId,
          token: Uint8Array.of(messageId),
          options: [
            ...path.map((p) => ({ number: 11, value: new TextEncoder().encode(p) })),
            ...query.map((q) => ({ number: 15, value: new TextEncoder().encode(q) })),
            ...(accept === undefined ? [] : [{ number: 17, value: Uint8Array.of(accept) }]),
          ],
          payload: new Uint8Array(),
        });
        return (await peer.waitFor((d) => d.message?.messageId === messageId, 2_000, from)).message?.code;
      };
      expect(await ask('0.01', ['bspack'], [], 1)).toBe('4.00');
      expect(await ask('0.01', ['bspack'], ['ep=dev'], 6, CONTENT_FORMAT.senmlJson)).toBe('4.06');
      expect(await ask('0.02', ['bspack'], ['ep=dev'], 7)).toBe('4.05');
      expect(await ask('0.02', ['bs'], [], 2)).toBe('4.00');
      expect(await ask('0.02', ['bs'], ['ep=dev', 'pct=abc'], 3)).toBe('4.00');
      expect(await ask('0.01', ['bs'], ['ep=dev'], 4)).toBe('4.05');
      expect(await ask('0.02', ['rd'], ['ep=dev'], 5)).toBe('4.04');
      expect(await h.store.headPosition()).toBe(0);
    } finally {
      await peer.close();
    }
  });

  it('expires at start a session the log shows under way (the service stopped mid-session)', async () => {
    const store = new MemoryEventStore();
    const h = await harness([noSecRow('interrupted')], { store, sessionTimeoutSeconds: 0.3 });
    const silent = await client(h, 'interrupted', { silent: true });
    expect(await silent.requestBootstrap()).toBe('2.04');
    await h.server.close();
    // Past the session's deadline: a stopped server expires nothing (its timer would fire in here).
    h.timers.advance(400);
    await new Promise(setImmediate);
    expect((await bootstrapEvents(store, 'interrupted')).some((e) => e.type === 'BootstrapSessionFailed')).toBe(false);
    const restarted = await startServer(store, h.timers);
    try {
      // The deadline passed while stopped: the expiry is due at once, on the next move of time.
      h.timers.advance(0);
      const events = await waitForSessionEnds(store, 'interrupted');
      expect(events.at(-1)?.data).toMatchObject({ reason: 'timeout' });
    } finally {
      await restarted.close();
    }
  });
});
