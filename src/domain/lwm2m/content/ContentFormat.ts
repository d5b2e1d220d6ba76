/**
 * CoAP content formats of LwM2M (the ids of the CoAP Content-Formats registry, RFC 7252 section
 * 12.3, as LwM2M Core 1.1 section 7.4 and Core 1.2 section 7.4 use them), and which one to ask a device
 * for.
 *
 * Order of preference, by the LwM2M version the device registered with (`lwm2m=`):
 * - 1.0: TLV, then LwM2M JSON (Core 1.0 section 6.4: TLV is the format every 1.0 client supports;
 *   JSON is optional), then the pre-registration ids 1542 and 1543 that clients built before the
 *   IANA registration still answer to.
 * - 1.1: SenML CBOR, SenML JSON, TLV, LwM2M JSON (Core 1.1 section 7.4: a 1.1 client supports at
 *   least one of SenML CBOR, SenML JSON and TLV; CBOR is the most compact and carries exact types).
 * - 1.2: LwM2M CBOR, SenML CBOR, SenML JSON, TLV, LwM2M JSON (Core 1.2 section 7.4.7 adds LwM2M CBOR,
 *   the most compact). LwM2M CBOR is optional for a client, so it is asked for only when the device
 *   announced it; a 1.2 device that announced nothing is served the 1.1 order (SenML CBOR first).
 * - Composite operations (Read-, Write-, Observe-Composite, Core 1.1 sections 6.3 and 6.4) need a
 *   format that names full paths and can list bare paths in the request: SenML CBOR, then SenML JSON
 *   (1.1 and up; none in 1.0).
 * - For a single resource or resource instance, text/plain comes last: every client supports it
 *   (Core 1.1 section 7.4.1).
 * Formats a device announced (the `ct` attribute of its root link, Core 1.1 section 6.2.1) are kept in
 * this order; a device that announced none is offered every format of its version.
 *
 * On 4.06 Not Acceptable (to an Accept option) or 4.15 Unsupported Content-Format (to a payload), the
 * sender moves to `nextFallback`.
 *
 * An operator may instead choose the format of one request (`usableContentFormats` lists what this
 * server can read and write for it, announced or not): CBOR (60, Core 1.2 section 7.4.6) is only
 * used when chosen, so that the formats a device gets by default stay those above.
 */
import { pathLevel, type LwM2mPath } from '../LwM2mPath.ts';

export const CONTENT_FORMAT = {
  textPlain: 0,
  linkFormat: 40,
  opaque: 42,
  cbor: 60,
  senmlJson: 110,
  senmlCbor: 112,
  tlvPreRegistration: 1542,
  lwm2mJsonPreRegistration: 1543,
  tlv: 11542,
  lwm2mJson: 11543,
  lwm2mCbor: 11544,
} as const;

export type ContentFormatId = (typeof CONTENT_FORMAT)[keyof typeof CONTENT_FORMAT];

export const CONTENT_FORMAT_NAMES: Readonly<Record<ContentFormatId, string>> = {
  0: 'text/plain',
  40: 'application/link-format',
  42: 'application/octet-stream',
  60: 'application/cbor',
  110: 'application/senml+json',
  112: 'application/senml+cbor',
  1542: 'application/vnd.oma.lwm2m+tlv (pre-registration id)',
  1543: 'application/vnd.oma.lwm2m+json (pre-registration id)',
  11542: 'application/vnd.oma.lwm2m+tlv',
  11543: 'application/vnd.oma.lwm2m+json',
  11544: 'application/vnd.oma.lwm2m+cbor',
};

const KNOWN = new Set<number>(Object.values(CONTENT_FORMAT));

export function isContentFormatId(id: number): id is ContentFormatId {
  return KNOWN.has(id);
}

export function contentFormatName(id: number): string {
  return isContentFormatId(id) ? CONTENT_FORMAT_NAMES[id] : `content format ${id}`;
}

/** What the payload is for: a Read/Observe or Write/Create on one path, or a composite operation. */
export type ContentOperation = { readonly kind: 'read' | 'write'; readonly path: LwM2mPath } | { readonly kind: 'composite' };

type Version = '1.0' | '1.1' | '1.2';

const TREE_FORMATS: Readonly<Record<Version, readonly ContentFormatId[]>> = {
  '1.0': [CONTENT_FORMAT.tlv, CONTENT_FORMAT.lwm2mJson, CONTENT_FORMAT.tlvPreRegistration, CONTENT_FORMAT.lwm2mJsonPreRegistration],
  '1.1': [CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.senmlJson, CONTENT_FORMAT.tlv, CONTENT_FORMAT.lwm2mJson],
  '1.2': [CONTENT_FORMAT.lwm2mCbor, CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.senmlJson, CONTENT_FORMAT.tlv, CONTENT_FORMAT.lwm2mJson],
};

const COMPOSITE_FORMATS: Readonly<Record<Version, readonly ContentFormatId[]>> = {
  '1.0': [],
  '1.1': [CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.senmlJson],
  '1.2': [CONTENT_FORMAT.senmlCbor, CONTENT_FORMAT.senmlJson],
};

/** "1.1" and "1.1.1" are 1.1; versions above 1.2 are served as 1.2; anything else as 1.0. */
function versionOf(lwm2mVersion: string): Version {
  const match = /^1\.([0-9]+)/.exec(lwm2mVersion);
  const minor = match === null ? 0 : Number(match[1]);
  return minor >= 2 ? '1.2' : minor === 1 ? '1.1' : '1.0';
}

/** Every format to try for `operation`, best first (see the file comment for the order). */
export function contentFormatCandidates(lwm2mVersion: string, announcedFormats: readonly number[], operation: ContentOperation): ContentFormatId[] {
  const version = versionOf(lwm2mVersion);
  const preferred: ContentFormatId[] = [...(operation.kind === 'composite' ? COMPOSITE_FORMATS[version] : TREE_FORMATS[version])];
  const filtered =
    announcedFormats.length === 0
      ? preferred.filter((format) => format !== CONTENT_FORMAT.lwm2mCbor)
      : preferred.filter((format) => announcedFormats.includes(format));
  if (operation.kind !== 'composite') {
    const level = pathLevel(operation.path);
    if (level === 'resource' || level === 'resourceInstance') filtered.push(CONTENT_FORMAT.textPlain);
  }
  return filtered;
}

/** The formats that carry one value: for a resource or resource instance only (Core 1.2 sections 7.4.1, 7.4.2, 7.4.6). */
const SINGLE_VALUE_FORMATS: readonly ContentFormatId[] = [CONTENT_FORMAT.textPlain, CONTENT_FORMAT.opaque, CONTENT_FORMAT.cbor];

/** The formats this server reads and writes for `operation`, whatever the device announced: the formats an operator may choose. */
export function usableContentFormats(operation: ContentOperation): ContentFormatId[] {
  if (operation.kind === 'composite') return [...COMPOSITE_FORMATS['1.2']];
  const tree = [...TREE_FORMATS['1.2'], CONTENT_FORMAT.tlvPreRegistration, CONTENT_FORMAT.lwm2mJsonPreRegistration];
  const level = pathLevel(operation.path);
  return level === 'resource' || level === 'resourceInstance' ? [...tree, ...SINGLE_VALUE_FORMATS] : tree;
}

/**
 * Short names of the content formats an operator may choose (the shell's `--format`), beside their
 * numeric ids: "senml-cbor" is 112.
 */
export const CONTENT_FORMAT_SHORT_NAMES: Readonly<Record<string, ContentFormatId>> = {
  text: CONTENT_FORMAT.textPlain,
  opaque: CONTENT_FORMAT.opaque,
  cbor: CONTENT_FORMAT.cbor,
  'senml-json': CONTENT_FORMAT.senmlJson,
  'senml-cbor': CONTENT_FORMAT.senmlCbor,
  tlv: CONTENT_FORMAT.tlv,
  'lwm2m-json': CONTENT_FORMAT.lwm2mJson,
  'lwm2m-cbor': CONTENT_FORMAT.lwm2mCbor,
};

/** The format a short name or a numeric id names ("senml-cbor", "112"); undefined when it names none this server knows. */
export function contentFormatByName(text: string): ContentFormatId | undefined {
  const named = Object.hasOwn(CONTENT_FORMAT_SHORT_NAMES, text) ? CONTENT_FORMAT_SHORT_NAMES[text] : undefined;
  if (named !== undefined) return named;
  const id = /^(0|[1-9][0-9]{0,4})$/.test(text) ? Number(text) : Number.NaN;
  return isContentFormatId(id) ? id : undefined;
}

/** The format to put in Accept (read) or Content-Format (write), or undefined when none fits (composite on 1.0). */
export function chooseContentFormat(lwm2mVersion: string, announcedFormats: readonly number[], operation: ContentOperation): ContentFormatId | undefined {
  return contentFormatCandidates(lwm2mVersion, announcedFormats, operation)[0];
}

/** The format to try after the device refused `current` with 4.06 or 4.15; undefined when none is left. */
export function nextFallback(
  current: number,
  lwm2mVersion: string,
  announcedFormats: readonly number[],
  operation: ContentOperation,
): ContentFormatId | undefined {
  const candidates = contentFormatCandidates(lwm2mVersion, announcedFormats, operation);
  const index = candidates.findIndex((format) => format === current);
  return index < 0 ? undefined : candidates[index + 1];
}
