/**
 * CoAP over TCP and TLS (RFC 8323; LwM2M binding T) through the real service. The independent peers are
 * libcoap's clients (Debian libcoap3-bin): coap-client-notls speaks coap+tcp, coap-client-openssl and
 * -gnutls speak coaps+tcp with TLS-PSK. They are clients only, so a device that stays connected and
 * answers the server's Read and Observe is our own TestLwM2mStreamClient (node-coap, the UDP test
 * client's library, has no TCP). PSK devices come from CSV text through the import service, so their
 * keys reach the TLS ports only sealed. An X509 device's certificate is made at test time by the OpenSSL
 * command line, issued by a CA the service's trust store holds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder } from 'cbor-x';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_CERTIFICATE_FILE } from '../../src/adapters/security/CertificateFiles.ts';
import { securityStream } from '../../src/domain/security/SecurityAuditEvents.ts';
import { registrationStream } from '../../src/domain/registration/RegistrationEvents.ts';
import type { OperationSpec } from '../../src/domain/operations/OperationEvents.ts';
import type { OperationView } from '../../src/projections/operations/OperationQueries.ts';
import type { RunningService } from '../../src/main.ts';
import { bootstrapEvents, csv, noSecRow } from '../support/BootstrapTestData.ts';
import { coapClient, libcoapAvailable } from '../support/LibcoapClient.ts';
import { streamEvents, waitForStreamEvent } from '../support/StreamEvents.ts';
import { TestCertificates } from '../support/TestCertificates.ts';
import { TestLwM2mStreamClient } from '../support/TestLwM2mStreamClient.ts';
import { importTestDevices, startTestService } from './TestService.ts';

/** A PSK device whose keys are printable text (libcoap's -k takes the key as text). */
const tls = { endpoint: 'tls-dev', identity: 'tls-dev-id', key: 'tls-device-key-1', bootstrapIdentity: 'tls-dev-bs', bootstrapKey: 'tls-bootstrap-k1' };
const tlsLibcoap = { endpoint: 'tls-libcoap', identity: 'tls-libcoap-id', key: 'tls-libcoap-key1', bootstrapIdentity: 'tls-libcoap-bs', bootstrapKey: 'tls-libcoap-bs-k' };
const hex = (text: string): string => Buffer.from(text).toString('hex');

function pskRow(d: typeof tls, serverUri: string): string {
  return `${d.endpoint};c8y_Serial;;${d.endpoint};c8y_lwm2m;0;1;${d.endpoint};${serverUri};PSK;${d.identity};${hex(d.key)};${d.bootstrapIdentity};${hex(d.bootstrapKey)};;;;;;;;;;;;`;
}

const dir = mkdtempSync(join(tmpdir(), 'hub-tcp-e2e-'));
const dataDir = join(dir, 'data');
const files = new TestCertificates(dir);
const ca = files.authority('tls-device-ca');
const x509 = { trusted: files.issued('tls-x509', '/CN=tls-x509', ca), untrusted: files.issued('tls-x509-untrusted', '/CN=tls-x509', files.authority('tls-other-ca')) };
let service: RunningService;
const clients: TestLwM2mStreamClient[] = [];

beforeAll(async () => {
  service = await startTestService(dataDir, ['--public-host', '127.0.0.1', '--trust-store', ca.certificate]);
  await importTestDevices(service, csv(noSecRow('tcp-dev', 'coap+tcp://127.0.0.1:5683'), noSecRow('tcp-libcoap'), pskRow(tls, 'coaps+tcp://127.0.0.1:5684'), pskRow(tlsLibcoap, '')));
  await importTestDevices(service, 'endpoint id;securityMode;lwm2m server uri;lwm2m psk_id;lwm2m psk_key;bootstrap psk_id;bootstrap psk_key;publicKey;certificate\ntls-x509;X509;coaps+tcp://127.0.0.1:5684;;;;;;\n');
});

afterAll(async () => {
  for (const client of clients) client.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

const server = (port: number): { address: string; port: number } => ({ address: '127.0.0.1', port });

async function run(endpoint: string, operation: OperationSpec): Promise<OperationView> {
  const api = service.deviceManagement;
  const id = (await api.requestOperation(endpoint, operation, 'user:e2e', `tcp-e2e-${operation.kind}`)).operationId;
  await expect.poll(() => api.operation(id)?.status, { timeout: 10_000 }).toMatch(/succeeded|failed|cancelled/);
  const view = api.operation(id);
  if (view === undefined) throw new Error(`operation ${id} vanished`);
  return view;
}

describe('CoAP over TCP and TLS with libcoap as the device', () => {
  it.skipIf(!libcoapAvailable())('registers over coap+tcp: the registration is on the tcp channel with binding T', async () => {
    const reply = await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>', `coap+tcp://127.0.0.1:${service.streams.lwm2mTcp.local.port}/rd?ep=tcp-libcoap&lt=300&lwm2m=1.1&b=T`]);
    expect(reply.code).toBe('2.01');
    expect(service.registrations.registration('tcp-libcoap')).toMatchObject({ channel: 'tcp', pskIdentity: null, binding: 'T', lifetime: 300 });
  });

  for (const client of ['coap-client-openssl', 'coap-client-gnutls']) {
    it.skipIf(!libcoapAvailable(client))(`${client} registers over coaps+tcp with TLS-PSK; a wrong key is refused with an audit event that holds no key`, async () => {
      const uri = `coaps+tcp://127.0.0.1:${service.streams.lwm2mTls.local.port}/rd?ep=${tlsLibcoap.endpoint}&lt=300&lwm2m=1.1&b=T`;
      const reply = await coapClient(['-m', 'post', '-u', tlsLibcoap.identity, '-k', tlsLibcoap.key, '-t', '40', '-e', '</1/0>,</3/0>', uri], client);
      expect(reply.code).toBe('2.01');
      expect(service.registrations.registration(tlsLibcoap.endpoint)).toMatchObject({ channel: 'tls', pskIdentity: tlsLibcoap.identity });

      const stream = securityStream(tlsLibcoap.endpoint, '127.0.0.1');
      const before = (await streamEvents(service.store, stream)).length;
      const wrongKey = 'not-the-real-key';
      await expect(coapClient(['-m', 'post', '-u', tlsLibcoap.identity, '-k', wrongKey, '-t', '40', '-e', '</1/0>', uri], client)).rejects.toThrow();
      await expect.poll(async () => (await streamEvents(service.store, stream)).length).toBe(before + 1);
      const failed = (await streamEvents(service.store, stream)).at(-1);
      expect(failed?.type).toBe('TlsHandshakeFailed');
      expect(failed?.data).toMatchObject({ server: 'lwm2m', pskIdentity: tlsLibcoap.identity, endpoint: tlsLibcoap.endpoint, address: '127.0.0.1' });
      const stored = JSON.stringify(failed);
      for (const secret of [tlsLibcoap.key, wrongKey, hex(tlsLibcoap.key), hex(wrongKey)]) expect(stored).not.toContain(secret);
    });
  }

  it.skipIf(!libcoapAvailable('coap-client-openssl'))('registers an X509 device over coaps+tcp with its certificate; a certificate of an untrusted CA is refused with an audit event', async () => {
    const uri = `coaps+tcp://127.0.0.1:${service.streams.lwm2mTls.local.port}/rd?ep=tls-x509&lt=300&lwm2m=1.1&b=T`;
    const register = (certificate: { certificate: string; privateKey: string }): Promise<unknown> =>
      coapClient(['-m', 'post', '-c', certificate.certificate, '-j', certificate.privateKey, '-C', join(dataDir, GENERATED_CERTIFICATE_FILE), '-t', '40', '-e', '</1/0>', uri], 'coap-client-openssl');
    await expect(register(x509.untrusted)).rejects.toThrow();
    const failed = await waitForStreamEvent(service.store, securityStream('tls-x509', '127.0.0.1'), 'TlsHandshakeFailed');
    expect(failed.data).toMatchObject({ server: 'lwm2m', pskIdentity: null, endpoint: 'tls-x509', credential: { kind: 'x509', subject: 'CN=tls-x509', namedEndpoint: 'tls-x509' } });
    expect(service.registrations.registration('tls-x509')).toBeUndefined();

    await expect(register(x509.trusted)).resolves.toMatchObject({ code: '2.01' });
    expect(service.registrations.registration('tls-x509')).toMatchObject({ channel: 'tls-certificate', pskIdentity: null, binding: 'T' });

    // The certificate names tls-x509: it cannot register another endpoint, and the attempt is on record.
    const other = await coapClient(
      ['-m', 'post', '-c', x509.trusted.certificate, '-j', x509.trusted.privateKey, '-C', join(dataDir, GENERATED_CERTIFICATE_FILE), '-t', '40', '-e', '</1/0>', uri.replace('ep=tls-x509', 'ep=tcp-dev')],
      'coap-client-openssl',
    );
    expect(other.code).toBe('4.03');
    const mismatch = await waitForStreamEvent(service.store, securityStream('tls-x509', '127.0.0.1'), 'CredentialEndpointMismatch');
    expect(mismatch.data).toMatchObject({ server: 'lwm2m', credential: 'x509', boundEndpoint: 'tls-x509', requestedEndpoint: 'tcp-dev' });
  });

  it.skipIf(!libcoapAvailable('coap-client-openssl'))('refuses a PSK device on the plain TCP port, and a NO_SEC name over the TLS port with a PSK device identity', async () => {
    const plain = await coapClient(['-m', 'post', '-t', '40', '-e', '</1/0>', `coap+tcp://127.0.0.1:${service.streams.lwm2mTcp.local.port}/rd?ep=${tls.endpoint}&lt=300&lwm2m=1.1&b=T`]);
    expect(plain.code).toBe('4.03');
    const other = await coapClient(
      ['-m', 'post', '-u', tls.identity, '-k', tls.key, '-t', '40', '-e', '</1/0>', `coaps+tcp://127.0.0.1:${service.streams.lwm2mTls.local.port}/rd?ep=tcp-dev&lt=300&lwm2m=1.1&b=T`],
      'coap-client-openssl',
    );
    expect(other.code).toBe('4.03');
    const mismatch = await waitForStreamEvent(service.store, securityStream(tls.endpoint, '127.0.0.1'), 'PskIdentityMismatch');
    expect(mismatch.data).toMatchObject({ server: 'lwm2m', pskIdentity: tls.identity, boundEndpoint: tls.endpoint, requestedEndpoint: 'tcp-dev' });
  });

  it.skipIf(!libcoapAvailable())('answers a Bootstrap-Pack over coap+tcp with the server account bound by T (TQ in queue mode), as the CSV URI is coap+tcp', async () => {
    const output = join(dir, 'tcp-pack.cbor');
    const reply = await coapClient(['-m', 'get', '-A', '112', '-o', output, `coap+tcp://127.0.0.1:${service.streams.bootstrapTcp.local.port}/bspack?ep=tcp-dev`]);
    expect(reply).toMatchObject({ code: '2.05', contentFormat: 'application/senml+cbor' });
    const records = new Decoder({ mapsAsObjects: false, useRecords: false }).decode(readFileSync(output)) as Map<number, unknown>[];
    const named = (path: string): Map<number, unknown> | undefined => records.find((record) => record.get(0) === path || record.get(-2) === path);
    expect(named('/0/1/0')?.get(3)).toBe('coap+tcp://127.0.0.1:5683');
    // The row leaves the binding mode at its default, UQ: over TCP that is TQ.
    expect(named('/1/1/7')?.get(3)).toBe('TQ');
  });
});

describe('CoAP over TCP and TLS with a device that stays connected', () => {
  it('registers over TCP, is read and observed over its connection, gets a Pong, and is unreachable once the connection closes', async () => {
    const device = await TestLwM2mStreamClient.connect({ server: server(service.streams.lwm2mTcp.local.port), endpoint: 'tcp-dev' });
    clients.push(device);
    expect((await device.register()).code).toBe('2.01');
    const registered = await waitForStreamEvent(service.store, registrationStream('tcp-dev'), 'DeviceRegistered');
    expect(registered.data).toMatchObject({ registration: { channel: 'tcp', binding: 'T', port: device.port } });

    expect(await run('tcp-dev', { kind: 'read', paths: ['/3/0/0'], content: null })).toMatchObject({ status: 'succeeded', responseCode: '2.05' });
    expect(service.deviceManagement.resources('tcp-dev', '/3/0/0')).toMatchObject([{ path: '/3/0/0', text: 'lwm2m-hub tests' }]);

    const heard: string[] = [];
    const unsubscribe = service.deviceManagement.onResourceValues('tcp-dev', '/3303', (values) => heard.push(...values.map((value) => value.text)));
    expect((await run('tcp-dev', { kind: 'observe', paths: ['/3303/0/5700'], content: null })).status).toBe('succeeded');
    await device.observed('/3303/0/5700');
    device.resources.set('/3303/0/5700', '23.5');
    device.notify('/3303/0/5700');
    await expect.poll(() => heard).toEqual(['21.5', '23.5']);
    unsubscribe();

    expect((await device.ping()).code).toBe('7.03');
    expect((await device.update()).code).toBe('2.04');

    device.close();
    await device.closed;
    const api = service.deviceManagement;
    const id = (await api.requestOperation('tcp-dev', { kind: 'read', paths: ['/3/0/1'], content: null }, 'user:e2e', 'tcp-e2e-after-close')).operationId;
    // No connection: the read is not sent anywhere and waits for the device, as for a sleeping UDP device.
    await expect.poll(() => api.operation(id)?.attempts).toBeGreaterThan(0);
    expect(api.operation(id)?.status).toBe('pending');
    expect(device.served.filter((served) => served.endsWith('/3/0/1'))).toEqual([]);
  });

  it('bootstraps over TCP and over TLS with its bootstrap PSK: the bootstrap server sends its Discover, Deletes, Writes and Finish over the connection', async () => {
    for (const [endpoint, port, psk] of [
      ['tcp-dev', service.streams.bootstrapTcp.local.port, undefined],
      [tls.endpoint, service.streams.bootstrapTls.local.port, { identity: tls.bootstrapIdentity, key: Buffer.from(tls.bootstrapKey) }],
    ] as const) {
      const device = await TestLwM2mStreamClient.connect({ server: server(port), endpoint, ...(psk === undefined ? {} : { psk }) });
      clients.push(device);
      const before = (await bootstrapEvents(service.store, endpoint)).length;
      expect((await device.bootstrapRequest()).code).toBe('2.04');
      await expect.poll(async () => (await bootstrapEvents(service.store, endpoint)).at(-1)?.type, { timeout: 5_000 }).toMatch(/BootstrapSession(Finished|Failed)/);
      const session = (await bootstrapEvents(service.store, endpoint)).slice(before);
      expect(session.at(-1)?.type).toBe('BootstrapSessionFinished');
      expect(session[0]).toMatchObject({ type: 'BootstrapSessionStarted', data: { peer: { channel: psk === undefined ? 'tcp' : 'tls', port: device.port } } });
      // Discover found the device's bootstrap account at /0/0: the server account is written past it, and Discover checks before Finish.
      expect(device.served).toEqual(['0.01 /', '0.04 /0', '0.04 /1', '0.03 /0/1', '0.03 /1/1', '0.01 /', '0.02 /bs']);
      device.close();
    }
  });

  it('registers an X509 device over TLS with its certificate and reads it over that connection', async () => {
    const device = await TestLwM2mStreamClient.connect({ server: server(service.streams.lwm2mTls.local.port), endpoint: 'tls-x509', certificate: x509.trusted });
    clients.push(device);
    expect((await device.register()).code).toBe('2.01');
    expect(service.registrations.registration('tls-x509')).toMatchObject({ channel: 'tls-certificate', port: device.port });
    expect(await run('tls-x509', { kind: 'read', paths: ['/3/0/1'], content: null })).toMatchObject({ status: 'succeeded', responseCode: '2.05' });
    expect(device.served).toContain('0.01 /3/0/1');
  });

  it('registers over TLS with its PSK and is read over the TLS connection', async () => {
    const device = await TestLwM2mStreamClient.connect({ server: server(service.streams.lwm2mTls.local.port), endpoint: tls.endpoint, psk: { identity: tls.identity, key: Buffer.from(tls.key) } });
    clients.push(device);
    expect((await device.register()).code).toBe('2.01');
    expect(service.registrations.registration(tls.endpoint)).toMatchObject({ channel: 'tls', pskIdentity: tls.identity, binding: 'T' });
    expect(await run(tls.endpoint, { kind: 'read', paths: ['/3/0/2'], content: null })).toMatchObject({ status: 'succeeded', responseCode: '2.05' });
    expect(service.deviceManagement.resources(tls.endpoint, '/3/0/2')).toMatchObject([{ text: 'SN-0001' }]);
    expect(device.served).toContain('0.01 /3/0/2');
  });
});
