/**
 * Exactly once across a crash: a child process projects a log and is killed with SIGKILL in the
 * middle; a new projector resumes from the committed checkpoints, and the read models end up holding
 * every event exactly once (the history's primary key is the position: a repeat would fail it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { deviceStream } from '../../src/domain/devices/DeviceEvents.ts';
import { DeviceQueries } from '../../src/projections/devices/DeviceQueries.ts';
import { DeviceHistoryQueries } from '../../src/projections/history/DeviceHistoryQueries.ts';
import { Projector } from '../../src/projections/Projector.ts';
import { ReadModelDatabase } from '../../src/projections/ReadModelDatabase.ts';
import { readModelProjections } from '../../src/projections/ReadModels.ts';
import { imported, registration, updated } from './DeviceEventFixtures.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'projectUntilKilled.ts');
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the fixture until it has committed at least `minimum` history events, then kills it. */
async function projectThenKill(dir: string, minimum: number): Promise<number> {
  const child = spawn(process.execPath, [fixture, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let last = 0;
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    last = Number(line);
    if (++seen === minimum) child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  return last;
}

describe('Projector across a crash', () => {
  it('resumes after SIGKILL with every event applied exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projector-crash-'));
    dirs.push(dir);
    const store = await SqliteEventStore.open(join(dir, 'events.sqlite'));
    const devices = 1000;
    const eventsPerDevice = 4;
    await Promise.all(
      Array.from({ length: devices }, (_, i) =>
        store.appendToStream(
          deviceStream(`d-${i}`),
          [imported(registration(`d-${i}`)), ...Array.from({ length: eventsPerDevice - 1 }, (_, n) => updated(`d-${i}`, { name: `name-${n}` }))],
          'no_stream',
        ),
      ),
    );
    const head = await store.headPosition();
    expect(head).toBe(devices * eventsPerDevice);

    const lastReported = await projectThenKill(dir, 200);
    const database = ReadModelDatabase.open(dir);
    const checkpoint = database.checkpoint('device-history')?.position ?? 0;
    // The child reported only committed events; it was killed before it reached the head.
    expect(checkpoint).toBeGreaterThanOrEqual(lastReported);
    expect(checkpoint).toBeLessThan(head);
    expect(new DeviceHistoryQueries(database.db).dump().map((entry) => entry.position)).toEqual(Array.from({ length: checkpoint }, (_, i) => i + 1));

    const projector = new Projector({ store, database, projections: readModelProjections, logger: silentLogger() });
    projector.start();
    await projector.waitFor(head);
    const history = new DeviceHistoryQueries(database.db).dump();
    expect(history.map((entry) => entry.position)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    const all = new DeviceQueries(database.db).dump();
    expect(all).toHaveLength(devices);
    expect(all.every((device) => device.name === `name-${eventsPerDevice - 2}` && device.revision === eventsPerDevice - 1)).toBe(true);
    await projector.close();
    database.close();
    await store.close();
  });
});
