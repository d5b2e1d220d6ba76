/**
 * Exactly once across a crash: a child process projects a log and dies by SIGKILL in the middle of a
 * read-model transaction; a new projector resumes from the committed checkpoints, and the read models
 * end up holding every event exactly once (the history's primary key is the position: a repeat would
 * fail it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../src/adapters/eventstore/SqliteEventStore.ts';
import { silentLogger } from '../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../src/app/kernel/LogFeed.ts';
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

/** Runs the fixture, which kills itself in the middle of the transaction that applies `killAt`. */
function projectUntilKilled(dir: string, killAt: number): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [fixture, dir, String(killAt)], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

describe('Projector across a crash', () => {
  it('resumes after SIGKILL with every event applied exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'projector-crash-'));
    dirs.push(dir);
    const file = join(dir, 'events.sqlite');
    const writer = await SqliteEventStore.open(file);
    const devices = 1000;
    const eventsPerDevice = 4;
    await Promise.all(
      Array.from({ length: devices }, (_, i) =>
        writer.appendToStream(
          deviceStream(`d-${i}`),
          [imported(registration(`d-${i}`)), ...Array.from({ length: eventsPerDevice - 1 }, (_, n) => updated(`d-${i}`, { name: `name-${n}` }))],
          'no_stream',
        ),
      ),
    );
    const head = await writer.headPosition();
    expect(head).toBe(devices * eventsPerDevice);
    // One process per embedded store (SqliteProcessLock): the child projecting it must have it alone.
    await writer.close();

    const killAt = 1234;
    expect(await projectUntilKilled(dir, killAt)).toBe('SIGKILL');
    const database = ReadModelDatabase.open(dir);
    // The transaction that was applying `killAt` is lost whole: the checkpoint is before it, and the
    // devices table holds exactly what the checkpoint covers.
    const checkpoint = database.checkpoint('devices')?.position ?? 0;
    expect(checkpoint).toBeGreaterThan(0);
    expect(checkpoint).toBeLessThan(killAt);
    const projected = new DeviceQueries(database.db).dump();
    expect(Math.max(0, ...projected.map((device) => device.position))).toBe(checkpoint);
    const historyCheckpoint = database.checkpoint('device-history')?.position ?? 0;
    expect(new DeviceHistoryQueries(database.db).dump().map((entry) => entry.position)).toEqual(Array.from({ length: historyCheckpoint }, (_, i) => i + 1));

    const store = await SqliteEventStore.open(file);
    const projector = new Projector({ store, feed: new LogFeed({ store }), database, projections: readModelProjections, logger: silentLogger() });
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
