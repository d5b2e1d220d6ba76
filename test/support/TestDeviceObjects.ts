/**
 * The object tree of the test LwM2M client: objects 1 (Server), 3 (Device) and 3303 (Temperature),
 * answering every device-management operation (LwM2M Core 1.1 sections 6.3 and 6.4) over node-coap:
 * Read (SenML JSON or text/plain), Discover, Write (PUT replace / POST partial), Write-Attributes,
 * Execute, Create, Delete, Observe (GET or FETCH with Observe 0; node-coap ends an observation on RST),
 * Cancel Observation (GET with Observe 1), Read-Composite (FETCH), Write-Composite (iPATCH).
 *
 * SenML JSON is written and read here by hand (JSON.stringify), independently of the server's codecs;
 * a Read that accepts LwM2M CBOR (11544, Core 1.2 section 7.4.7) is answered in it, as nested maps
 * from the root, one per path segment, written with cbor-x. Every Read's Accept is kept in `reads`.
 * Switches make it misbehave on purpose: `silent` answers nothing (timeouts), `refusedFormats` answers
 * 4.06 to those Accept values.
 */
import { Encoder } from 'cbor-x';
import type { IncomingMessage, OutgoingMessage } from 'coap';

type SenmlValueKey = 'v' | 'vs' | 'vb';

interface Resource {
  readonly kind: SenmlValueKey;
  value: number | string | boolean;
}

interface SenmlRecord {
  bn?: string;
  n?: string;
  v?: number;
  vs?: string;
  vb?: boolean;
}

const executable = new Set(['/3/0/4', '/3/0/5', '/1/0/8', '/3303/0/5605']);

const LWM2M_CBOR = 11544;

/** LwM2M CBOR's nesting: a map per path segment, keyed by ids. */
type CborTree = Map<number, CborTree | number | string | boolean>;

export class TestDeviceObjects {
  readonly resources = new Map<string, Resource>([
    ['/1/0/0', { kind: 'v', value: 1 }],
    ['/1/0/1', { kind: 'v', value: 60 }],
    ['/1/0/7', { kind: 'vs', value: 'U' }],
    ['/3/0/0', { kind: 'vs', value: 'lwm2m-hub tests' }],
    ['/3/0/1', { kind: 'vs', value: 'TestLwM2mClient' }],
    ['/3/0/2', { kind: 'vs', value: 'SN-0001' }],
    ['/3/0/9', { kind: 'v', value: 87 }],
    ['/3/0/14', { kind: 'vs', value: '+01' }],
    ['/3303/0/5700', { kind: 'v', value: 21.5 }],
    ['/3303/0/5701', { kind: 'vs', value: 'Cel' }],
  ]);
  /** Executed resources with their arguments: "/3/0/4 0='now'". */
  readonly executed: string[] = [];
  /** Each Read as it came: its path and Accept. */
  readonly reads: { readonly path: string; readonly accept: number | undefined }[] = [];
  /** Each GET (Read, Discover, Observe, Cancel Observation) as it came: path, query arguments, Accept, Observe. */
  readonly gets: { readonly path: string; readonly query: readonly string[]; readonly accept: number | undefined; readonly observe: unknown }[] = [];
  /** Write-Attributes received, by path: the query arguments. */
  readonly attributes = new Map<string, string[]>();
  /** Accept values answered with 4.06 Not Acceptable. */
  readonly refusedFormats = new Set<number>();
  /** Drop every request without an answer (the server times out). */
  silent = false;
  readonly #observers = new Map<string, OutgoingMessage>();

  get observedPaths(): string[] {
    return [...this.#observers.keys()];
  }

  /** Forgets every observation without a word, as a device that restarts does. */
  forgetObservations(): void {
    this.#observers.clear();
  }

  /** Sets a value and notifies the observers of its path or of a path above it (Core 1.1 section 6.4.2). */
  set(path: string, value: number | string | boolean): void {
    const resource = this.resources.get(path);
    if (resource) resource.value = value;
    else this.resources.set(path, { kind: typeof value === 'number' ? 'v' : typeof value === 'boolean' ? 'vb' : 'vs', value });
    for (const [observed, response] of this.#observers) {
      if (path === observed || path.startsWith(`${observed}/`)) response.write(this.#senml(observed));
    }
  }

  /** Answers a request; returns false when the request is not for the object tree (e.g. `/bs`). */
  serve(request: IncomingMessage, response: OutgoingMessage): boolean {
    if (this.silent) return true;
    const path = request.url.split('?')[0] ?? '/';
    const query = request.url.includes('?') ? (request.url.split('?')[1] ?? '').split('&') : [];
    const accept = formatNumber(request.headers['Accept']);
    if (accept !== undefined && this.refusedFormats.has(accept)) return this.#reply(response, '4.06');
    const observe = request.headers['Observe'];
    switch (request.method) {
      case 'GET':
        this.gets.push({ path, query, accept, observe });
        if (observe === 1) {
          this.#observers.get(path)?.end();
          this.#observers.delete(path);
          return this.#read(path, accept, response);
        }
        if (accept === 40) return this.#discover(path, response);
        if (observe === 0) {
          if (!this.#exists(path)) return this.#reply(response, '4.04');
          this.#observers.set(path, response);
          response.on('finish', () => {
            if (this.#observers.get(path) === response) this.#observers.delete(path);
          });
          response.setOption('Content-Format', 'application/senml+json');
          response.write(this.#senml(path));
          return true;
        }
        return this.#read(path, accept, response);
      case 'PUT':
        if (request.payload.length === 0 && query.length > 0) {
          this.attributes.set(path, query);
          return this.#reply(response, '2.04');
        }
        return this.#write(path, request, response, true);
      case 'POST':
        if (executable.has(path)) {
          this.executed.push(`${path} ${request.payload.toString()}`.trim());
          return this.#reply(response, '2.04');
        }
        if (/^\/\d+$/.test(path)) return this.#create(path, request, response);
        return this.#write(path, request, response, false);
      case 'DELETE': {
        if (!/^\/\d+\/\d+$/.test(path) || !this.#exists(path)) return this.#reply(response, '4.04');
        for (const key of [...this.resources.keys()]) if (key.startsWith(`${path}/`)) this.resources.delete(key);
        return this.#reply(response, '2.02');
      }
      case 'FETCH': {
        const paths = (parseSenml(request.payload.toString()) ?? []).map((record) => record.name);
        response.setOption('Content-Format', 'application/senml+json');
        const records = paths.flatMap((each) => this.#records(each));
        if (observe === 0) {
          for (const each of paths) this.#observers.set(each, response);
          response.write(JSON.stringify(records));
        } else response.end(JSON.stringify(records));
        return true;
      }
      case 'iPATCH': {
        const records = parseSenml(request.payload.toString());
        if (!records) return this.#reply(response, '4.00');
        for (const record of records) this.set(record.name, record.value);
        return this.#reply(response, '2.04');
      }
      case 'PATCH':
        return this.#reply(response, '4.05');
    }
  }

  #exists(path: string): boolean {
    return [...this.resources.keys()].some((key) => key === path || key.startsWith(`${path}/`));
  }

  #read(path: string, accept: number | undefined, response: OutgoingMessage): boolean {
    // Core 1.1 section 6.3.1: an executable resource cannot be read.
    if (executable.has(path)) return this.#reply(response, '4.05');
    if (!this.#exists(path)) return this.#reply(response, '4.04');
    this.reads.push({ path, accept });
    const single = this.resources.get(path);
    if (accept === LWM2M_CBOR) {
      response.setOption('Content-Format', LWM2M_CBOR);
      response.end(new Encoder({ mapsAsObjects: false, useRecords: false }).encode(this.#lwm2mCbor(path)));
      return true;
    }
    if (accept === 0) {
      if (!single) return this.#reply(response, '4.06');
      response.setOption('Content-Format', 'text/plain');
      response.end(String(single.value));
      return true;
    }
    if (accept !== undefined && accept !== 110) return this.#reply(response, '4.06');
    response.setOption('Content-Format', 'application/senml+json');
    response.end(this.#senml(path));
    return true;
  }

  #discover(path: string, response: OutgoingMessage): boolean {
    if (!this.#exists(path)) return this.#reply(response, '4.04');
    const links = [`<${path}>`, ...[...this.resources.keys()].filter((key) => key.startsWith(`${path}/`)).map((key) => `<${key}>`)];
    const attributes = this.attributes.get(path);
    if (attributes) links[0] = `${links[0]};${attributes.join(';')}`;
    response.setOption('Content-Format', 'application/link-format');
    response.end(links.join(','));
    return true;
  }

  #write(path: string, request: IncomingMessage, response: OutgoingMessage, replace: boolean): boolean {
    if (!this.#exists(path)) return this.#reply(response, '4.04');
    if (formatNumber(request.headers['Content-Format']) === 0) {
      const resource = this.resources.get(path);
      if (!resource) return this.#reply(response, '4.00');
      this.set(path, resource.kind === 'v' ? Number(request.payload.toString()) : request.payload.toString());
      return this.#reply(response, '2.04');
    }
    const records = parseSenml(request.payload.toString());
    if (!records) return this.#reply(response, '4.00');
    if (replace && records.length > 0 && /^\/\d+\/\d+$/.test(path)) {
      for (const key of [...this.resources.keys()]) if (key.startsWith(`${path}/`) && !records.some((record) => record.name === key)) this.resources.delete(key);
    }
    for (const record of records) this.set(record.name, record.value);
    return this.#reply(response, '2.04');
  }

  #create(path: string, request: IncomingMessage, response: OutgoingMessage): boolean {
    const records = parseSenml(request.payload.toString());
    if (!records || records.length === 0) return this.#reply(response, '4.00');
    const instance = /^\/\d+\/(\d+)/.exec(records[0]?.name ?? '')?.[1];
    if (instance === undefined) return this.#reply(response, '4.00');
    if (this.#exists(`${path}/${instance}`)) return this.#reply(response, '4.00');
    for (const record of records) this.set(record.name, record.value);
    response.setOption('Location-Path', [Buffer.from(path.slice(1)), Buffer.from(instance)]);
    return this.#reply(response, '2.01');
  }

  #records(path: string): SenmlRecord[] {
    return [...this.resources.entries()]
      .filter(([key]) => (key === path || key.startsWith(`${path}/`)) && !executable.has(key))
      .map(([key, resource]) => ({ n: key, [resource.kind]: resource.value }));
  }

  #lwm2mCbor(path: string): CborTree {
    const root: CborTree = new Map();
    for (const record of this.#records(path)) {
      const ids = record.n?.split('/').slice(1).map(Number) ?? [];
      const last = ids.pop();
      let map = root;
      for (const id of ids) {
        const child = map.get(id);
        const next: CborTree = typeof child === 'object' ? child : new Map<number, CborTree | number | string | boolean>();
        map.set(id, next);
        map = next;
      }
      const value = record.v ?? record.vs ?? record.vb;
      if (last !== undefined && value !== undefined) map.set(last, value);
    }
    return root;
  }

  #senml(path: string): string {
    return JSON.stringify(this.#records(path));
  }

  #reply(response: OutgoingMessage, code: string): boolean {
    response.code = code;
    response.end();
    return true;
  }
}

function formatNumber(header: unknown): number | undefined {
  if (header === undefined || header === null) return undefined;
  if (typeof header === 'number') return header;
  if (typeof header !== 'string') return -1;
  const names: Record<string, number> = {
    'text/plain': 0,
    'application/link-format': 40,
    'application/octet-stream': 42,
    'application/senml+json': 110,
    'application/senml+cbor': 112,
    'application/vnd.oma.lwm2m+tlv': 11542,
    'application/vnd.oma.lwm2m+json': 11543,
    'application/vnd.oma.lwm2m+cbor': LWM2M_CBOR,
  };
  const text = header.split(';')[0] ?? '';
  return names[text] ?? (/^\d+$/.test(text) ? Number(text) : -1);
}

/** SenML JSON records resolved to full names (base name + name) and values. */
function parseSenml(text: string): { name: string; value: number | string | boolean }[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  let base = '';
  const out: { name: string; value: number | string | boolean }[] = [];
  for (const item of parsed as SenmlRecord[]) {
    if (typeof item.bn === 'string') base = item.bn;
    const name = `${base}${item.n ?? ''}`;
    const value = item.v ?? item.vs ?? item.vb;
    out.push({ name, value: value ?? '' });
  }
  return out;
}
