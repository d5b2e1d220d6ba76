/**
 * What an operation's content may refer to instead of holding it, because an event must not hold it:
 * - a package of the firmware repository, `{ "path": "/5/0/0", "type": "opaque", "package": { "firmwareId",
 *   "sha256", "size" } }`: event stores cap an append's size (EventStoreDB at 1 MiB by default), and a
 *   package is already in the repository; its bytes are read from there, checked against the digest,
 *   each time the write is sent;
 * - a sealed text, `{ "path": "/5/0/1", "type": "string", "sealedText": { "sealed", "fingerprint" } }`: a
 *   secret (a Package URI carrying an access token) that events and read models hold only sealed.
 * `withReferenceStandIns` checks the references of an operation as requested and gives it with
 * stand-in texts, to check the rest before it is queued; `resolveContentReferences` turns the
 * references of a queued (so checked) operation into plain `text` values for the request builder, in
 * memory only.
 */
import type { JsonValue } from '../../domain/Json.ts';
import type { OperationSpec, PackageReference, UncheckedOperation, WrittenValue } from '../../domain/operations/OperationEvents.ts';
import { writesValues } from '../../domain/operations/OperationEvents.ts';
import type { SealedSecret, SecretSealer } from '../../domain/SealedSecret.ts';
import { isSealedSecret } from '../../domain/SealedSecret.ts';
import type { Built } from '../operations/OperationRequests.ts';

/** Where the bytes of a package reference are read when the operation is sent (the firmware repository). */
export interface PackageSource {
  /** Undefined when there is no such package, or not with that SHA-256. */
  packageBytes(reference: PackageReference): Promise<Uint8Array | undefined>;
}

export interface ContentSources {
  readonly packages?: PackageSource;
  readonly sealer?: SecretSealer;
}

type ValueItem = { readonly [key: string]: JsonValue };
/** What a reference stands for: the type of the value and its text. */
type ResolvedText = { readonly type: 'opaque' | 'string'; readonly text: string };
type Reference = { readonly kind: 'package'; readonly reference: PackageReference } | { readonly kind: 'sealed'; readonly secret: SealedSecret };

/** The operation with every reference replaced by the text it stands for. */
export async function resolveContentReferences(spec: OperationSpec, sources: ContentSources): Promise<Built<OperationSpec>> {
  if (!writesValues(spec)) return { ok: true, value: spec };
  const values: WrittenValue[] = [];
  let changed = false;
  for (const [index, item] of spec.content.values.entries()) {
    const reference = referenceIn(item);
    if (reference === undefined) {
      values.push(item);
      continue;
    }
    const value = await resolveReference(reference, sources);
    if (!value.ok) return { ok: false, reason: `values[${index}]: ${value.reason}` };
    values.push({ path: item.path, ...value.value });
    changed = true;
  }
  return { ok: true, value: changed ? { ...spec, content: { ...spec.content, values } } : spec };
}

function referenceIn(item: WrittenValue): Reference | undefined {
  if ('package' in item) return { kind: 'package', reference: item.package };
  if ('sealedText' in item) return { kind: 'sealed', secret: item.sealedText };
  return undefined;
}

/** The operation with every reference replaced by an empty value of its type: enough to check it. */
export function withReferenceStandIns(spec: UncheckedOperation): Built<UncheckedOperation> {
  return mapReferences(spec, standIn);
}

function standIn(reference: Reference): Built<ResolvedText> {
  return { ok: true, value: { type: reference.kind === 'package' ? 'opaque' : 'string', text: '' } };
}

async function resolveReference(reference: Reference, sources: ContentSources): Promise<Built<ResolvedText>> {
  if (reference.kind === 'sealed') {
    if (!sources.sealer) return { ok: false, reason: 'a sealed text cannot be opened here (no sealer)' };
    return { ok: true, value: { type: 'string', text: new TextDecoder().decode(sources.sealer.open(reference.secret)) } };
  }
  const bytes = await sources.packages?.packageBytes(reference.reference);
  if (bytes === undefined) return { ok: false, reason: `the package of firmware ${reference.reference.firmwareId} (SHA-256 ${reference.reference.sha256}) is not in the repository` };
  return { ok: true, value: { type: 'opaque', text: Buffer.from(bytes).toString('base64') } };
}

/** The operation with each referring value replaced by what `replace` gives for it (by the value's index). */
function mapReferences(spec: UncheckedOperation, replace: (reference: Reference, index: number) => Built<ResolvedText>): Built<UncheckedOperation> {
  const content = spec.content;
  if (content === null || typeof content !== 'object' || Array.isArray(content) || !Array.isArray(content['values'])) return { ok: true, value: spec };
  const values: JsonValue[] = [];
  let changed = false;
  for (const [index, item] of content['values'].entries()) {
    if (item === null || typeof item !== 'object' || Array.isArray(item) || (item['package'] === undefined && item['sealedText'] === undefined)) {
      values.push(item);
      continue;
    }
    const reference = referenceOf(item);
    if (!reference.ok) return { ok: false, reason: `values[${index}]: ${reference.reason}` };
    const replaced = replace(reference.value, index);
    if (!replaced.ok) return { ok: false, reason: `values[${index}]: ${replaced.reason}` };
    const { package: _package, sealedText: _sealed, ...rest } = item;
    values.push({ ...rest, ...replaced.value });
    changed = true;
  }
  return { ok: true, value: changed ? { ...spec, content: { ...content, values } } : spec };
}

function referenceOf(item: ValueItem): Built<Reference> {
  const declared = item['type'];
  if (item['text'] !== undefined) return { ok: false, reason: 'a value has a text or refers to one, not both' };
  const sealed = item['sealedText'];
  if (sealed !== undefined) {
    if (!isSealedSecret(sealed)) return { ok: false, reason: 'a sealed text is { "sealed", "fingerprint" }' };
    if (declared !== 'string') return { ok: false, reason: 'a sealed text is written to a string resource ("type": "string")' };
    return { ok: true, value: { kind: 'sealed', secret: sealed } };
  }
  const value = item['package'];
  if (declared !== 'opaque') return { ok: false, reason: 'a package is written to an opaque resource ("type": "opaque")' };
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'a package is { "firmwareId", "sha256", "size" }' };
  const { firmwareId, sha256, size } = value;
  if (typeof firmwareId !== 'string' || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return { ok: false, reason: 'a package is { "firmwareId", "sha256" (64 hex digits), "size" }' };
  }
  return { ok: true, value: { kind: 'package', reference: { firmwareId, sha256, size } } };
}
