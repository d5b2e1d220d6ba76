import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceCsvEntry } from '../../../src/adapters/csv/DeviceCsvReader.ts';
import { detectDelimiter, readDeviceCsv } from '../../../src/adapters/csv/DeviceCsvReader.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));

async function entries(source: Readable | string): Promise<DeviceCsvEntry[]> {
  const all: DeviceCsvEntry[] = [];
  for await (const entry of readDeviceCsv(source)) all.push(entry);
  return all;
}

/** A Readable that delivers the text a few bytes at a time, to cut records and characters apart. */
function trickle(text: string, size: number): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

describe('readDeviceCsv', () => {
  it('yields the header, then each record with the line where it starts', async () => {
    const text = '\uFEFFID, endpoint id ,securityMode\r\n\r\na-1 , a-1,NO_SEC\r\n"b,1","b\r\nline two",PSK\r\n"c ""q""",c-1,NO_SEC';
    expect(await entries(text)).toEqual([
      { kind: 'header', line: 1, headers: ['ID', 'endpoint id', 'securityMode'] },
      { kind: 'record', line: 3, record: ['a-1', 'a-1', 'NO_SEC'] },
      { kind: 'record', line: 4, record: ['b,1', 'b\r\nline two', 'PSK'] },
      { kind: 'record', line: 6, record: ['c "q"', 'c-1', 'NO_SEC'] },
    ]);
  });

  it('skips rows whose cells are all empty, keeping later line numbers', async () => {
    expect(await entries('a,b\n,\n , \n1,2\n')).toEqual([
      { kind: 'header', line: 1, headers: ['a', 'b'] },
      { kind: 'record', line: 4, record: ['1', '2'] },
    ]);
  });

  it('reads semicolon- and tab-separated files', async () => {
    expect(await entries('a;b\n"x;y";z\n')).toEqual([
      { kind: 'header', line: 1, headers: ['a', 'b'] },
      { kind: 'record', line: 2, record: ['x;y', 'z'] },
    ]);
    expect(await entries('a\tb\nx,y\tz\n')).toEqual([
      { kind: 'header', line: 1, headers: ['a', 'b'] },
      { kind: 'record', line: 2, record: ['x,y', 'z'] },
    ]);
  });

  it('detects the separator from the header row, outside quotes', () => {
    expect(detectDelimiter('a,b,c')).toBe(',');
    expect(detectDelimiter('a;b;c')).toBe(';');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('"a;b;c",d')).toBe(',');
    expect(detectDelimiter('single')).toBe(',');
  });

  it('turns a ragged row into a malformed entry with its line and goes on', async () => {
    expect(await entries('a,b,c\n1,2\n4,5,6,7\n8,9,10\n')).toEqual([
      { kind: 'header', line: 1, headers: ['a', 'b', 'c'] },
      { kind: 'malformed', line: 2, message: 'the row has 2 fields but the header has 3', structural: false },
      { kind: 'malformed', line: 3, message: 'the row has 4 fields but the header has 3', structural: false },
      { kind: 'record', line: 4, record: ['8', '9', '10'] },
    ]);
  });

  it('reports an unclosed quote at the line after the last good row, as structural', async () => {
    expect(await entries('a,b\n1,2\n3,"4\n5,6\n')).toEqual([
      { kind: 'header', line: 1, headers: ['a', 'b'] },
      { kind: 'record', line: 2, record: ['1', '2'] },
      { kind: 'malformed', line: 3, message: 'a quoted field that starts on or after this line is never closed', structural: true },
    ]);
  });

  it('reports stray quotes with their line, as structural', async () => {
    const afterClosing = await entries('a,b\n"1"x,2\n');
    expect(afterClosing[1]).toEqual({ kind: 'malformed', line: 2, message: 'a closing quote is followed by a character other than a separator', structural: true });
    const inside = await entries('a,b\n1,2\n3,x"y\n');
    expect(inside[2]).toMatchObject({ kind: 'malformed', line: 3, structural: true });
  });

  it('reports a record longer than the limit instead of buffering without bound', async () => {
    const all: DeviceCsvEntry[] = [];
    for await (const entry of readDeviceCsv(`a,b\n1,"${'x'.repeat(2000)}\n`, { maxRecordSize: 100 })) all.push(entry);
    expect(all.at(-1)).toMatchObject({ kind: 'malformed', line: 2, structural: true });
  });

  it('reads a file whose lines end in CR LF and LF mixed (an edited export) row by row', async () => {
    expect(await entries('a,b\r\n1,2\n3,4\r\n5,6\n')).toEqual([
      { kind: 'header', line: 1, headers: ['a', 'b'] },
      { kind: 'record', line: 2, record: ['1', '2'] },
      { kind: 'record', line: 3, record: ['3', '4'] },
      { kind: 'record', line: 4, record: ['5', '6'] },
    ]);
    expect(await entries('a,b\n1,2\r\n3,4\n')).toHaveLength(3);
  });

  it('refuses bytes that are not UTF-8 at their line and column instead of reading U+FFFD, whatever the chunking', async () => {
    const bytes = Buffer.concat([Buffer.from('a;b;c\n1;2;3\n4;"x;y"'), Buffer.from([0x7a, 0xc3, 0x28]), Buffer.from(';6\n7;8;9\n')]);
    for (const size of [1, 2, 5, bytes.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const read = await entries(Readable.from(chunks));
      expect(read.filter((e) => e.kind === 'record').map((e) => e.line)).not.toContain(3);
      expect(read.at(-1)).toEqual({
        kind: 'malformed',
        line: 3,
        column: 2,
        message: 'the file is not UTF-8: byte c3 is not a UTF-8 character (save the file as UTF-8)',
        structural: true,
      });
    }
    const truncated = await entries(Readable.from([Buffer.from('a,b\n1,'), Buffer.from([0xe2, 0x82])]));
    expect(truncated.at(-1)).toMatchObject({ kind: 'malformed', line: 2, column: 2, message: 'the file is not UTF-8: bytes e2 82 are not a UTF-8 character (save the file as UTF-8)', structural: true });
  });

  it('lets the event loop run while it reads a large text given whole', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `dev-${i};dev-${i};PSK;${'k'.repeat(64)}`);
    const text = ['ID;endpoint id;securityMode;lwm2m psk_key', ...rows].join('\n');
    let turns = 0;
    let reading = true;
    const count = (): void => {
      turns++;
      if (reading) setImmediate(count);
    };
    setImmediate(count);
    const read = await entries(text);
    reading = false;
    expect(read.filter((entry) => entry.kind === 'record')).toHaveLength(5000);
    // Several chunks of 64 KiB (the text is about 490 KB), a turn of the event loop between each two.
    expect(turns).toBeGreaterThan(3);
  });

  it('yields nothing for an empty file, and the header alone for a header-only file', async () => {
    expect(await entries('')).toEqual([]);
    expect(await entries('a,b')).toEqual([{ kind: 'header', line: 1, headers: ['a', 'b'] }]);
  });

  it('streams files: the guide example files read as fixtures', async () => {
    const nosec = await entries(createReadStream(fixture('devices-nosec.csv')));
    expect(nosec.map((e) => [e.kind, e.line])).toEqual([['header', 1], ['record', 2], ['record', 3], ['record', 4]]);
    const psk = await entries(createReadStream(fixture('devices-psk.csv'), { highWaterMark: 16 }));
    expect(psk[0]).toMatchObject({ kind: 'header', line: 1 });
    expect(psk.filter((e) => e.kind === 'record')).toHaveLength(3);
    // Cells in the header's order: "endpoint id" is the 8th column, "lwm2m psk_key" the 12th.
    const first = psk[1];
    expect(first?.kind === 'record' ? [first.record[7], first.record[11]] : first).toEqual(['lwm2m-psk-0001', '000102030405060708090a0b0c0d0e0f']);
  });

  it('releases the source when the consumer stops early', async () => {
    const source = createReadStream(fixture('devices-psk.csv'), { highWaterMark: 64 });
    for await (const entry of readDeviceCsv(source)) {
      expect(entry.kind).toBe('header');
      break;
    }
    expect(source.destroyed).toBe(true);
  });

  it('throws what the source throws: an I/O error is not a CSV problem', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk went away'));
      },
    });
    await expect(entries(failing)).rejects.toThrow('disk went away');
  });

  it('reads back any table it is given, whatever the chunking (property)', async () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ' ', ',', ';', '"', '\n', '\r\n', 'é', '€') }).map((s) => s.trim());
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((width) =>
          fc.tuple(
            fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: width, maxLength: width }),
            fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 6 }),
            fc.integer({ min: 1, max: 7 }),
          ),
        ),
        async ([headers, rows, chunkSize]) => {
          const quote = (value: string): string => `"${value.replaceAll('"', '""')}"`;
          const lines = [headers.join(','), ...rows.map((row) => row.map(quote).join(','))];
          const read = await entries(trickle(lines.join('\n') + '\n', chunkSize));
          const expected: DeviceCsvEntry[] = [{ kind: 'header', line: 1, headers }];
          let line = 2;
          for (const row of rows) {
            if (row.some((value) => value !== '')) {
              expected.push({ kind: 'record', line, record: headers.map((_, i) => row[i] ?? '') });
            }
            line += 1 + row.reduce((n, value) => n + (value.match(/\r\n|\n/g)?.length ?? 0), 0);
          }
          expect(read).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never throws on arbitrary text (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom('a', ',', ';', '"', '\n', '\r', ' ', '\uFEFF') }), async (text) => {
        for (const entry of await entries(text)) expect(entry.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});
