/**
 * A bootstrap-capable test LwM2M client on node-coap (an implementation independent of ours): one UDP
 * socket shared by a node-coap Agent (its Bootstrap-Request) and a node-coap server (the bootstrap
 * server's Discover, Delete, Write and Finish), as a real device does.
 *
 * It keeps what it is written: the instances of objects 0 (Security) and 1 (Server), decoded by the
 * Content-Format of each write. It starts with a bootstrap-server account in /0/`bootstrapInstance`,
 * which Bootstrap-Delete must leave (LwM2M Core 1.1 section 6.1, Bootstrap-Delete). After
 * Bootstrap-Finish, `lwm2mServerAccount()` reads the LwM2M server account it was given, and
 * `registrationClient()` starts a TestLwM2mClient that registers with exactly that.
 *
 * As a 1.2 client it may instead ask for a Bootstrap-Pack (`requestBootstrapPack`, LwM2M Core 1.2
 * section 6.1.7): it applies the SenML CBOR pack (BootstrapPack.ts) and is then finished.
 *
 * Misbehaviours for tests: `answerWritesWith` answers every write with that code; `silent` answers
 * nothing after its Bootstrap-Request.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { Agent, createServer } from 'coap';
import type { IncomingMessage, OutgoingMessage, Server } from 'coap';
import { decodeContent } from '../../src/domain/lwm2m/content/ContentCodecs.ts';
import { CONTENT_FORMAT_NAMES } from '../../src/domain/lwm2m/content/ContentFormat.ts';
import type { LwM2mValue, ObjectInstanceNode } from '../../src/domain/lwm2m/LwM2mValue.ts';
import { coreObjectCatalog } from '../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { bootstrapDiscoverAnswer } from './BootstrapDiscoverAnswer.ts';
import { applyBootstrapPack } from './BootstrapPack.ts';
import { TestLwM2mClient } from './TestLwM2mClient.ts';

export interface TestBootstrapClientOptions {
  readonly serverHost: string;
  readonly serverPort: number;
  readonly endpoint: string;
  /** The Bootstrap-Request's pct; absent: a 1.0 client. */
  readonly preferredContentFormat?: number;
  /** Where the factory-installed bootstrap-server account lives. */
  readonly bootstrapInstance?: number;
  readonly answerWritesWith?: string;
  readonly silent?: boolean;
}

export interface ServedRequest {
  readonly method: string;
  readonly url: string;
  readonly contentFormat: number | undefined;
  readonly payload: Buffer;
}

export interface BootstrapPackAnswer {
  readonly code: string;
  readonly contentFormat: number | undefined;
}

export interface LwM2mServerAccount {
  readonly uri: string;
  readonly securityMode: bigint;
  readonly shortServerId: bigint;
  readonly pskIdentity: Uint8Array | undefined;
  readonly pskKey: Uint8Array | undefined;
  readonly lifetime: bigint;
  readonly binding: string;
}

const catalog = coreObjectCatalog();
/** How long node-coap's server waits for an answer before it acknowledges a confirmable request on its own (RFC 7252 section 5.2.2). */
const piggybackReplyMs = 50;

export class TestBootstrapClient {
  readonly options: TestBootstrapClientOptions;
  /** Security (0) and Server (1) instances, by object id then instance id. */
  readonly objects = new Map<number, Map<number, ObjectInstanceNode>>([
    [0, new Map()],
    [1, new Map()],
  ]);
  readonly served: ServedRequest[] = [];
  readonly #socket: Socket;
  readonly #agent: Agent;
  readonly #server: Server;
  /** The silent device's unanswered requests, each until node-coap has acknowledged it on the socket. */
  readonly #acknowledging: Array<Promise<void>> = [];
  #finished: (() => void) | undefined;
  readonly finished: Promise<void>;

  private constructor(socket: Socket, options: TestBootstrapClientOptions) {
    this.options = options;
    this.#socket = socket;
    this.#agent = new Agent({ socket });
    this.#server = createServer({ piggybackReplyMs }, (request, response) => this.#serve(request, response));
    this.#server.listen(socket);
    this.finished = new Promise((resolve) => (this.#finished = resolve));
    const bootstrapAccount: ObjectInstanceNode = {
      kind: 'objectInstance',
      id: options.bootstrapInstance ?? 0,
      resources: new Map([
        [0, { kind: 'resource', id: 0, value: { type: 'string', value: `coap://${options.serverHost}:${options.serverPort}` } }],
        [1, { kind: 'resource', id: 1, value: { type: 'boolean', value: true } }],
        [2, { kind: 'resource', id: 2, value: { type: 'integer', value: 3n } }],
      ]),
    };
    this.objects.get(0)?.set(bootstrapAccount.id, bootstrapAccount);
  }

  static async start(options: TestBootstrapClientOptions): Promise<TestBootstrapClient> {
    const socket = createSocket(options.serverHost.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, options.serverHost, resolve));
    return new TestBootstrapClient(socket, options);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Sends the Bootstrap-Request; resolves with the server's response code. */
  requestBootstrap(): Promise<string> {
    const query = [`ep=${this.options.endpoint}`];
    if (this.options.preferredContentFormat !== undefined) query.push(`pct=${this.options.preferredContentFormat}`);
    return new Promise((resolve, reject) => {
      const request = this.#agent.request({ hostname: this.options.serverHost, port: this.options.serverPort, method: 'POST', pathname: '/bs', query: query.join('&') });
      request.on('response', (response: IncomingMessage) => resolve(response.code));
      request.on('error', reject);
      request.on('timeout', reject);
      request.end();
    });
  }

  /**
   * Sends the Bootstrap-Pack-Request (`GET /bspack?ep=...`, Accept SenML CBOR); on 2.05 applies the
   * pack and is finished. Resolves with the response code and Content-Format.
   */
  requestBootstrapPack(): Promise<BootstrapPackAnswer> {
    return new Promise((resolve, reject) => {
      const request = this.#agent.request({
        hostname: this.options.serverHost,
        port: this.options.serverPort,
        method: 'GET',
        pathname: '/bspack',
        query: `ep=${this.options.endpoint}`,
        options: { Accept: 'application/senml+cbor' },
      });
      request.on('response', (response: IncomingMessage) => {
        const contentFormat = contentFormatNumber(response.headers['Content-Format']);
        if (response.code === '2.05') {
          applyBootstrapPack(this.objects, response.payload);
          this.#finished?.();
        }
        resolve({ code: response.code, contentFormat });
      });
      request.on('error', reject);
      request.on('timeout', reject);
      request.end();
    });
  }

  /** The value of a single resource the client holds, e.g. value(0, 1, 3). */
  value(objectId: number, instanceId: number, resourceId: number): LwM2mValue | undefined {
    const resource = this.objects.get(objectId)?.get(instanceId)?.resources.get(resourceId);
    return resource?.kind === 'resource' ? resource.value : undefined;
  }

  /** The LwM2M server account it was written: the non-bootstrap Security instance and its Server instance. */
  lwm2mServerAccount(): LwM2mServerAccount {
    const security = [...(this.objects.get(0)?.values() ?? [])].find((instance) => !this.#boolean(0, instance.id, 1));
    if (!security) throw new Error('no LwM2M server Security instance was written');
    const shortServerId = this.#integer(0, security.id, 10);
    const server = [...(this.objects.get(1)?.values() ?? [])].find((instance) => this.#integer(1, instance.id, 0) === shortServerId);
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

  /** A TestLwM2mClient for the written account: its host, port, lifetime and binding. */
  async registrationClient(lwm2mVersion = '1.1'): Promise<TestLwM2mClient> {
    const account = this.lwm2mServerAccount();
    const uri = new URL(account.uri);
    if (uri.protocol !== 'coap:') throw new Error(`${account.uri} needs DTLS`);
    return TestLwM2mClient.start({
      serverHost: uri.hostname.replace(/^\[|\]$/g, ''),
      serverPort: Number(uri.port || '5683'),
      endpoint: this.options.endpoint,
      lifetime: Number(account.lifetime),
      binding: account.binding,
      lwm2mVersion,
    });
  }

  /** Closes the socket once node-coap has sent what it must (the empty acknowledgements of a silent device). */
  async close(): Promise<void> {
    await Promise.all(this.#acknowledging);
    this.#agent.close();
    this.#server.close();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #serve(request: IncomingMessage, response: OutgoingMessage): void {
    const contentFormat = contentFormatNumber(request.headers['Content-Format']);
    this.served.push({ method: request.method, url: request.url, contentFormat, payload: request.payload });
    if (this.options.silent === true) {
      // node-coap started its acknowledgement timer before handing the request over; a timer of the
      // same length started after it fires after it, once the acknowledgement has left.
      this.#acknowledging.push(new Promise((resolve) => setTimeout(resolve, piggybackReplyMs)));
      return;
    }
    const segments = request.url.split('?')[0]?.split('/').filter((segment) => segment !== '') ?? [];
    const answer = (code: string, payload?: string): void => {
      response.code = code;
      response.end(payload);
    };
    switch (request.method) {
      case 'GET': {
        if (segments.length > 0) return answer('4.04');
        response.setOption('Content-Format', 'application/link-format');
        return answer('2.05', bootstrapDiscoverAnswer(this.objects));
      }
      case 'DELETE': {
        const objectIds = segments.length === 0 ? [0, 1] : [Number(segments[0])];
        for (const objectId of objectIds) {
          for (const id of [...(this.objects.get(objectId)?.keys() ?? [])]) {
            // The bootstrap-server account survives Bootstrap-Delete.
            if (objectId === 0 && this.#boolean(0, id, 1)) continue;
            this.objects.get(objectId)?.delete(id);
          }
        }
        return answer('2.02');
      }
      case 'PUT': {
        if (this.options.answerWritesWith !== undefined) return answer(this.options.answerWritesWith);
        const [objectId, instanceId] = segments.map(Number);
        if (objectId === undefined || instanceId === undefined || contentFormat === undefined || !this.objects.has(objectId)) return answer('4.00');
        const decoded = decodeContent(contentFormat, request.payload, { objectId, instanceId }, catalog);
        if (!decoded.ok || decoded.value.kind !== 'objectInstance') return answer('4.00', decoded.ok ? 'not an instance' : decoded.error.message);
        this.objects.get(objectId)?.set(instanceId, decoded.value);
        return answer('2.04');
      }
      case 'POST': {
        if (segments.join('/') !== 'bs') return answer('4.04');
        answer('2.04');
        this.#finished?.();
        return;
      }
      case 'FETCH':
      case 'PATCH':
      case 'iPATCH':
        return answer('4.05');
    }
  }

  #boolean(objectId: number, instanceId: number, resourceId: number): boolean {
    const value = this.value(objectId, instanceId, resourceId);
    return value?.type === 'boolean' && value.value;
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

  #opaque(objectId: number, instanceId: number, resourceId: number): Uint8Array | undefined {
    const value = this.value(objectId, instanceId, resourceId);
    return value?.type === 'opaque' ? value.value : undefined;
  }
}

/** node-coap gives a Content-Format by its registered name, or as a number when it has none. */
function contentFormatNumber(header: unknown): number | undefined {
  if (typeof header === 'number') return header;
  if (typeof header !== 'string') return undefined;
  const entry = Object.entries(CONTENT_FORMAT_NAMES).find(([, name]) => name === header);
  return entry === undefined ? undefined : Number(entry[0]);
}
