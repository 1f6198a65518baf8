import { type Event } from './event';

/**
 * An aggregate as three pure functions (Emmett's decider): commands in, events out, state folded
 * from events. Time, ids and the caller come in with the command; nothing here does I/O.
 */
export interface Decider<State, Command, E extends Event> {
  readonly initialState: () => State;
  readonly decide: (command: Command, state: State) => E[];
  readonly evolve: (state: State, event: E) => State;
}

export const assertNever = (value: never, message = 'Unexpected value'): never => {
  throw new Error(`${message}: ${JSON.stringify(value)}`);
};

export const fold = <State, E extends Event>(
  decider: Pick<Decider<State, never, E>, 'initialState' | 'evolve'>,
  events: readonly E[],
): State => events.reduce(decider.evolve, decider.initialState());
