import { describe, expect, it } from 'vitest';
import { WrongExpectedVersion } from '../../../src/adapters/eventstore/EventStore.ts';
import { retryOnConflict } from '../../../src/app/kernel/RetryOnConflict.ts';

function conflict(): WrongExpectedVersion {
  return new WrongExpectedVersion('import-1', 0, 1);
}

describe('retryOnConflict', () => {
  it('runs the attempt again after a conflict and returns the first success', async () => {
    const tried: number[] = [];
    const result = await retryOnConflict(3, (index) => {
      tried.push(index);
      return index < 2 ? Promise.reject(conflict()) : Promise.resolve('done');
    });
    expect(result).toBe('done');
    expect(tried).toEqual([0, 1, 2]);
  });

  it('gives the last conflict to the caller once the attempts are spent', async () => {
    let tried = 0;
    const failing = retryOnConflict(2, () => {
      tried++;
      return Promise.reject(conflict());
    });
    await expect(failing).rejects.toBeInstanceOf(WrongExpectedVersion);
    expect(tried).toBe(2);
  });

  it('does not retry any other error', async () => {
    let tried = 0;
    const failing = retryOnConflict(3, () => {
      tried++;
      return Promise.reject(new Error('disk full'));
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(tried).toBe(1);
  });
});
