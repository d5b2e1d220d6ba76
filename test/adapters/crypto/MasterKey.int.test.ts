import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMasterKey } from '../../../src/adapters/crypto/MasterKey.ts';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-key-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadMasterKey', () => {
  it('generates a key file with mode 0600 on first start and reuses it after', () => {
    const dir = dataDir();
    const first = loadMasterKey(dir, {});
    expect(first.source).toBe('generated');
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    const sealed = first.sealer.seal(Buffer.from('psk'));
    const second = loadMasterKey(dir, {});
    expect(second.source).toBe('file');
    expect(Buffer.from(second.sealer.open(sealed)).toString()).toBe('psk');
  });

  it('takes the key from LWM2M_HUB_MASTER_KEY, hex or base64', () => {
    const hex = 'ab'.repeat(32);
    const a = loadMasterKey(dataDir(), { LWM2M_HUB_MASTER_KEY: hex });
    const b = loadMasterKey(dataDir(), { LWM2M_HUB_MASTER_KEY: Buffer.from(hex, 'hex').toString('base64') });
    expect(a.source).toBe('environment');
    expect(a.sealer.keyId).toEqual(b.sealer.keyId);
  });

  it('refuses to start with another key than the one that sealed the data directory', () => {
    const dir = dataDir();
    loadMasterKey(dir, { LWM2M_HUB_MASTER_KEY: 'ab'.repeat(32) });
    expect(() => loadMasterKey(dir, { LWM2M_HUB_MASTER_KEY: 'cd'.repeat(32) })).toThrow(/not the one that sealed/);
  });

  it('refuses to start when sealed data exists but the key is gone', () => {
    const dir = dataDir();
    loadMasterKey(dir, { LWM2M_HUB_MASTER_KEY: 'ab'.repeat(32) });
    expect(readFileSync(join(dir, 'master.key.id'), 'utf8')).toMatch(/^[0-9a-f]{16}\n$/);
    expect(() => loadMasterKey(dir, {})).toThrow(/neither LWM2M_HUB_MASTER_KEY nor/);
  });

  it('refuses a malformed key, saying what form it must have', () => {
    expect(() => loadMasterKey(dataDir(), { LWM2M_HUB_MASTER_KEY: 'short' })).toThrow(/64 hex digits or the base64 of 32 bytes/);
  });
});
