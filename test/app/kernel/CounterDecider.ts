/** A counter decider for the kernel's tests: `add` appends Added; `reset` needs an existing counter. */
import type { Decider } from '../../../src/domain/Decider.ts';
import { DomainError } from '../../../src/domain/DomainError.ts';

export type CounterCommand = { type: 'add'; amount: number } | { type: 'reset' };
export type CounterEvent = { type: 'Added'; data: { amount: number } } | { type: 'Reset'; data: { from: number } };

export const counter: Decider<CounterCommand, CounterEvent, number | null> = {
  initialState: null,
  decide(command, state) {
    if (command.type === 'add') return command.amount === 0 ? [] : [{ type: 'Added', data: { amount: command.amount } }];
    if (state === null) throw new DomainError('NOT_FOUND', 'no counter');
    return [{ type: 'Reset', data: { from: state } }];
  },
  evolve: (state, event) => (event.type === 'Added' ? (state ?? 0) + event.data.amount : 0),
};
