import { describe, expect, it } from 'vitest';
import { decideAll, foldEvents } from '../../src/domain/Decider.ts';
import { DomainError } from '../../src/domain/DomainError.ts';
import { counter } from '../app/kernel/CounterDecider.ts';

describe('decideAll', () => {
  const batch = decideAll(counter);

  it('decides each command on the state the previous commands left, and returns all their events', () => {
    // `reset` needs an existing counter: only the first `add` of the batch makes one.
    const events = batch.decide([{ type: 'add', amount: 2 }, { type: 'reset' }, { type: 'add', amount: 5 }], batch.initialState);
    expect(events).toEqual([
      { type: 'Added', data: { amount: 2 } },
      { type: 'Reset', data: { from: 2 } },
      { type: 'Added', data: { amount: 5 } },
    ]);
    expect(foldEvents(batch, events)).toBe(5);
  });

  it('fails the whole batch when one command throws', () => {
    expect(() => batch.decide([{ type: 'reset' }, { type: 'add', amount: 1 }], batch.initialState)).toThrow(DomainError);
  });

  it('decides nothing for an empty batch', () => {
    expect(batch.decide([], 3)).toEqual([]);
  });
});
