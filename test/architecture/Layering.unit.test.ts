/**
 * The direction of imports under src/: graphql -> app -> (projections, ports) -> domain, and adapters
 * implement ports and import nothing above them. main.ts, cli.ts and src/cli/ are composition roots
 * and may import anything. Port files are the adapters' files that the layers above may name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');

/**
 * The adapter files that are ports: interfaces the layers above use and adapters implement. Each one
 * imports only the domain, other ports and npm packages (checked below like any other layer).
 */
const portFiles = new Set([
  // The event log every service and read model appends to and reads; SQLite, memory and EventStoreDB implement it.
  'src/adapters/eventstore/EventStore.ts',
  // Structured logging (pino): the one logger type every layer writes through.
  'src/adapters/logging/Logger.ts',
  // The metrics port: counters and histograms; Prometheus implements it, `noMetrics` discards.
  'src/adapters/metrics/Metrics.ts',
  // CoAP requests and responses as the LwM2M services send and serve them; UDP, DTLS and TCP/TLS endpoints implement it.
  'src/adapters/coap/CoapEndpoint.ts',
  // The CoAP message vocabulary (methods, codes, options) the endpoint interface is written in.
  'src/adapters/coap/CoapMessage.ts',
  // Block1/Block2 option values (RFC 7959 section 2.2), which the services read from notifications and requests.
  'src/adapters/coap/BlockOption.ts',
  // The credential a secure channel authenticated a peer with (certificate or raw public key), used to bind it to a device.
  'src/adapters/dtls/PeerCredential.ts',
  // Timers and a monotonic clock: what wakes a service at a deadline, injected so that tests move time instead of sleeping.
  'src/adapters/runtime/Timers.ts',
]);

type Layer = 'domain' | 'port' | 'projections' | 'app' | 'graphql' | 'adapters' | 'composition';

/** What each layer may import, besides itself and npm packages. */
const allowed: Record<Layer, readonly Layer[]> = {
  domain: [],
  port: ['domain', 'port'],
  projections: ['domain', 'port'],
  app: ['domain', 'port', 'projections'],
  graphql: ['domain', 'port', 'projections', 'app'],
  adapters: ['domain', 'port'],
  composition: ['domain', 'port', 'projections', 'app', 'graphql', 'adapters'],
};

/**
 * Imports against the direction that moving files could not remove; each goes when its code is
 * reworked. The list may only shrink: an entry that is no longer a violation fails the test too.
 */
const knownViolations: readonly Violation[] = [];

function layerOf(file: string): Layer {
  if (portFiles.has(file)) return 'port';
  const [, top] = file.split('/');
  if (top === 'domain' || top === 'projections' || top === 'app' || top === 'graphql' || top === 'adapters') return top;
  return 'composition';
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

interface Violation {
  readonly file: string;
  readonly imports: string;
}

function violations(): Violation[] {
  const found: Violation[] = [];
  for (const file of sourceFiles(src)) {
    const from = layerOf(file);
    // preProcessFile lists static imports, re-exports and dynamic import() alike.
    for (const { fileName } of ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true).importedFiles) {
      if (from === 'domain' && fileName.startsWith('node:')) {
        found.push({ file, imports: fileName });
        continue;
      }
      if (!fileName.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(join(root, file)), fileName));
      const to = layerOf(target);
      if (to !== from && !allowed[from].includes(to)) found.push({ file, imports: target });
    }
  }
  return found;
}

const key = (violation: Violation): string => `${violation.file} -> ${violation.imports}`;

describe('layering', () => {
  const found = violations();

  it('imports point one way: graphql, app, projections and ports, domain; adapters import nothing above them', () => {
    const known = new Set(knownViolations.map(key));
    expect(found.map(key).filter((violation) => !known.has(violation))).toEqual([]);
  });

  it('lists only known violations that are still there, so that the list shrinks', () => {
    const still = new Set(found.map(key));
    expect(knownViolations.map(key).filter((violation) => !still.has(violation))).toEqual([]);
  });
});
