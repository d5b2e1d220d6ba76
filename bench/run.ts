/**
 * `npm run bench`: runs every `bench/*.bench.ts` but the soak (or only those named as arguments, e.g.
 * `npm run bench -- eventstore`, `npm run bench -- soak`) one after another, each in its own process
 * with this Node, so that one benchmark's heap and threads never disturb the next. Their output is streamed as it comes.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const directory = import.meta.dirname;
const available = readdirSync(directory)
  .filter((name) => name.endsWith('.bench.ts'))
  .sort();
const wanted = process.argv.slice(2).map((name) => basename(name).replace(/(\.bench)?\.ts$/, ''));
const unknown = wanted.filter((name) => !available.includes(`${name}.bench.ts`));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}\n`);
  process.exit(2);
}
/** Run only when named: the soak takes 30 minutes and more by design. */
const onlyWhenNamed = ['soak.bench.ts'];
const selected = wanted.length > 0 ? wanted.map((name) => `${name}.bench.ts`) : available.filter((file) => !onlyWhenNamed.includes(file));

let failed = 0;
for (const file of selected) {
  process.stdout.write(`\n# ${file}\n\n`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join(directory, file)], { stdio: 'inherit' });
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) {
    failed++;
    process.stderr.write(`${file} failed (exit code ${String(code)})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
