/**
 * Names of entries in the SenML-like formats: a base name plus a name that concatenate to a path
 * (RFC 8428 section 4.5.1; LwM2M Core 1.1 section 7.4.5 uses paths as names, "/3/0/1").
 */
import { formatPath, InvalidPathError, parsePath, type LwM2mPath } from '../LwM2mPath.ts';
import type { PathValue } from '../LwM2mValue.ts';

/** Parses a concatenated name as a path; a single trailing slash ("/3/0/") is allowed. */
export function nameToPath(name: string): LwM2mPath | string {
  const trimmed = name.length > 1 && name.endsWith('/') ? name.slice(0, -1) : name;
  try {
    return parsePath(trimmed);
  } catch (error) {
    if (error instanceof InvalidPathError) return error.message;
    throw error;
  }
}

/**
 * The base name and the names relative to it that the encoders write for the content of `path`:
 * one entry named exactly `path` gets the path as base name and no name; several get "path/" as base
 * name and relative names, as in the spec's examples (`"bn":"/3/0/","n":"0"`).
 */
export function relativeNames(path: LwM2mPath, entries: readonly PathValue[]): { baseName: string; names: (string | undefined)[] } {
  const base = formatPath(path);
  const only = entries[0];
  if (entries.length === 1 && only !== undefined && formatPath(only.path) === base) return { baseName: base, names: [undefined] };
  const prefix = `${base}/`;
  return { baseName: prefix, names: entries.map((entry) => formatPath(entry.path).slice(prefix.length)) };
}
