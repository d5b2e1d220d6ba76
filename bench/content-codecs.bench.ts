/**
 * Content-format codec benchmark: encodes and decodes, in every tree format, the two payloads the
 * server handles most, typed by the shipped core object models:
 * - a notification of one float (/3303/0/5700, the temperature sensor value);
 * - a Read of the Device object instance (/3/0, the spec's example: 13 resources, 3 of them multiple).
 *
 *   node bench/content-codecs.bench.ts [milliseconds per case]
 *
 * Meaning: the target is 20,000 notifications per second end to end on 2 cores; decoding a
 * notification should take a small share of the 50 µs per notification that this leaves.
 */
import { cpus } from 'node:os';
import { CONTENT_FORMAT, contentFormatName } from '../src/domain/lwm2m/content/ContentFormat.ts';
import { decodeContent, encodeContent } from '../src/domain/lwm2m/content/ContentCodecs.ts';
import type { LwM2mPath } from '../src/domain/lwm2m/LwM2mPath.ts';
import type { LwM2mNode } from '../src/domain/lwm2m/LwM2mValue.ts';
import { coreObjectCatalog } from '../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import { DEVICE_INSTANCE } from '../test/domain/lwm2m/content/deviceFixture.ts';

const budgetMs = Number(process.argv[2] ?? 900);
const catalog = coreObjectCatalog();

const payloads: { name: string; node: LwM2mNode; path: LwM2mPath }[] = [
  { name: 'notification /3303/0/5700', node: { kind: 'resource', id: 5700, value: { type: 'float', value: 21.5 } }, path: { objectId: 3303, instanceId: 0, resourceId: 5700 } },
  { name: 'Read /3/0 (Device)', node: DEVICE_INSTANCE, path: { objectId: 3, instanceId: 0 } },
];
const formats = [CONTENT_FORMAT.tlv, CONTENT_FORMAT.lwm2mJson, CONTENT_FORMAT.senmlJson, CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.lwm2mCbor];

/**
 * Operations per second of `operation` after a warm-up: the best of three rounds of `budgetMs / 3`,
 * since the machine is shared and a round can lose the CPU to another process.
 */
function rate(operation: () => void): number {
  for (let i = 0; i < 2_000; i++) operation();
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let count = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < budgetMs / 3) {
      for (let i = 0; i < 200; i++) operation();
      count += 200;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (count / elapsed) * 1000);
  }
  return best;
}

const rows: string[] = [];
for (const payload of payloads) {
  for (const format of formats) {
    const encoded = encodeContent(format, payload.node, payload.path);
    if (!encoded.ok) throw new Error(`${contentFormatName(format)}: ${encoded.error.message}`);
    const bytes = encoded.value;
    const encodeRate = rate(() => {
      encodeContent(format, payload.node, payload.path);
    });
    const decodeRate = rate(() => {
      const decoded = decodeContent(format, bytes, payload.path, catalog);
      if (!decoded.ok) throw new Error(decoded.error.message);
    });
    rows.push(`| ${payload.name} | ${contentFormatName(format)} | ${bytes.length} | ${Math.round(encodeRate).toLocaleString('en')} | ${Math.round(decodeRate).toLocaleString('en')} | ${(1e6 / decodeRate).toFixed(1)} |`);
  }
}

process.stdout.write(`Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), best of 3 rounds of ${Math.round(budgetMs / 3)} ms per case\n\n`);
process.stdout.write('| payload | format | bytes | encodes/s | decodes/s | µs per decode |\n|---|---|---:|---:|---:|---:|\n');
process.stdout.write(`${rows.join('\n')}\n`);
