import { describe, expect, it } from 'vitest';
import type { PendingAppend } from '../../../src/adapters/eventstore/SqliteAppendBatch.ts';
import { packAppends, packOutcomes, unpackAppends, unpackResult } from '../../../src/adapters/eventstore/SqliteWriterMessages.ts';

describe('SqliteWriterMessages', () => {
  it('carries every field of a batch across unchanged, whatever characters the fields hold', () => {
    const appends: PendingAppend[] = [
      { stream: 'device-a', expected: 'no_stream', rows: [['id-1', 'E', '{"text":"12:-34"}', 'c-1', null, 'device:a', 1]] },
      { stream: '7:-', expected: 41, rows: [] },
      { stream: 'émoji-😀', expected: 'stream_exists', rows: [['', '-', '"\\u0000"', null, ':', '', 3], ['id-3', 'F', 'null', null, null, null, 1]] },
      { stream: '', expected: 'any', rows: [['0', '1:', '[]', '-', '--', ':-:', 2]] },
    ];
    expect(unpackAppends(packAppends(appends))).toEqual(appends);
  });

  it('refuses a packed batch that is cut short or malformed rather than reading past it', () => {
    const packed = packAppends([{ stream: 'device-a', expected: 0, rows: [['id-1', 'E', '{}', null, null, null, 1]] }]);
    expect(() => unpackAppends(packed.slice(0, -3))).toThrow(/malformed field/);
    expect(() => unpackAppends(`x${packed}`)).toThrow(/malformed field/);
    expect(() => unpackAppends('-')).toThrow(/required field is null/);
  });

  it("carries the writer's outcomes across: last revision and position, or the actual revision", () => {
    const result = { outcomes: [{ ok: true, lastRevision: 0, lastPosition: 2 ** 40 }, { ok: false, actual: -1 }, { ok: false, actual: 7 }], mergedThrough: 12 } as const;
    expect(unpackResult(packOutcomes(result.outcomes), 12)).toEqual(result);
    expect(unpackResult(packOutcomes([]), undefined)).toEqual({ outcomes: [], mergedThrough: undefined });
  });
});
