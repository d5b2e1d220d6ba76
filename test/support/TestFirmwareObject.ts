/**
 * Object 5 (Firmware Update, LwM2M Core 1.1 Appendix E.6) for the test LwM2M client, on top of its
 * TestDeviceObjects (which keeps the readable resources, answers reads and notifies observers):
 * - pull: a write of Package URI /5/0/1 makes it fetch the URI with a node-coap GET (Block2 handled
 *   by node-coap) or, for an http URI, with fetch; State 1 (Downloading) then 2 (Downloaded);
 * - push: a write of Package /5/0/0 (octet-stream, SenML JSON `vd` or base64 text; node-coap
 *   reassembles Block1) makes it Downloaded at once;
 * - the package is checked against `expectedSha256`; a mismatch, or `corruptDownload`, gives State 0
 *   and Update Result 5 (integrity check failure);
 * - Execute Update /5/0/2 in State 2: State 3 (Updating), then, by `afterUpdate`:
 *   - 'report': as after a restart into the new firmware, /3/0/3 and PkgVersion /5/0/7 become
 *     `newVersion`, State 0, Update Result 1, and `onRestart` runs (the test registers the client again);
 *   - 'restart-then-report': the device restarts (its observations are gone) into the new firmware,
 *     State 0, Update Result still 0, `onRestart` runs; the test then calls `reportSuccess()`;
 *   - 'hang': it stays Updating and reports nothing more.
 */
import { createHash } from 'node:crypto';
import { request as coapRequest } from 'coap';
import type { IncomingMessage, OutgoingMessage } from 'coap';
import type { TestDeviceObjects } from './TestDeviceObjects.ts';

export interface TestFirmwareObjectOptions {
  /** /5/0/9: 0 pull, 1 push, 2 both. */
  readonly deliveryMethod: number;
  /** /5/0/8 instances: 0 CoAP, 1 CoAPS, 2 HTTP, ... */
  readonly protocols: readonly number[];
  readonly currentVersion: string;
}

export class TestFirmwareObject {
  readonly #objects: TestDeviceObjects;
  /** The SHA-256 (hex) the package must have. */
  expectedSha256: string | undefined;
  /** The version the device runs after Update. */
  newVersion = '';
  /** Flip a byte of each downloaded package, as a corrupted transfer would. */
  corruptDownload = false;
  /** What the device does after Execute Update. */
  afterUpdate: 'report' | 'restart-then-report' | 'hang' = 'report';
  /** Called once the device has "restarted" into the new firmware. */
  onRestart: () => Promise<void> = () => Promise.resolve();
  /** The port the device's download reaches instead of the package URI's: a balancer in front of several nodes sends it to one of them. */
  pullPort: number | undefined;
  /** The package as the device received it, how ('pull' or 'push'), and whether block-wise (RFC 7959). */
  received: { readonly via: 'pull' | 'push'; readonly bytes: Buffer; readonly blockwise: boolean } | undefined;

  constructor(objects: TestDeviceObjects, options: TestFirmwareObjectOptions) {
    this.#objects = objects;
    objects.set('/3/0/3', options.currentVersion);
    objects.set('/5/0/1', '');
    objects.set('/5/0/3', 0);
    objects.set('/5/0/5', 0);
    objects.set('/5/0/6', '');
    objects.set('/5/0/7', options.currentVersion);
    options.protocols.forEach((protocol, index) => objects.set(`/5/0/8/${index}`, protocol));
    objects.set('/5/0/9', options.deliveryMethod);
  }

  /** Answers the requests of object 5 that need more than the object tree; the rest goes to it. */
  serve(request: IncomingMessage, response: OutgoingMessage): boolean {
    const path = request.url.split('?')[0] ?? '/';
    if (path === '/5/0/0' && (request.method === 'PUT' || request.method === 'POST')) {
      const bytes = packageBytes(request);
      if (!bytes) return reply(response, '4.15');
      reply(response, '2.04');
      this.#startProcess();
      this.#downloaded('push', bytes, hasOption(request, 'Block1'));
      return true;
    }
    if (path === '/5/0/2' && request.method === 'POST') {
      if (this.value('/5/0/3') !== 2) return reply(response, '4.05');
      reply(response, '2.04');
      this.#objects.set('/5/0/3', 3);
      if (this.afterUpdate === 'hang') return true;
      setTimeout(() => {
        if (this.afterUpdate === 'restart-then-report') this.#objects.forgetObservations();
        this.#objects.set('/3/0/3', this.newVersion);
        this.#objects.set('/5/0/7', this.newVersion);
        if (this.afterUpdate === 'report') this.#objects.set('/5/0/5', 1);
        this.#objects.set('/5/0/3', 0);
        void this.onRestart();
      }, 20);
      return true;
    }
    const handled = this.#objects.serve(request, response);
    if (path === '/5/0/1' && (request.method === 'PUT' || request.method === 'POST') && response.code === '2.04') {
      this.#startProcess();
      this.#objects.set('/5/0/3', 1);
      this.#pull(String(this.value('/5/0/1')));
    }
    return handled;
  }

  /** Update Result 1 (Firmware updated successfully), told to whoever observes it. */
  reportSuccess(): void {
    this.#objects.set('/5/0/5', 1);
  }

  /** Core 1.1 E.6: the result is reset to 0 once the process is initiated. */
  #startProcess(): void {
    this.#objects.set('/5/0/5', 0);
  }

  #pull(uri: string): void {
    const url = new URL(uri);
    if (this.pullPort !== undefined) url.port = String(this.pullPort);
    if (url.protocol === 'http:') {
      fetch(url)
        .then(async (response) => (response.ok ? this.#downloaded('pull', Buffer.from(await response.arrayBuffer()), false) : this.#failed(4)))
        .catch(() => this.#failed(4));
      return;
    }
    const request = coapRequest({ hostname: url.hostname, port: Number(url.port), pathname: url.pathname, method: 'GET' });
    request.on('response', (response: IncomingMessage) => {
      if (response.code !== '2.05') return this.#failed(4);
      this.#downloaded('pull', response.payload, hasOption(response, 'Block2'));
    });
    request.on('error', () => this.#failed(4));
    request.on('timeout', () => this.#failed(4));
    request.end();
  }

  #downloaded(via: 'pull' | 'push', payload: Buffer, blockwise: boolean): void {
    const bytes = Buffer.from(payload);
    if (this.corruptDownload && bytes.length > 0) bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    this.received = { via, bytes, blockwise };
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (this.expectedSha256 !== undefined && sha256 !== this.expectedSha256) return this.#failed(5);
    this.#objects.set('/5/0/3', 2);
  }

  #failed(result: number): void {
    this.#objects.set('/5/0/5', result);
    this.#objects.set('/5/0/3', 0);
  }

  /** A resource's value as the device holds it (the Package URI written to it, say). */
  value(path: string): number | string | boolean | undefined {
    return this.#objects.resources.get(path)?.value;
  }
}

/** The package of a write to /5/0/0: octet-stream, SenML JSON (`vd`, base64url) or base64 text. */
function packageBytes(request: IncomingMessage): Buffer | undefined {
  const format = request.headers['Content-Format'];
  if (format === 'application/octet-stream' || format === 42) return request.payload;
  if (format === 'text/plain' || format === 0) return Buffer.from(request.payload.toString(), 'base64');
  if (format === 'application/senml+json' || format === 110) {
    try {
      const records = JSON.parse(request.payload.toString()) as Array<{ vd?: unknown }>;
      const vd = records[0]?.vd;
      return typeof vd === 'string' ? Buffer.from(vd, 'base64url') : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Whether the message (the last one of a block-wise transfer, as node-coap hands it over) has the option. */
function hasOption(message: IncomingMessage, name: 'Block1' | 'Block2'): boolean {
  return (message._packet.options ?? []).some((option) => option.name === name);
}

function reply(response: OutgoingMessage, code: string): boolean {
  response.code = code;
  response.end();
  return true;
}
