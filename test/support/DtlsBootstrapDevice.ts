/**
 * A PSK device that bootstraps over DTLS and then registers over DTLS with exactly what it was written:
 * the device's side runs on node-dtls-client with coap-packet (see DtlsCoapSession), nothing of ours but
 * the content codecs that decode the Bootstrap-Writes.
 *
 * It starts with its factory bootstrap-server account in /0/0, which Bootstrap-Delete must leave (LwM2M
 * Core 1.1 section 6.1, Bootstrap-Delete), keeps the instances of objects 0 (Security) and 1 (Server) it
 * is written (or, as a 1.2 client, the Bootstrap-Pack it asks for, BootstrapPack.ts), and after Bootstrap-Finish opens a DTLS session to the written server URI with the written
 * PSK identity (/0/x/3) and key (/0/x/5) to register (LwM2M Transport 1.1 section 5.2.8.1).
 */
import { decodeContent } from '../../src/domain/lwm2m/content/ContentCodecs.ts';
import type { LwM2mValue, ObjectInstanceNode } from '../../src/domain/lwm2m/LwM2mValue.ts';
import { coreObjectCatalog } from '../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { bootstrapDiscoverAnswer } from './BootstrapDiscoverAnswer.ts';
import { applyBootstrapPack } from './BootstrapPack.ts';
import { DtlsCoapSession, optionUint } from './DtlsCoapSession.ts';
import type { PskCipherSuite, ServerRequest, ServerResponse } from './DtlsCoapSession.ts';

export interface DtlsBootstrapDeviceOptions {
  readonly host: string;
  readonly bootstrapPort: number;
  readonly endpoint: string;
  readonly bootstrapIdentity: string;
  readonly bootstrapKey: Uint8Array;
  readonly cipher: PskCipherSuite;
  /** The Bootstrap-Request's pct; absent: a 1.0 client. */
  readonly preferredContentFormat?: number;
  /** The `lwm2m` of its Register; 1.1 when absent. */
  readonly lwm2mVersion?: string;
}

/** The LwM2M server account as written: the non-bootstrap Security instance and its Server instance. */
export interface WrittenServerAccount {
  readonly uri: string;
  readonly securityMode: bigint;
  readonly shortServerId: bigint;
  readonly pskIdentity: Uint8Array;
  readonly pskKey: Uint8Array;
  readonly lifetime: bigint;
  readonly binding: string;
}

export interface DtlsRegistration {
  readonly code: string;
  readonly session: DtlsCoapSession;
}

const catalog = coreObjectCatalog();

export class DtlsBootstrapDevice {
  readonly options: DtlsBootstrapDeviceOptions;
  readonly objects = new Map<number, Map<number, ObjectInstanceNode>>([
    [0, new Map()],
    [1, new Map()],
  ]);
  readonly finished: Promise<void>;
  readonly #sessions: DtlsCoapSession[] = [];
  #bootstrapSession: DtlsCoapSession | undefined;
  #finish: (() => void) | undefined;

  private constructor(options: DtlsBootstrapDeviceOptions) {
    this.options = options;
    this.finished = new Promise((resolve) => (this.#finish = resolve));
    const bootstrapAccount: ObjectInstanceNode = {
      kind: 'objectInstance',
      id: 0,
      resources: new Map([
        [0, { kind: 'resource', id: 0, value: { type: 'string', value: `coaps://${options.host}:${options.bootstrapPort}` } }],
        [1, { kind: 'resource', id: 1, value: { type: 'boolean', value: true } }],
        [2, { kind: 'resource', id: 2, value: { type: 'integer', value: 0n } }],
        [3, { kind: 'resource', id: 3, value: { type: 'opaque', value: new TextEncoder().encode(options.bootstrapIdentity) } }],
        [5, { kind: 'resource', id: 5, value: { type: 'opaque', value: options.bootstrapKey } }],
      ]),
    };
    this.objects.get(0)?.set(0, bootstrapAccount);
  }

  /** Opens the DTLS session with the bootstrap server, with the factory bootstrap identity and key. */
  static async connect(options: DtlsBootstrapDeviceOptions): Promise<DtlsBootstrapDevice> {
    const device = new DtlsBootstrapDevice(options);
    const session = await DtlsCoapSession.connect(
      { host: options.host, port: options.bootstrapPort, identity: options.bootstrapIdentity, key: options.bootstrapKey, cipher: options.cipher },
      (request) => device.#serve(request),
    );
    device.#bootstrapSession = session;
    device.#sessions.push(session);
    return device;
  }

  /** The requests the bootstrap server sent, as `METHOD /path`. */
  get served(): string[] {
    return (this.#bootstrapSession?.served ?? []).map((request) => `${request.method} /${request.path.join('/')}`);
  }

  /** Sends the Bootstrap-Request (LwM2M Transport 1.1 section 6.2.1); resolves with the response code. */
  async requestBootstrap(): Promise<string> {
    if (this.#bootstrapSession === undefined) throw new Error('not connected');
    const query = [`ep=${this.options.endpoint}`];
    if (this.options.preferredContentFormat !== undefined) query.push(`pct=${this.options.preferredContentFormat}`);
    return (await this.#bootstrapSession.request('POST', ['bs'], query)).code;
  }

  /**
   * Sends the Bootstrap-Pack-Request (`GET /bspack?ep=...`, LwM2M Core 1.2 section 6.1.7); on 2.05
   * applies the pack and is finished. Resolves with the response code and Content-Format.
   */
  async requestBootstrapPack(): Promise<{ readonly code: string; readonly contentFormat: number | undefined }> {
    if (this.#bootstrapSession === undefined) throw new Error('not connected');
    const response = await this.#bootstrapSession.request('GET', ['bspack'], [`ep=${this.options.endpoint}`]);
    if (response.code === '2.05') {
      applyBootstrapPack(this.objects, response.payload);
      this.#finish?.();
    }
    return { code: response.code, contentFormat: optionUint(response, 'Content-Format') };
  }

  value(objectId: number, instanceId: number, resourceId: number): LwM2mValue | undefined {
    const resource = this.objects.get(objectId)?.get(instanceId)?.resources.get(resourceId);
    return resource?.kind === 'resource' ? resource.value : undefined;
  }

  lwm2mServerAccount(): WrittenServerAccount {
    const security = [...(this.objects.get(0)?.values() ?? [])].find((instance) => this.value(0, instance.id, 1)?.value !== true);
    if (!security) throw new Error('no LwM2M server Security instance was written');
    const shortServerId = this.#integer(0, security.id, 10);
    const server = [...(this.objects.get(1)?.values() ?? [])].find((instance) => this.value(1, instance.id, 0)?.value === shortServerId);
    if (!server) throw new Error(`no Server instance with short server id ${shortServerId}`);
    return {
      uri: this.#string(0, security.id, 0),
      securityMode: this.#integer(0, security.id, 2),
      shortServerId,
      pskIdentity: this.#opaque(0, security.id, 3),
      pskKey: this.#opaque(0, security.id, 5),
      lifetime: this.#integer(1, server.id, 1),
      binding: this.#string(1, server.id, 7),
    };
  }

  /**
   * Registers with the written account over a new DTLS session (LwM2M Transport 1.1 section 6.4, Register:
   * POST /rd with ep, lt, lwm2m and b, the objects as a CoRE link format payload).
   */
  register(cipher: PskCipherSuite): Promise<DtlsRegistration> {
    return this.registerWith(this.lwm2mServerAccount(), cipher);
  }

  /** Registers with the given account, e.g. a written one with another identity or key. */
  async registerWith(account: WrittenServerAccount, cipher: PskCipherSuite): Promise<DtlsRegistration> {
    const uri = new URL(account.uri);
    if (uri.protocol !== 'coaps:') throw new Error(`${account.uri} is not a CoAP over DTLS URI`);
    const session = await DtlsCoapSession.connect(
      { host: uri.hostname.replace(/^\[|\]$/g, ''), port: Number(uri.port || '5684'), identity: new TextDecoder().decode(account.pskIdentity), key: account.pskKey, cipher },
      // Operations after the registration are not this test's concern: every one is Not Found.
      () => ({ code: '4.04' }),
    );
    this.#sessions.push(session);
    const response = await session.request('POST', ['rd'], [`ep=${this.options.endpoint}`, `lt=${account.lifetime}`, `lwm2m=${this.options.lwm2mVersion ?? '1.1'}`, `b=${account.binding}`], {
      format: 40,
      payload: Buffer.from('</1/0>,</3/0>'),
    });
    return { code: response.code, session };
  }

  close(): void {
    for (const session of this.#sessions) session.close();
  }

  #serve(request: ServerRequest): ServerResponse {
    const segments = request.path;
    switch (request.method) {
      case 'GET': {
        if (segments.length > 0) return { code: '4.04' };
        return { code: '2.05', contentFormat: 40, payload: Buffer.from(bootstrapDiscoverAnswer(this.objects)) };
      }
      case 'DELETE': {
        const objectIds = segments.length === 0 ? [0, 1] : [Number(segments[0])];
        for (const objectId of objectIds) {
          for (const id of [...(this.objects.get(objectId)?.keys() ?? [])]) {
            // The bootstrap-server account survives Bootstrap-Delete.
            if (objectId === 0 && this.value(0, id, 1)?.value === true) continue;
            this.objects.get(objectId)?.delete(id);
          }
        }
        return { code: '2.02' };
      }
      case 'PUT': {
        const [objectId, instanceId] = segments.map(Number);
        if (objectId === undefined || instanceId === undefined || request.contentFormat === undefined || !this.objects.has(objectId)) return { code: '4.00' };
        const decoded = decodeContent(request.contentFormat, request.payload, { objectId, instanceId }, catalog);
        if (!decoded.ok || decoded.value.kind !== 'objectInstance') return { code: '4.00' };
        this.objects.get(objectId)?.set(instanceId, decoded.value);
        return { code: '2.04' };
      }
      case 'POST': {
        if (segments.join('/') !== 'bs') return { code: '4.04' };
        this.#finish?.();
        return { code: '2.04' };
      }
      default:
        return { code: '4.05' };
    }
  }

  #integer(objectId: number, instanceId: number, resourceId: number): bigint {
    const value = this.value(objectId, instanceId, resourceId);
    if (value?.type !== 'integer') throw new Error(`/${objectId}/${instanceId}/${resourceId} is not an integer`);
    return value.value;
  }

  #string(objectId: number, instanceId: number, resourceId: number): string {
    const value = this.value(objectId, instanceId, resourceId);
    if (value?.type !== 'string') throw new Error(`/${objectId}/${instanceId}/${resourceId} is not a string`);
    return value.value;
  }

  #opaque(objectId: number, instanceId: number, resourceId: number): Uint8Array {
    const value = this.value(objectId, instanceId, resourceId);
    if (value?.type !== 'opaque') throw new Error(`/${objectId}/${instanceId}/${resourceId} is not opaque`);
    return value.value;
  }
}
