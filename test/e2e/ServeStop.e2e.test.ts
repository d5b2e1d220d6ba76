/**
 * `lwm2m-hub serve` stops in order on SIGTERM and SIGINT, as run in production: NODE_ENV=production,
 * where libraries that install their own signal handlers (Apollo Server does unless told not to) are
 * active. A clean stop exits 0, says what it closed, and leaves the store closed: no lock file, no
 * write-ahead log, and the store opens again.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { startServe } from './CliProcess.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('lwm2m-hub serve stops in order on a termination signal', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} with NODE_ENV=production: exits 0, logs what it closed, releases the store`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-stop-'));
      dirs.push(dataDir);
      const serve = await startServe(dataDir, { NODE_ENV: 'production' });
      const storeFile = join(dataDir, 'events.sqlite');
      expect(existsSync(`${storeFile}.lock`)).toBe(true);

      serve.child.kill(signal);
      expect(await serve.exited).toBe(0);

      const log = serve.stderr();
      expect(log).toContain(`"signal":"${signal}"`);
      expect(log).toContain('"msg":"stopped"');
      for (const part of ['graphql', 'lwm2m server (CoAP)', 'event store']) expect(log).toContain(`"part":"${part}"`);
      expect(existsSync(`${storeFile}.lock`)).toBe(false);
      expect(existsSync(`${storeFile}-wal`)).toBe(false);
      const reopened = await SqliteEventStore.open(storeFile);
      try {
        expect(await reopened.headPosition()).toBeGreaterThan(0);
      } finally {
        await reopened.close();
      }
    });
  }

  it('exits at once, non-zero, on a second signal during the stop, and says so', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lwm2m-hub-stop-'));
    dirs.push(dataDir);
    const serve = await startServe(dataDir, { NODE_ENV: 'production' });
    // Two different signals are both delivered (only a signal of the same kind pending is merged), in
    // an order the kernel chooses: the second one decides the exit code, 128 + its number.
    serve.child.kill('SIGTERM');
    serve.child.kill('SIGINT');
    const code = await serve.exited;
    const second = code === 130 ? 'SIGINT' : 'SIGTERM';
    expect([130, 143]).toContain(code);
    expect(serve.stderr()).toContain(`"signal":"${second}","exitCode":${code}`);
    expect(serve.stderr()).toContain('a second signal during the stop');
    expect(serve.stderr()).not.toContain('"msg":"stopped"');
  });
});
