/** What a write may refer to instead of holding it in its event: checked before it is queued, resolved when sent. */
import { describe, expect, it } from 'vitest';
import { AesGcmSecretSealer } from '../../../src/adapters/crypto/AesGcmSecretSealer.ts';
import { resolveContentReferences, withReferenceStandIns } from '../../../src/app/observations/ContentReferences.ts';
import { validateOperation } from '../../../src/app/operations/OperationRequests.ts';
import type { JsonValue } from '../../../src/domain/Json.ts';
import { coreObjectCatalog } from '../../../src/domain/lwm2m/StaticObjectModelCatalog.ts';
import type { OperationSpec, UncheckedOperation } from '../../../src/domain/operations/OperationEvents.ts';

const sealer = new AesGcmSecretSealer(Buffer.alloc(32, 5));
const write = (value: JsonValue): UncheckedOperation => ({ kind: 'write-replace', paths: ['/5/0/0'], content: { values: [value] } });
const reference = { firmwareId: 'f-1', sha256: 'ab'.repeat(32), size: 3 };

function reason(spec: UncheckedOperation): string | undefined {
  const standIns = withReferenceStandIns(spec);
  if (!standIns.ok) return standIns.reason;
  const valid = validateOperation(standIns.value, coreObjectCatalog());
  return valid.ok ? undefined : valid.reason;
}

describe('content references', () => {
  it('checks a package or a sealed text before the operation is queued, saying what is wrong', () => {
    expect(reason(write({ path: '/5/0/0', type: 'opaque', package: reference }))).toBeUndefined();
    const sealed = sealer.seal(new TextEncoder().encode('http://h/fw/f-1/token'));
    expect(reason({ kind: 'write-replace', paths: ['/5/0/1'], content: { values: [{ path: '/5/0/1', type: 'string', sealedText: { ...sealed } }] } })).toBeUndefined();
    expect(reason(write({ path: '/5/0/0', type: 'opaque', package: { ...reference, sha256: 'not hex' } }))).toBe('values[0]: a package is { "firmwareId", "sha256" (64 hex digits), "size" }');
    expect(reason(write({ path: '/5/0/0', type: 'string', package: reference }))).toBe('values[0]: a package is written to an opaque resource ("type": "opaque")');
    expect(reason(write({ path: '/5/0/0', type: 'opaque', text: 'AAAA', package: reference }))).toBe('values[0]: a value has a text or refers to one, not both');
    expect(reason(write({ path: '/5/0/1', type: 'integer', sealedText: { ...sealed } }))).toBe('values[0]: a sealed text is written to a string resource ("type": "string")');
  });

  it('resolves a sealed text with the sealer and refuses a package the repository does not hold', async () => {
    const sealed = sealer.seal(new TextEncoder().encode('http://h/fw/f-1/token'));
    const spec: OperationSpec = { kind: 'write-replace', paths: ['/5/0/1'], content: { values: [{ path: '/5/0/1', type: 'string', sealedText: { ...sealed } }] } };
    expect(await resolveContentReferences(spec, { sealer })).toEqual({ ok: true, value: { ...spec, content: { values: [{ path: '/5/0/1', type: 'string', text: 'http://h/fw/f-1/token' }] } } });
    expect(await resolveContentReferences(spec, {})).toEqual({ ok: false, reason: 'values[0]: a sealed text cannot be opened here (no sealer)' });
    const packageWrite: OperationSpec = { kind: 'write-replace', paths: ['/5/0/0'], content: { values: [{ path: '/5/0/0', type: 'opaque', package: reference }] } };
    expect(await resolveContentReferences(packageWrite, { sealer })).toEqual({
      ok: false,
      reason: `values[0]: the package of firmware f-1 (SHA-256 ${'ab'.repeat(32)}) is not in the repository`,
    });
  });
});
