/**
 * What a client announces in the link-format payload of Register and Update (LwM2M Core 1.1 section
 * 6.2.1, "Objects and Object Instances"; Transport 1.1 section 6.4): its objects and instances,
 * each object's version (`ver`), an alternate root path (the link with `rt="oma.lwm2m"`) and the
 * content formats it supports (`ct` on that link, one value or a space-separated quoted list).
 *
 * Links that are not LwM2M object or instance paths under the root (other CoRE resources a client
 * may list, RFC 6690) are ignored, as LwM2M servers do; they are counted so that logs can tell.
 */
import type { CoreLink } from '../lwm2m/LinkFormat.ts';
import { linkParam, parseLinkFormat } from '../lwm2m/LinkFormat.ts';

export interface ObjectLink {
  readonly objectId: number;
  readonly instanceId: number | null;
  /** `ver`: the object's version, e.g. "1.1"; null when not given (then 1.0, Core 1.1 section 6.2.1). */
  readonly version: string | null;
}

export interface RegisteredObjects {
  /** "/" or the alternate path, e.g. "/lwm2m". */
  readonly rootPath: string;
  readonly contentFormats: readonly number[];
  readonly objects: readonly ObjectLink[];
  readonly ignoredLinks: number;
}

export type ObjectLinksResult =
  | { readonly ok: true; readonly objects: RegisteredObjects }
  | { readonly ok: false; readonly reason: string; readonly offset: number };

const maxId = 65534;

export function parseObjectLinks(text: string): ObjectLinksResult {
  const parsed = parseLinkFormat(text);
  if (!parsed.ok) return { ok: false, reason: parsed.error.reason, offset: parsed.error.offset };
  return interpretObjectLinks(parsed.links);
}

export function interpretObjectLinks(links: readonly CoreLink[]): ObjectLinksResult {
  const root = links.find((link) => linkParam(link, 'rt') === 'oma.lwm2m');
  const rootPath = root ? normalizeRoot(root.target) : '/';
  const contentFormats: number[] = [];
  if (root) {
    for (const param of root.params) {
      if (param.name.toLowerCase() !== 'ct' || param.value === null) continue;
      for (const item of param.value.trim().split(/\s+/)) {
        if (!/^\d{1,5}$/.test(item) || Number(item) > 65535) return { ok: false, reason: `ct value "${item}" is not a content format`, offset: 0 };
        contentFormats.push(Number(item));
      }
    }
  }
  const prefix = rootPath === '/' ? '/' : `${rootPath}/`;
  const objects: ObjectLink[] = [];
  let ignoredLinks = 0;
  for (const link of links) {
    if (link === root) continue;
    const ids = link.target.startsWith(prefix) ? idsOf(link.target.slice(prefix.length)) : undefined;
    if (!ids) {
      ignoredLinks++;
      continue;
    }
    const version = linkParam(link, 'ver');
    if (version !== undefined && (version === null || !/^\d{1,3}\.\d{1,3}$/.test(version))) {
      return { ok: false, reason: `ver "${String(version)}" on ${link.target} is not a version like 1.1`, offset: 0 };
    }
    objects.push({ objectId: ids[0], instanceId: ids[1] ?? null, version: version ?? null });
  }
  return { ok: true, objects: { rootPath, contentFormats, objects, ignoredLinks } };
}

function idsOf(path: string): [number] | [number, number] | undefined {
  const parts = path.split('/');
  if (parts.length > 2 || parts.some((part) => !/^(0|[1-9]\d{0,4})$/.test(part) || Number(part) > maxId)) return undefined;
  const [first, second] = parts.map(Number);
  if (first === undefined) return undefined;
  return second === undefined ? [first] : [first, second];
}

function normalizeRoot(target: string): string {
  const trimmed = target.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Whether two announcements are the same: devices of one model send the same objects, and may share one copy. */
export function sameObjectLinks(a: RegisteredObjects, b: RegisteredObjects): boolean {
  if (a === b) return true;
  if (a.rootPath !== b.rootPath || a.ignoredLinks !== b.ignoredLinks || a.contentFormats.length !== b.contentFormats.length || a.objects.length !== b.objects.length) return false;
  if (a.contentFormats.some((format, index) => format !== b.contentFormats[index])) return false;
  return a.objects.every((link, index) => {
    const other = b.objects[index];
    return other !== undefined && link.objectId === other.objectId && link.instanceId === other.instanceId && link.version === other.version;
  });
}
