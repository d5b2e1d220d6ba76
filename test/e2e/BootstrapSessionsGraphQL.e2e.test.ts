/**
 * Bootstrap sessions through the GraphQL API of the real service: a device bootstraps over CoAP with
 * the node-coap test client, and a viewer sees the session, its steps and outcome in the query and live
 * in the subscription; an unknown endpoint's request shows as a refused session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { CONTENT_FORMAT } from '../../src/domain/lwm2m/content/ContentFormat.ts';
import { csv, noSecRow, waitForSessionEnds } from '../support/BootstrapTestData.ts';
import { TestBootstrapClient } from '../support/TestBootstrapClient.ts';
import { collect, postGraphQL, wsClient, wsQuery } from './GraphQLTestClient.ts';
import { startTestService } from './TestService.ts';

let dir: string;
let service: RunningService;
let operatorToken: string;
let viewerToken: string;
const clients: Client[] = [];
const devices: TestBootstrapClient[] = [];

const sessionFields = 'id endpoint channel identityKind identityValue status reason startedAt endedAt steps { step kind target purpose sentAt answeredAt code }';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-bootstrap-graphql-'));
  service = await startTestService(dir, ['--public-host', '127.0.0.1']);
  operatorToken = (await service.tokens.create({ role: 'operator', actor: 'system:test' })).token;
  viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
  const imported = await postGraphQL(service.graphql.url, operatorToken, 'mutation Import($csv: String!) { importDeviceRegistrations(csv: $csv) { imported } }', {
    csv: csv(noSecRow('bs-graphql-1'), noSecRow('bs-graphql-11')),
  });
  expect(imported.errors).toBeUndefined();
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  for (const device of devices) await device.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

async function bootstrap(endpoint: string, preferredContentFormat?: number): Promise<string> {
  return (await bootstrapDevice(endpoint, preferredContentFormat)).requestBootstrap();
}

async function bootstrapDevice(endpoint: string, preferredContentFormat?: number): Promise<TestBootstrapClient> {
  const device = await TestBootstrapClient.start({
    serverHost: '127.0.0.1',
    serverPort: service.bootstrap.local.port,
    endpoint,
    ...(preferredContentFormat === undefined ? {} : { preferredContentFormat }),
  });
  devices.push(device);
  return device;
}

describe('bootstrap sessions', () => {
  it('shows a session with its steps, live and in the query', async () => {
    const viewer = wsClient(service.graphql.url, viewerToken);
    clients.push(viewer);
    const feed = collect(viewer, `subscription { bootstrapSessionChanged(endpoint: "bs-graphql-1") { id status steps { step code } } }`);
    await wsQuery(viewer, '{ deviceProtocols { objectId } }');

    expect(await bootstrap('bs-graphql-1')).toBe('2.04');
    await waitForSessionEnds(service.store, 'bs-graphql-1');
    await service.projector.waitFor(await service.store.headPosition());

    const first = (await feed.next()) as { data: { bootstrapSessionChanged: { id: string; status: string } } };
    expect(first.data.bootstrapSessionChanged.status).toBe('RUNNING');
    let last = first;
    while (last.data.bootstrapSessionChanged.status === 'RUNNING') last = (await feed.next()) as typeof first;
    expect(last.data.bootstrapSessionChanged).toMatchObject({ id: first.data.bootstrapSessionChanged.id, status: 'FINISHED' });

    const response = await postGraphQL(service.graphql.url, viewerToken, `{ bootstrapSessions(endpoint: "bs-graphql-1") { edges { node { ${sessionFields} } } pageInfo { hasNextPage } } }`);
    expect(response.errors).toBeUndefined();
    const sessions = (response.data as { bootstrapSessions: { edges: Array<{ node: { steps: Array<Record<string, unknown>> } & Record<string, unknown> }>; pageInfo: unknown } })
      .bootstrapSessions;
    expect(sessions.pageInfo).toEqual({ hasNextPage: false });
    expect(sessions.edges).toHaveLength(1);
    const session = sessions.edges[0]?.node;
    expect(session).toMatchObject({ endpoint: 'bs-graphql-1', channel: 'plain', identityKind: 'endpoint', identityValue: 'bs-graphql-1', status: 'FINISHED', reason: null });
    expect(session?.steps.map((step) => step['kind'])).toContain('write');
    expect(session?.steps.at(-1)).toMatchObject({ kind: 'finish', target: '/bs', code: '2.04' });
    expect(session?.steps.every((step) => typeof step['answeredAt'] === 'string')).toBe(true);
  });

  it('shows a refused request of an unknown endpoint, and pages newest first', async () => {
    expect(await bootstrap('bs-graphql-unknown')).not.toBe('2.04');
    await waitForSessionEnds(service.store, 'bs-graphql-unknown');
    expect(await bootstrap('bs-graphql-1')).toBe('2.04');
    await waitForSessionEnds(service.store, 'bs-graphql-1', 2);
    await service.projector.waitFor(await service.store.headPosition());

    const refused = await postGraphQL(service.graphql.url, viewerToken, '{ bootstrapSessions(endpoint: "bs-graphql-unknown") { edges { node { status reason steps { step } } } } }');
    expect(refused.data).toEqual({ bootstrapSessions: { edges: [{ node: { status: 'REFUSED', reason: 'unknown-endpoint', steps: [] } }] } });

    const page = 'query Page($after: String) { bootstrapSessions(endpoint: "bs-graphql-1", first: 1, after: $after) { edges { node { id startedAt } } pageInfo { hasNextPage endCursor } } }';
    type Page = { bootstrapSessions: { edges: Array<{ node: { id: string; startedAt: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const newest = (await postGraphQL(service.graphql.url, viewerToken, page)).data as Page;
    expect(newest.bootstrapSessions.pageInfo.hasNextPage).toBe(true);
    const older = (await postGraphQL(service.graphql.url, viewerToken, page, { after: newest.bootstrapSessions.pageInfo.endCursor })).data as Page;
    expect(older.bootstrapSessions.pageInfo.hasNextPage).toBe(false);
    const [a, b] = [newest.bootstrapSessions.edges[0]?.node, older.bootstrapSessions.edges[0]?.node];
    expect(a?.id).not.toBe(b?.id);
    expect(Date.parse(a?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(b?.startedAt ?? ''));
  });

  it('shows the Bootstrap-Discover after the writes and before Bootstrap-Finish, with the accounts just written, as on the wire', async () => {
    const device = await bootstrapDevice('bs-graphql-11', CONTENT_FORMAT.senmlCbor);
    expect(await device.requestBootstrap()).toBe('2.04');
    await device.finished;
    await waitForSessionEnds(service.store, 'bs-graphql-11');
    await service.projector.waitFor(await service.store.headPosition());
    expect(device.served.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /', 'DELETE /0', 'DELETE /1', 'PUT /0/1', 'PUT /1/1', 'GET /', 'POST /bs']);

    const response = await postGraphQL(
      service.graphql.url,
      viewerToken,
      '{ bootstrapSessions(endpoint: "bs-graphql-11") { edges { node { status bootstrapAccounts bootstrapAccountsBasis steps { kind target code answer } } } } }',
    );
    expect(response.errors).toBeUndefined();
    type Session = { status: string; bootstrapAccounts: number[]; bootstrapAccountsBasis: string; steps: { kind: string; target: string; code: string; answer: string | null }[] };
    const session = (response.data as { bootstrapSessions: { edges: { node: Session }[] } }).bootstrapSessions.edges[0]?.node;
    expect(session).toMatchObject({ status: 'FINISHED', bootstrapAccounts: [0], bootstrapAccountsBasis: 'discovered' });
    expect(session?.steps.map((step) => `${step.kind} ${step.target} ${step.code}`)).toEqual([
      'discover / 2.05',
      'delete /0 2.02',
      'delete /1 2.02',
      'write /0/1 2.04',
      'write /1/1 2.04',
      'discover / 2.05',
      'finish /bs 2.04',
    ]);
    const bootstrapUri = `coap://127.0.0.1:${service.bootstrap.local.port}`;
    const lwm2mUri = `coap://127.0.0.1:${service.coap.local.port}`;
    expect(session?.steps[0]?.answer).toBe(`</>;lwm2m=1.1,</0/0>;uri="${bootstrapUri}"`);
    expect(session?.steps[5]?.answer).toBe(`</>;lwm2m=1.1,</0/0>;uri="${bootstrapUri}",</0/1>;ssid=1;uri="${lwm2mUri}",</1/1>;ssid=1`);
    expect(session?.steps.filter((step) => step.kind !== 'discover').every((step) => step.answer === null)).toBe(true);
  });
});
