/**
 * What a client needs to draw a device's object tree and follow the caller's role, through the real
 * service: `me` (the token's role) and `objectModels` (the shipped models, an uploaded device protocol
 * in place of the shipped model of its object, unknown objects left out, a bounded list).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { postGraphQL } from './GraphQLTestClient.ts';
import { startTestService } from './TestService.ts';

const temperatureDdf = readFileSync(new URL('../fixtures/ddf/3303.xml', import.meta.url), 'utf8');
const modelsQuery = 'query Models($ids: [Int!]!) { objectModels(objectIds: $ids) { objectId version name uploaded resources { id name operations type units } } }';

interface ModelView {
  readonly objectId: number;
  readonly version: string;
  readonly name: string;
  readonly uploaded: boolean;
  readonly resources: ReadonlyArray<{ id: number; name: string; operations: string; type: string; units: string }>;
}

let dir: string;
let service: RunningService;
let url: string;
let viewerToken: string;
let operatorToken: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-object-models-'));
  service = await startTestService(dir);
  url = service.graphql.url;
  viewerToken = (await service.tokens.create({ role: 'viewer', actor: 'system:test' })).token;
  operatorToken = (await service.tokens.create({ role: 'operator', actor: 'system:test' })).token;
});

afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

async function models(ids: readonly number[]): Promise<readonly ModelView[]> {
  const response = await postGraphQL(url, viewerToken, modelsQuery, { ids });
  expect(response.errors).toBeUndefined();
  return (response.data as { objectModels: readonly ModelView[] }).objectModels;
}

describe('me', () => {
  it("tells each token's role", async () => {
    for (const [token, role] of [
      [viewerToken, 'VIEWER'],
      [operatorToken, 'OPERATOR'],
      [readFileSync(join(dir, 'admin.token'), 'utf8').trim(), 'ADMIN'],
    ] as const) {
      const response = await postGraphQL(url, token, '{ me { role tokenId } }');
      expect((response.data as { me: { role: string; tokenId: string } }).me).toMatchObject({ role });
    }
  });
});

describe('objectModels', () => {
  it('gives the shipped models with their resources, and leaves unknown objects out', async () => {
    const [device, ...rest] = await models([3, 65_000, 3]);
    expect(rest).toEqual([]);
    expect(device).toMatchObject({ objectId: 3, name: 'Device', uploaded: false });
    expect(device?.resources.find((resource) => resource.id === 9)).toEqual({ id: 9, name: 'Battery Level', operations: 'R', type: 'INTEGER', units: '/100' });
    expect(device?.resources.find((resource) => resource.id === 4)).toMatchObject({ name: 'Reboot', operations: 'E', type: 'NONE' });
  });

  it('gives an uploaded device protocol in place of the shipped model of its object', async () => {
    const upload = await postGraphQL(url, operatorToken, 'mutation Upload($xml: String!) { uploadDeviceProtocol(xml: $xml) { protocols { objectId version } } }', { xml: temperatureDdf });
    expect(upload.errors).toBeUndefined();
    const [temperature] = await models([3303]);
    expect(temperature).toMatchObject({ objectId: 3303, version: '1.1', name: 'Temperature', uploaded: true });
    expect(temperature?.resources.find((resource) => resource.id === 5700)).toMatchObject({ name: 'Sensor Value', type: 'FLOAT' });
  });

  it('refuses more than 100 object ids with BAD_USER_INPUT', async () => {
    const response = await postGraphQL(url, viewerToken, modelsQuery, { ids: Array.from({ length: 101 }, (_, index) => index) });
    expect(response.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});
