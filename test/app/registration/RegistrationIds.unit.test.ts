import { describe, expect, it } from 'vitest';
import { pooledRegistrationIds } from '../../../src/app/registration/RegistrationIds.ts';

describe('pooledRegistrationIds', () => {
  it('draws 96-bit base64url ids, all different, across refills of the pool', () => {
    const next = pooledRegistrationIds();
    const ids = Array.from({ length: 1_000 }, () => next());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(12);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives two pools different ids', () => {
    const first = pooledRegistrationIds();
    const second = pooledRegistrationIds();
    expect(first()).not.toBe(second());
  });
});
