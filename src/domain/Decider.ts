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

/**
 * The decider of a batch: decides the commands in order, each on the state the previous ones' events
 * left, and returns all their events, so that a batch is appended at once on one revision (the alarm
 * commands of one message). A command that throws fails the whole batch.
 */
export function decideAll<Command, Event, State>(decider: Decider<Command, Event, State>): Decider<readonly Command[], Event, State> {
  return {
    initialState: decider.initialState,
    decide(commands, state) {
      const events: Event[] = [];
      let current = state;
      for (const command of commands) {
        const decided = decider.decide(command, current);
        for (const event of decided) current = decider.evolve(current, event);
        events.push(...decided);
      }
      return events;
    },
    evolve: (state, event) => decider.evolve(state, event),
  };
}
