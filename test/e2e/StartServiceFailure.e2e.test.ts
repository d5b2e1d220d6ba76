/**
 * A start that fails part way (here the HTTP port is taken) closes what it had opened before
 * rethrowing: the error names the port, and the same data directory opens again at once, with no
 * SQLite writer lock or socket left behind.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/config/Config.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import type { RunningService } from '../../src/main.ts';
import { startService } from '../../src/main.ts';

let dir: string;
let blocker: Server;
let service: RunningService | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-start-failure-'));
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await service?.close();
  await new Promise((resolve) => blocker.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function configWith(httpPort: number, coapPort = 0): ReturnType<typeof parseCommandLine>['config'] {
  return parseCommandLine(
    ['--data-dir', dir, '--http-host', '127.0.0.1', '--http-port', String(httpPort), '--coap-host', '127.0.0.1', '--coap-port', String(coapPort), '--coaps-port', '0', '--bootstrap-port', '0', '--bootstrap-dtls-port', '0'],
    {},
  ).config;
}

/** The files of the data directory this process holds open (Linux: /proc/self/fd). */
function openFilesIn(directory: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(directory)) open.push(target);
    } catch {
      // The descriptor readdir itself used is closed by now.
    }
  }
  return open;
}

describe('startService when a port is taken', () => {
  it('rejects naming the port, and leaves the data directory free for the next start', async () => {
    const takenPort = (blocker.address() as AddressInfo).port;
    await expect(startService(configWith(takenPort), {}, silentLogger())).rejects.toThrow(`cannot listen on 127.0.0.1:${takenPort}: the port is already in use`);
    expect(openFilesIn(dir)).toEqual([]);

    service = await startService(configWith(0), {}, silentLogger());
    expect(service.graphql.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(await service.store.headPosition()).toBeGreaterThan(0);
  });

  it('frees the CoAP port it had bound before the failure', async () => {
    const coapPort = service?.coap.local.port;
    await service?.close();
    service = undefined;
    if (coapPort === undefined) throw new Error('no service');
    const takenPort = (blocker.address() as AddressInfo).port;
    await expect(startService(configWith(takenPort, coapPort), {}, silentLogger())).rejects.toThrow(`cannot listen on 127.0.0.1:${takenPort}: the port is already in use`);
    service = await startService(configWith(0, coapPort), {}, silentLogger());
    expect(service.coap.local.port).toBe(coapPort);
  });
});
