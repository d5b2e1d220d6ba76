/**
 * A path in the LwM2M object tree: /Object[/Instance[/Resource[/ResourceInstance]]]
 * (LwM2M Core 1.1, section 7.1). Ids are 16-bit unsigned integers; 65535 is reserved (MAX_ID) and
 * never names an object, instance or resource.
 */
import { DomainError } from '../DomainError.ts';

export interface LwM2mPath {
  readonly objectId: number;
  readonly instanceId?: number;
  readonly resourceId?: number;
  readonly resourceInstanceId?: number;
}

export const MAX_ID = 65534;

export class InvalidPathError extends DomainError {
  constructor(path: string, reason: string) {
    super('BAD_USER_INPUT', `invalid LwM2M path "${path}": ${reason}`, { path });
  }
}

/** Parses "/3/0/1" (leading slash optional, no trailing slash). Throws InvalidPathError. */
export function parsePath(text: string): LwM2mPath {
  const trimmed = text.startsWith('/') ? text.slice(1) : text;
  if (trimmed === '') throw new InvalidPathError(text, 'it names no object');
  const parts = trimmed.split('/');
  if (parts.length > 4) throw new InvalidPathError(text, 'it has more than 4 levels');
  const ids = parts.map((part, index) => {
    if (!/^(0|[1-9][0-9]{0,4})$/.test(part)) {
      throw new InvalidPathError(text, `level ${index + 1} ("${part}") is not an id from 0 to ${MAX_ID}`);
    }
    const id = Number(part);
    if (id > MAX_ID) throw new InvalidPathError(text, `level ${index + 1} (${id}) is above ${MAX_ID}`);
    return id;
  });
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids;
  return { objectId: objectId as number, instanceId, resourceId, resourceInstanceId };
}

export function formatPath(path: LwM2mPath): string {
  let text = `/${path.objectId}`;
  if (path.instanceId === undefined) return text;
  text += `/${path.instanceId}`;
  if (path.resourceId === undefined) return text;
  text += `/${path.resourceId}`;
  if (path.resourceInstanceId === undefined) return text;
  return `${text}/${path.resourceInstanceId}`;
}

export type PathLevel = 'object' | 'instance' | 'resource' | 'resourceInstance';

export function pathLevel(path: LwM2mPath): PathLevel {
  if (path.instanceId === undefined) return 'object';
  if (path.resourceId === undefined) return 'instance';
  if (path.resourceInstanceId === undefined) return 'resource';
  return 'resourceInstance';
}

/** True when `path` is `prefix` or lies below it. */
export function isPathPrefix(prefix: LwM2mPath, path: LwM2mPath): boolean {
  if (prefix.objectId !== path.objectId) return false;
  if (prefix.instanceId === undefined) return true;
  if (prefix.instanceId !== path.instanceId) return false;
  if (prefix.resourceId === undefined) return true;
  if (prefix.resourceId !== path.resourceId) return false;
  if (prefix.resourceInstanceId === undefined) return true;
  return prefix.resourceInstanceId === path.resourceInstanceId;
}

/**
 * The root "/" of a device's object tree. A Read-Composite or Observe-Composite may name it (LwM2M
 * Core 1.1 section 6.3, Read-Composite: "/" selects every object of the client), no other operation.
 */
export const ROOT_PATH = { root: true } as const;

/** A path of a composite operation's list: an LwM2M path or the root. */
export type CompositePath = LwM2mPath | typeof ROOT_PATH;

/** Parses "/" as the root and anything else as `parsePath` does. Throws InvalidPathError. */
export function parseCompositePath(text: string): CompositePath {
  return text === '/' ? ROOT_PATH : parsePath(text);
}

export function formatCompositePath(path: CompositePath): string {
  return 'root' in path ? '/' : formatPath(path);
}
