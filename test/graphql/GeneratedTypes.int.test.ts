/** The committed resolver types must be what `npm run codegen` makes of schema.graphql today. */
import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config, { generatedTypesFile } from '../../codegen.ts';

const root = new URL('../../', import.meta.url).pathname;

describe('generated GraphQL types', () => {
  it('are up to date with schema.graphql (run `npm run codegen` when this fails)', async () => {
    const outputs = await generate({ ...config, cwd: root, silent: true }, false);
    const output = outputs.find((file) => file.filename.endsWith(generatedTypesFile));
    expect(output).toBeDefined();
    expect(readFileSync(new URL(generatedTypesFile, `file://${root}`), 'utf8')).toBe(output?.content);
  });
});
