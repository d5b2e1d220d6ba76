/**
 * DTLS sessions outlive an orderly restart (Californium's "graceful restart"): a device registers over
 * DTLS with node-dtls-client (an implementation independent of ours), the service stops and starts on
 * the same data directory and port, and the device's next notification and request go over its old
 * session: the notification becomes a measurement, the request is answered, and the new service ran
 * no handshake. The state file is sealed, private to the service's user, and consumed by the start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { registrationStream } from '../../src/domain/registration/RegistrationEvents.ts';
import { csv, hexBytes, minimalPskRow } from '../support/BootstrapTestData.ts';
import { DtlsCoapSession } from '../support/DtlsCoapSession.ts';
import type { ServerRequest, ServerResponse } from '../support/DtlsCoapSession.ts';
import { waitForStreamEvent } from '../support/StreamEvents.ts';
import { postGraphQL } from './GraphQLTestClient.ts';
import { importTestDevices, startTestService } from './TestService.ts';

const DEVICE = {
  endpoint: 'dtls-restart-1',
  lwm2mPskId: 'dtls-restart-id-1',
  lwm2mPskKey: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  bootstrapPskId: 'dtls-restart-bs-1',
  bootstrapPskKey: '00112233445566778899aabbccddeeff',
};

const TEMPERATURE = '/3303/0/5700';
const temperatureDdf = readFileSync(new URL('../fixtures/ddf/3303.xml', import.meta.url), 'utf8');

const dir = mkdtempSync(join(tmpdir(), 'hub-dtls-restart-'));
const stateFile = join(dir, 'dtls-sessions-lwm2m.sealed');
let service: RunningService | undefined;
let device: DtlsCoapSession | undefined;

async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  const { token } = await running().tokens.create({ role: 'operator', actor: 'system:test' });
  const response = await postGraphQL(running().graphql.url, token, query, variables);
  expect(response.errors).toBeUndefined();
  return response.data;
}

async function eventually<T>(check: () => Promise<T | undefined>, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  service = await startTestService(dir);
  await importTestDevices(service, csv(minimalPskRow(DEVICE)));
  // The temperature is a measurement and observed on registration (Auto-observe).
  await graphql('mutation U($xml: String!) { uploadDeviceProtocol(xml: $xml) { protocols { objectId } } }', { xml: temperatureDdf });
  await graphql('mutation { setResourceFunctionality(objectId: 3303, resourceId: 5700, functionality: { sendMeasurement: { type: "c8y_TemperatureMeasurement", series: "T", unit: "Cel" } }) { version } }');
  await graphql('mutation { setResourceFunctionality(objectId: 3303, resourceId: 5700, functionality: { autoObserve: true }) { version } }');
});

afterAll(async () => {
  device?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

function running(): RunningService {
  if (service === undefined) throw new Error('the service is not running');
  return service;
}

describe('DTLS sessions across a restart of the service', () => {
  it('takes a device\'s notification and request over its old session after a stop and a start, without a handshake', async () => {
    const port = running().secure.lwm2m.local.port;
    let observation: Buffer | undefined;
    // The temperature in text/plain (LwM2M Core 1.1 section 7.3.1), its observation remembered by token.
    const answer = (request: ServerRequest): ServerResponse => {
      if (request.method !== 'GET' || `/${request.path.join('/')}` !== TEMPERATURE) return { code: '4.04' };
      if (request.observe !== 0) return { code: '2.05', contentFormat: 0, payload: Buffer.from('21.5') };
      observation = request.token;
      return { code: '2.05', contentFormat: 0, payload: Buffer.from('21.5'), observe: 1 };
    };
    const session = await DtlsCoapSession.connect(
      { host: '127.0.0.1', port, identity: DEVICE.lwm2mPskId, key: hexBytes(DEVICE.lwm2mPskKey), cipher: 'TLS_PSK_WITH_AES_128_CCM_8' },
      answer,
    );
    device = session;
    const registered = await session.request('POST', ['rd'], [`ep=${DEVICE.endpoint}`, 'lt=600', 'lwm2m=1.1', 'b=U'], { format: 40, payload: Buffer.from('</1/0>,</3/0>,</3303/0>') });
    expect(registered.code).toBe('2.01');
    const token = await eventually(() => Promise.resolve(observation), 'the auto-observation');
    const location = registered.options.filter((option) => option.name === 'Location-Path').map((option) => option.value.toString());

    await running().close();
    service = undefined;
    // Sealed: neither the PSK identity nor anything readable is in the file, and only the service's user reads it.
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(stateFile, 'utf8')).not.toContain(DEVICE.lwm2mPskId);

    service = await startTestService(dir, ['--coaps-port', String(port)]);
    const handshakes: string[] = [];
    running().secure.lwm2mTransport.server.on('sessionEstablished', (info) => handshakes.push(info.pskIdentity.toString()));
    expect(existsSync(stateFile)).toBe(false);
    expect(running().secure.lwm2mTransport.server.sessionCount()).toBe(1);

    session.notify(token, { code: '2.05', contentFormat: 0, payload: Buffer.from('30.5'), observe: 2 });
    await eventually(async () => {
      const data = (await graphql(`{ measurements(endpoint: "${DEVICE.endpoint}", type: "c8y_TemperatureMeasurement") { edges { node { value } } } }`)) as {
        measurements: { edges: Array<{ node: { value: number } }> };
      };
      return data.measurements.edges.some((edge) => edge.node.value === 30.5) ? true : undefined;
    }, 'the measurement of the notification');
    const updated = await session.request('POST', location, ['lt=900']);
    expect(updated.code).toBe('2.04');
    const update = await waitForStreamEvent(running().store, registrationStream(DEVICE.endpoint), 'RegistrationUpdated');
    expect(update.data).toMatchObject({ lifetime: 900 });
    expect(handshakes).toEqual([]);
  });
});
