/**
 * A test LwM2M client on node-coap (an implementation independent of ours): one UDP socket, shared by
 * a node-coap Agent (its requests to the server: Register, Update, De-register) and a node-coap
 * server (the server's requests to it), as a real device does, so that the LwM2M server must address
 * it at the source of its registration.
 *
 * It announces objects 1 (Server), 3 (Device) and 3303 (Temperature) and answers Read of single
 * resources in text/plain from `resources`; further operations (observe, write, execute) are added
 * as routes in `#serve`.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { Agent, createServer } from 'coap';
import type { IncomingMessage, OutgoingMessage, Server } from 'coap';

export interface TestLwM2mClientOptions {
  readonly serverHost: string;
  readonly serverPort: number;
  readonly endpoint: string;
  readonly lifetime?: number;
  readonly lwm2mVersion?: string;
  readonly binding?: string;
  readonly objectLinks?: string;
  /** Answers the server's requests to the object tree (TestDeviceObjects); when absent, the simple reads below. */
  readonly device?: { serve(request: IncomingMessage, response: OutgoingMessage): boolean };
}

export interface ClientResponse {
  readonly code: string;
  readonly payload: string;
  readonly locationPath: readonly string[];
}

export const defaultObjectLinks = '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303/0>';

/** The resource values a test client serves by default, by path ("/3/0/0"), as text/plain. */
export const defaultResources: ReadonlyMap<string, string> = new Map([
  ['/1/0/0', '1'],
  ['/1/0/1', '60'],
  ['/3/0/0', 'lwm2m-hub tests'],
  ['/3/0/1', 'TestLwM2mClient'],
  ['/3/0/2', 'SN-0001'],
  ['/3303/0/5700', '21.5'],
  ['/3303/0/5701', 'Cel'],
]);

export class TestLwM2mClient {
  readonly options: TestLwM2mClientOptions;
  /** Resource values by path ("/3/0/0"), served as text/plain. */
  readonly resources = new Map(defaultResources);
  /** Requests the server sent to this client: method and path. */
  readonly served: string[] = [];
  /** The source port of each of those requests: which server sent it, when several nodes serve the device. */
  readonly servedFrom: number[] = [];
  /** The path of the current registration ("rd/<id>"), once registered. */
  location: string | undefined;
  /** Where its requests go: the server's port, until a balancer in front of several nodes sends it elsewhere (`moveTo`). */
  #serverPort: number;
  readonly #socket: Socket;
  readonly #agent: Agent;
  readonly #server: Server;

  private constructor(socket: Socket, options: TestLwM2mClientOptions) {
    this.options = options;
    this.#serverPort = options.serverPort;
    this.#socket = socket;
    this.#agent = new Agent({ socket });
    this.#server = createServer((request, response) => this.#serve(request, response));
    this.#server.listen(socket);
  }

  static async start(options: TestLwM2mClientOptions): Promise<TestLwM2mClient> {
    const socket = createSocket(options.serverHost.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, options.serverHost, resolve));
    return new TestLwM2mClient(socket, options);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Its requests go to another server port from now on, from the same socket, as when a balancer re-hashes the device to another node. */
  moveTo(serverPort: number): void {
    this.#serverPort = serverPort;
  }

  async register(extraQuery: readonly string[] = []): Promise<ClientResponse> {
    const query = [
      `ep=${this.options.endpoint}`,
      `lt=${this.options.lifetime ?? 60}`,
      `lwm2m=${this.options.lwm2mVersion ?? '1.1'}`,
      `b=${this.options.binding ?? 'U'}`,
      ...extraQuery,
    ];
    const response = await this.#request('POST', '/rd', query, this.options.objectLinks ?? defaultObjectLinks);
    if (response.code === '2.01') this.location = response.locationPath.join('/');
    return response;
  }

  /** An Update: empty (a keep-alive) unless a lifetime, binding or new object links are given. */
  update(options: { readonly query?: readonly string[]; readonly objectLinks?: string } = {}): Promise<ClientResponse> {
    return this.#request('POST', `/${this.#location()}`, options.query ?? [], options.objectLinks);
  }

  async deregister(): Promise<ClientResponse> {
    const response = await this.#request('DELETE', `/${this.#location()}`, [], undefined);
    if (response.code === '2.02') this.location = undefined;
    return response;
  }

  close(): Promise<void> {
    this.#agent.close();
    this.#server.close();
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #location(): string {
    if (this.location === undefined) throw new Error(`${this.options.endpoint} is not registered`);
    return this.location;
  }

  #request(method: 'POST' | 'DELETE', pathname: string, query: readonly string[], payload: string | undefined): Promise<ClientResponse> {
    return new Promise((resolve, reject) => {
      const request = this.#agent.request({
        hostname: this.options.serverHost,
        port: this.#serverPort,
        method,
        pathname,
        query: query.join('&'),
        ...(payload === undefined ? {} : { options: { 'Content-Format': 'application/link-format' } }),
      });
      request.on('response', (response: IncomingMessage) => {
        const locationPath = (response._packet.options ?? []).filter((option) => option.name === 'Location-Path').map((option) => String(option.value));
        resolve({ code: response.code, payload: response.payload.toString(), locationPath });
      });
      request.on('error', reject);
      request.on('timeout', reject);
      request.end(payload === undefined ? undefined : Buffer.from(payload));
    });
  }

  /** Send (LwM2M Core 1.1 section 6.4.6, `POST /dp`) of SenML JSON values. */
  async sendValues(senmlJson: string): Promise<ClientResponse> {
    return new Promise((resolve, reject) => {
      const request = this.#agent.request({
        hostname: this.options.serverHost,
        port: this.#serverPort,
        method: 'POST',
        pathname: '/dp',
        options: { 'Content-Format': 'application/senml+json' },
      });
      request.on('response', (response: IncomingMessage) => resolve({ code: response.code, payload: response.payload.toString(), locationPath: [] }));
      request.on('error', reject);
      request.on('timeout', reject);
      request.end(Buffer.from(senmlJson));
    });
  }

  #serve(request: IncomingMessage, response: OutgoingMessage): void {
    this.served.push(`${request.method} ${request.url}`);
    this.servedFrom.push(request.rsinfo.port);
    if (this.options.device?.serve(request, response) === true) return;
    const value = request.method === 'GET' ? this.resources.get(request.url) : undefined;
    if (value === undefined) {
      response.code = request.method === 'GET' ? '4.04' : '4.05';
      response.end();
      return;
    }
    response.setOption('Content-Format', 'text/plain');
    response.end(value);
  }
}
