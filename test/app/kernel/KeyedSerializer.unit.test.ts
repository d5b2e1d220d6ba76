import { describe, expect, it } from 'vitest';
import { KeyedSerializer } from '../../../src/app/kernel/KeyedSerializer.ts';

/** A task that records its start and end around a wait the test releases. */
function gate(): { readonly wait: Promise<void>; readonly open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe('KeyedSerializer', () => {
  it('runs the tasks of one key one after another in order, and those of other keys meanwhile', async () => {
    const serializer = new KeyedSerializer();
    const log: string[] = [];
    const first = gate();
    const a1 = serializer.run('a', async () => {
      log.push('a1 start');
      await first.wait;
      log.push('a1 end');
      return 1;
    });
    const a2 = serializer.run('a', () => {
      log.push('a2 start');
      return Promise.resolve(2);
    });
    const b1 = serializer.run('b', () => {
      log.push('b1 start');
      return Promise.resolve(3);
    });
    expect(await b1).toBe(3);
    expect(log).toEqual(['a1 start', 'b1 start']);
    first.open();
    expect(await Promise.all([a1, a2])).toEqual([1, 2]);
    expect(log).toEqual(['a1 start', 'b1 start', 'a1 end', 'a2 start']);
  });

  it('fails only the caller of a failing task, whether it fails at once or later, and goes on with the next', async () => {
    const serializer = new KeyedSerializer();
    const thrown = serializer.run('a', () => {
      throw new Error('at once');
    });
    const rejected = serializer.run('a', () => Promise.reject(new Error('later')));
    const next = serializer.run('a', () => Promise.resolve('next'));
    await expect(thrown).rejects.toThrow('at once');
    await expect(rejected).rejects.toThrow('later');
    expect(await next).toBe('next');
  });

  it('starts a task at once on a key whose earlier tasks have all settled', async () => {
    const serializer = new KeyedSerializer();
    await serializer.run('a', () => Promise.resolve());
    // Let the drained key's tail go.
    await new Promise((resolve) => setImmediate(resolve));
    let started = false;
    const run = serializer.run('a', () => {
      started = true;
      return Promise.resolve();
    });
    expect(started).toBe(true);
    await run;
  });
});
