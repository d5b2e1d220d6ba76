/**
 * Reads a DDF file from disk for `import-protocol`. The size is checked before reading, so that an
 * oversized file is refused without loading it (the parser's own limit, `MAX_DDF_BYTES`).
 */
import { readFile, stat } from 'node:fs/promises';
import type { DdfError } from '../../domain/lwm2m/DdfError.ts';
import { MAX_DDF_BYTES } from '../../domain/lwm2m/DdfParser.ts';

export type DdfFileResult =
  | { readonly ok: true; readonly xml: string }
  | { readonly ok: false; readonly kind: 'refused'; readonly errors: readonly DdfError[] }
  | { readonly ok: false; readonly kind: 'unreadable'; readonly message: string };

export async function readDdfFile(path: string): Promise<DdfFileResult> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, kind: 'unreadable', message: `${path} is not a file` };
    if (info.size > MAX_DDF_BYTES) {
      return {
        ok: false,
        kind: 'refused',
        errors: [{ code: 'too-large', message: `the file has ${info.size} bytes; a DDF may have at most ${MAX_DDF_BYTES}` }],
      };
    }
    return { ok: true, xml: await readFile(path, 'utf8') };
  } catch (error) {
    return { ok: false, kind: 'unreadable', message: error instanceof Error ? error.message : String(error) };
  }
}
