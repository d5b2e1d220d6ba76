/** The committed resolver types must be what `npm run codegen` makes of schema.graphql today. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const codegen = new URL('node_modules/.bin/graphql-codegen', `file://${root}`).pathname;

describe('generated GraphQL types', () => {
  it('are up to date with schema.graphql (run `npm run codegen` when this fails)', async () => {
    // --check: generate in memory and exit 1 when a committed file would change.
    const run = promisify(execFile)(codegen, ['--config', 'codegen.ts', '--check'], { cwd: root });
    await expect(run).resolves.toBeDefined();
  });
});
