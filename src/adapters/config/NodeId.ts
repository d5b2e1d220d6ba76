/**
 * The id of this node among the lwm2m-hub processes sharing one event store: it is recorded in each
 * registration the node takes, and says which node sends requests to the device. It must stay the
 * same across restarts (a node that comes back under another id no longer holds its devices: their
 * next Update gets 4.04 and they register again) and differ between nodes.
 *
 * `--node-id` (LWM2M_HUB_NODE_ID) names it. Unconfigured, it is the one kept in the data directory
 * (`node.id`), written on the first start as the host name and a random suffix: the host name reads
 * well in the registration events, and the suffix keeps two nodes on one host apart. A single node on
 * the embedded store keeps its data directory, so its id never changes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './Config.ts';

const nodeIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

export interface NodeIdResult {
  readonly nodeId: string;
  /** Where it came from, for the start-up log. */
  readonly source: 'configured' | 'file' | 'generated';
}

export function loadNodeId(dataDir: string, configured: string): NodeIdResult {
  if (configured !== '') return { nodeId: checked(configured, '--node-id (LWM2M_HUB_NODE_ID)'), source: 'configured' };
  const file = join(dataDir, 'node.id');
  if (existsSync(file)) return { nodeId: checked(readFileSync(file, 'utf8').trim(), file), source: 'file' };
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 48) || 'node';
  const nodeId = `${host}-${randomBytes(4).toString('hex')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${nodeId}\n`, { flag: 'wx' });
  return { nodeId, source: 'generated' };
}

function checked(nodeId: string, where: string): string {
  if (!nodeIdPattern.test(nodeId)) throw new ConfigError(`${where}: "${nodeId}" is not a node id (1 to 64 letters, digits, '.', '_' or '-')`);
  return nodeId;
}
