import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiTokenRegistry } from '../../../src/app/auth/ApiTokenRegistry.ts';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { SqliteEventStore } from '../../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { apiTokensStream } from '../../../src/domain/auth/ApiTokens.ts';

let dir: string;
let store: SqliteEventStore;
const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 1));

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokens-'));
  store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ApiTokenRegistry', () => {
  it('recognises the tokens it creates, with their roles, and nothing else', async () => {
    const registry = new ApiTokenRegistry(store, sealer);
    const viewer = await registry.create({ role: 'viewer', actor: 'system:test' });
    const admin = await registry.create({ role: 'admin', actor: 'system:test' });
    expect(await registry.authenticate(viewer.token)).toEqual({ tokenId: viewer.tokenId, role: 'viewer' });
    expect(await registry.authenticate(admin.token)).toEqual({ tokenId: admin.tokenId, role: 'admin' });
    expect(await registry.authenticate(`${viewer.token}x`)).toBeUndefined();
    expect(await registry.authenticate('')).toBeUndefined();
  });

  it('stores a token only sealed', async () => {
    const created = await new ApiTokenRegistry(store, sealer).create({ role: 'operator', actor: 'system:test' });
    const stream = await store.readStream(apiTokensStream);
    const stored = JSON.stringify(stream.status === 'found' ? stream.events : []);
    expect(stored).toContain(created.tokenId);
    expect(stored).not.toContain(created.token);
    expect(stored).not.toContain(created.token.slice('lwm2mhub_'.length));
  });

  it('sees a token created by another registry on the same log', async () => {
    const service = new ApiTokenRegistry(store, sealer);
    await service.refresh();
    const created = await new ApiTokenRegistry(store, sealer).create({ role: 'viewer', actor: 'system:cli' });
    expect(await service.authenticate(created.token)).toEqual({ tokenId: created.tokenId, role: 'viewer' });
  });

  it('creates the admin token on the first start only, in a 0600 file', async () => {
    const file = join(dir, 'admin.token');
    await new ApiTokenRegistry(store, sealer).ensureAdminToken(file, silentLogger());
    const token = readFileSync(file, 'utf8').trim();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = new ApiTokenRegistry(store, sealer);
    await again.ensureAdminToken(file, silentLogger());
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(again.size).toBe(1);
    expect((await again.authenticate(token))?.role).toBe('admin');
  });

  it('creates the admin token even when other tokens were made before the first start', async () => {
    const file = join(dir, 'admin.token');
    const registry = new ApiTokenRegistry(store, sealer);
    await registry.create({ role: 'viewer', actor: 'system:cli' });
    await registry.ensureAdminToken(file, silentLogger());
    expect((await registry.authenticate(readFileSync(file, 'utf8').trim()))?.role).toBe('admin');
    expect(registry.size).toBe(2);
  });

  it('creates one admin token when two processes start at once', async () => {
    const file = join(dir, 'admin.token');
    const a = new ApiTokenRegistry(store, sealer);
    const b = new ApiTokenRegistry(store, sealer);
    await Promise.all([a.ensureAdminToken(file, silentLogger()), b.ensureAdminToken(file, silentLogger())]);
    await a.refresh();
    expect(a.size).toBe(1);
    expect((await b.authenticate(readFileSync(file, 'utf8').trim()))?.role).toBe('admin');
  });
});
