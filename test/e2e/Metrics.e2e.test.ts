/**
 * GET /metrics on the running service: refused without a token, and scraped while a test device
 * registers, is observed, notifies, sends values and de-registers, to see the counters move.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceImportService } from '../../src/app/devices/DeviceImportService.ts';
import { readDeviceCsv } from '../../src/adapters/csv/DeviceCsvReader.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import type { RunningService } from '../../src/main.ts';
import { DtlsTestClient } from '../adapters/dtls/support/DtlsTestClient.ts';
import { csv, minimalPskRow } from '../support/BootstrapTestData.ts';
import { TestDeviceObjects } from '../support/TestDeviceObjects.ts';
import { importTestDevice } from '../support/TestDevices.ts';
import { TestLwM2mClient } from '../support/TestLwM2mClient.ts';
import { collect, postGraphQL, wsClient, wsQuery } from './GraphQLTestClient.ts';
import { startTestService } from './TestService.ts';

let dir: string;
let service: RunningService;
let viewerToken: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metrics-'));
  service = await startTestService(dir);
  viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
});

afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function metricsUrl(): URL {
  return new URL('/metrics', service.graphql.url);
}

async function scrape(): Promise<string> {
  const response = await fetch(metricsUrl(), { headers: { authorization: `Bearer ${viewerToken}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return response.text();
}

/** The value of one sample of the exposition (labels as written, in order), or 0 when absent. */
function sample(exposition: string, name: string, labels = ''): number {
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = exposition.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? 0 : Number(line.slice(prefix.length));
}

async function scraped(name: string, labels = ''): Promise<number> {
  return sample(await scrape(), name, labels);
}

describe('GET /metrics', () => {
  it('is refused without a token or with an unknown one', async () => {
    expect((await fetch(metricsUrl())).status).toBe(401);
    const wrong = await fetch(metricsUrl(), { headers: { authorization: 'Bearer lwm2mhub_not-a-token' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('exposes the process metrics and every read model lag', async () => {
    const exposition = await scrape();
    expect(exposition).toContain('# TYPE lwm2m_hub_process_cpu_user_seconds_total counter');
    expect(exposition).toMatch(/^lwm2m_hub_projection_lag_events\{read_model="devices"\} \d+$/m);
    expect(exposition).toMatch(/^lwm2m_hub_projection_lag_seconds\{read_model="devices"\} [\d.]+$/m);
    expect(exposition).toMatch(/^lwm2m_hub_dtls_sessions\{server="lwm2m"\} 0$/m);
    expect(exposition).toMatch(/^lwm2m_hub_coap_datagrams_dropped_total\{server="lwm2m"\} \d+$/m);
    for (const server of ['lwm2m-tcp', 'lwm2m-tls', 'bootstrap-tcp', 'bootstrap-tls']) expect(exposition).toMatch(new RegExp(`^lwm2m_hub_coap_connections\\{server="${server}"\\} 0$`, 'm'));
  });

  it('counts what a device does while it registers, notifies, sends and de-registers', async () => {
    await importTestDevice(service.store, 'metrics-e2e');
    const before = await scrape();
    const objects = new TestDeviceObjects();
    const client = await TestLwM2mClient.start({
      serverHost: '127.0.0.1',
      serverPort: service.coap.local.port,
      endpoint: 'metrics-e2e',
      objectLinks: '</>;rt="oma.lwm2m";ct="110 0",</1/0>,</3/0>,</3303/0>',
      device: objects,
    });
    try {
      expect((await client.register()).code).toBe('2.01');
      await expect.poll(() => scraped('lwm2m_hub_registration_events_total', 'event="register"')).toBe(sample(before, 'lwm2m_hub_registration_events_total', 'event="register"') + 1);
      expect(await scraped('lwm2m_hub_devices_online')).toBe(1);
      expect(await scraped('lwm2m_hub_devices', 'status="active"')).toBe(1);

      await service.deviceManagement.requestOperation('metrics-e2e', { kind: 'observe', paths: ['/3303/0/5700'], content: null }, 'user:test', 'metrics-observe');
      await expect.poll(() => scraped('lwm2m_hub_operations_total', 'kind="observe",outcome="succeeded"')).toBe(1);
      for (const value of [22, 23]) objects.set('/3303/0/5700', value);
      await expect.poll(() => scraped('lwm2m_hub_value_reports_total', 'source="notification"')).toBeGreaterThanOrEqual(2);
      expect((await client.sendValues(JSON.stringify([{ n: '/3303/0/5700', v: 25 }, { n: '/3303/0/5701', vs: 'Cel' }]))).code).toBe('2.04');
      await expect.poll(() => scraped('lwm2m_hub_reported_values_total', 'source="send"')).toBe(2);

      expect((await client.deregister()).code).toBe('2.02');
      await expect.poll(() => scraped('lwm2m_hub_registration_events_total', 'event="deregister"')).toBe(1);
      expect(await scraped('lwm2m_hub_devices_online')).toBe(0);
      // A read for the device now gone waits in its queue.
      await service.deviceManagement.requestOperation('metrics-e2e', { kind: 'read', paths: ['/3/0'], content: null }, 'user:test', 'metrics-read');
      await expect.poll(() => scraped('lwm2m_hub_operations_pending')).toBe(1);
    } finally {
      await client.close();
    }

    const after = await scrape();
    expect(sample(after, 'lwm2m_hub_operations_requested_total', 'kind="observe"')).toBe(1);
    expect(sample(after, 'lwm2m_hub_eventstore_appended_events_total')).toBeGreaterThan(sample(before, 'lwm2m_hub_eventstore_appended_events_total'));
    expect(sample(after, 'lwm2m_hub_eventstore_append_seconds_count', 'outcome="ok"')).toBeGreaterThan(sample(before, 'lwm2m_hub_eventstore_append_seconds_count', 'outcome="ok"'));
  });

  it('counts a rejected registration by its reason', async () => {
    const stranger = await TestLwM2mClient.start({ serverHost: '127.0.0.1', serverPort: service.coap.local.port, endpoint: 'metrics-stranger', device: new TestDeviceObjects() });
    try {
      expect((await stranger.register()).code).toBe('4.03');
    } finally {
      await stranger.close();
    }
    await expect.poll(() => scraped('lwm2m_hub_registration_rejections_total', 'reason="unknown-endpoint"')).toBe(1);
  });

  it('counts a malformed CoAP datagram as dropped', async () => {
    const before = await scraped('lwm2m_hub_coap_datagrams_dropped_total', 'server="lwm2m"');
    const socket = createSocket('udp4');
    try {
      // Version 0 in the first byte: not a CoAP message (RFC 7252 section 3).
      await new Promise<void>((resolve, reject) => socket.send(Buffer.from([0x00, 0x01, 0x00, 0x01]), service.coap.local.port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
    } finally {
      socket.close();
    }
    await expect.poll(() => scraped('lwm2m_hub_coap_datagrams_dropped_total', 'server="lwm2m"')).toBe(before + 1);
  });

  it('counts DTLS handshakes by outcome and the sessions established', async () => {
    const key = 'metrics-psk-key!';
    const pskDevice = { endpoint: 'metrics-psk', lwm2mPskId: 'metrics-psk-id', lwm2mPskKey: Buffer.from(key).toString('hex'), bootstrapPskId: 'metrics-psk-bs', bootstrapPskKey: '00112233445566778899aabbccddeeff' };
    const imported = await new DeviceImportService({ readCsv: readDeviceCsv, store: service.store, sealer: service.sealer, logger: silentLogger() }).importDevices(csv(minimalPskRow(pskDevice)), { actor: 'test', correlationId: 'metrics-psk' });
    expect(imported.errors).toEqual([]);
    const port = service.secure.lwm2m.local.port;
    await expect(DtlsTestClient.connect(port, pskDevice.lwm2mPskId, 'not-the-right-key', 'TLS_PSK_WITH_AES_128_CCM_8', 1000)).rejects.toThrow();
    await expect.poll(() => scraped('lwm2m_hub_dtls_handshakes_total', 'server="lwm2m",outcome="failed"')).toBeGreaterThanOrEqual(1);
    const client = await DtlsTestClient.connect(port, pskDevice.lwm2mPskId, key, 'TLS_PSK_WITH_AES_128_CCM_8');
    try {
      const exposition = await scrape();
      expect(sample(exposition, 'lwm2m_hub_dtls_handshakes_total', 'server="lwm2m",outcome="established"')).toBe(1);
      expect(sample(exposition, 'lwm2m_hub_dtls_sessions', 'server="lwm2m"')).toBe(1);
    } finally {
      client.close();
    }
  });

  it('counts GraphQL operations by name and outcome', async () => {
    expect((await postGraphQL(service.graphql.url, viewerToken, 'query Devices { devices(first: 1) { totalCount } }')).status).toBe(200);
    expect((await postGraphQL(service.graphql.url, viewerToken, 'mutation Rebuild { rebuildReadModels { events } }')).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const exposition = await scrape();
    expect(sample(exposition, 'lwm2m_hub_graphql_operations_total', 'operation="Devices",transport="http",outcome="ok"')).toBe(1);
    expect(sample(exposition, 'lwm2m_hub_graphql_operations_total', 'operation="Rebuild",transport="http",outcome="error"')).toBe(1);
    expect(exposition).toMatch(/^lwm2m_hub_graphql_active_subscriptions 0$/m);
  });

  it('counts WebSocket operations, and the subscriptions running', async () => {
    const client = wsClient(service.graphql.url, viewerToken);
    try {
      const changes = collect(client, 'subscription Changes { deviceChanged { endpoint } }');
      await expect.poll(() => scraped('lwm2m_hub_graphql_active_subscriptions')).toBe(1);
      expect((await wsQuery(client, 'query Count { devices(first: 1) { totalCount } }')).errors).toBeUndefined();
      expect((await wsQuery(client, '{ nonsense }')).errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
      changes.dispose();
      await expect.poll(() => scraped('lwm2m_hub_graphql_active_subscriptions')).toBe(0);
      const exposition = await scrape();
      expect(sample(exposition, 'lwm2m_hub_graphql_operations_total', 'operation="Count",transport="websocket",outcome="ok"')).toBe(1);
      expect(sample(exposition, 'lwm2m_hub_graphql_operations_total', 'operation="anonymous",transport="websocket",outcome="error"')).toBe(1);
      // A subscription ends once its source has returned, just after the client's complete.
      await expect.poll(() => scraped('lwm2m_hub_graphql_operations_total', 'operation="Changes",transport="websocket",outcome="ok"')).toBe(1);
    } finally {
      await client.dispose();
    }
  });
});
