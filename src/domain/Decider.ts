/**
 * The Decider pattern (as in Emmett): a business module is pure functions over commands, events and
 * state. `decide` returns the events a command causes given the current state (or throws a
 * DomainError); `evolve` folds one event into the state. Deciders never touch sockets, clocks or
 * random numbers: anything of that kind arrives inside the command.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  readonly initialState: State;
}

/** Folds events into a state from the decider's initial state. */
export function foldEvents<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: Iterable<Event>,
): State {
  let state = decider.initialState;
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
