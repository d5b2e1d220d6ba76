import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AppendResult, EventStore, ExpectedRevision, NewEvent } from '../../../src/adapters/eventstore/EventStore.ts';
import { MemoryEventStore } from '../../../src/adapters/eventstore/MemoryEventStore.ts';
import { silentLogger } from '../../../src/adapters/logging/Logger.ts';
import { LogFeed } from '../../../src/app/kernel/LogFeed.ts';
import { DeviceProtocolService } from '../../../src/app/protocols/DeviceProtocolService.ts';
import { importStreamPrefix } from '../../../src/domain/imports/StagedImports.ts';
import { protocolStream } from '../../../src/domain/protocols/DeviceProtocolEvents.ts';
import { ManualClock } from '../../support/ManualClock.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/ddf/${name}`, import.meta.url), 'utf8');
const user = { actor: 'user:test', correlationId: 'corr-1' };

/** Runs `beforeFirstAppend` (another writer) just before the first append to the stream. */
class ContendedStore extends MemoryEventStore implements EventStore {
  readonly #stream: string;
  beforeFirstAppend: (() => Promise<unknown>) | undefined;
  constructor(stream: string) {
    super();
    this.#stream = stream;
  }
  override async appendToStream(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const before = stream === this.#stream ? this.beforeFirstAppend : undefined;
    if (before) {
      this.beforeFirstAppend = undefined;
      await before();
    }
    return super.appendToStream(stream, events, expected);
  }
}

describe('DeviceProtocolService import', () => {
  it('decides a document again under a new import id when another writer appended to one of its objects meanwhile', async () => {
    const store = new ContendedStore(protocolStream(3303));
    const clock = new ManualClock(Date.parse('2026-02-01T08:00:00Z'));
    const protocols = new DeviceProtocolService({ store, feed: new LogFeed({ store }), clock, logger: silentLogger() });
    // The other writer, as another process: a feed of its own.
    store.beforeFirstAppend = () => new DeviceProtocolService({ store, feed: new LogFeed({ store }), clock, logger: silentLogger() }).importDdf(fixture('3303-1_0.xml'), user);
    const result = await protocols.importDdf(fixture('3303.xml'), user);
    expect(result).toMatchObject({ ok: true, protocols: [{ objectId: 3303, version: '1.1', created: true }] });
    expect([...(await protocols.protocolState(3303)).versions.keys()]).toEqual(['1.0', '1.1']);
    // The other writer's import and the second attempt of this one; the refused first attempt staged nothing.
    const commits = await store.readAll({ filter: { streamPrefixes: [importStreamPrefix] } });
    expect(new Set(commits.map((commit) => commit.stream)).size).toBe(2);
  });
});
