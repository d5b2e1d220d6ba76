import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/adapters/config/Config.ts';
import { loadNodeId } from '../../../src/adapters/config/NodeId.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-node-id-'));
  dirs.push(dir);
  return dir;
}

describe('the node id', () => {
  it('is the configured one when given, and nothing is written', () => {
    const dir = dataDir();
    expect(loadNodeId(dir, 'hub-a.eu-1')).toEqual({ nodeId: 'hub-a.eu-1', source: 'configured' });
    expect(() => readFileSync(join(dir, 'node.id'))).toThrow();
  });

  it('is written on the first start as the host name and a random suffix, and read back on the next ones', () => {
    const dir = dataDir();
    const first = loadNodeId(dir, '');
    expect(first.source).toBe('generated');
    expect(first.nodeId).toMatch(/-[0-9a-f]{8}$/);
    expect(first.nodeId.startsWith(hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 48))).toBe(true);
    expect(loadNodeId(dir, '')).toEqual({ nodeId: first.nodeId, source: 'file' });
    // Two nodes on one host, each with its own data directory, get two ids.
    expect(loadNodeId(dataDir(), '').nodeId).not.toBe(first.nodeId);
  });

  it('refuses an id that is not one, saying where it came from', () => {
    expect(() => loadNodeId(dataDir(), 'node a')).toThrow(new ConfigError('--node-id (LWM2M_HUB_NODE_ID): "node a" is not a node id (1 to 64 letters, digits, \'.\', \'_\' or \'-\')'));
    const dir = dataDir();
    writeFileSync(join(dir, 'node.id'), '\n');
    expect(() => loadNodeId(dir, '')).toThrow(ConfigError);
    expect(() => loadNodeId(dir, '')).toThrow(join(dir, 'node.id'));
  });
});
