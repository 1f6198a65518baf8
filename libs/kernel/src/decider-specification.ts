import { deepStrictEqual, fail } from 'node:assert/strict';
import { type Decider, fold } from './decider';
import { type Event } from './event';

/** A refusal check: an error class, a domain error `code`, or a predicate. */
export type RefusalMatcher = string | (new (...args: never[]) => Error) | ((error: unknown) => boolean);

export interface DeciderThen<E extends Event> {
  then(expected: readonly E[]): void;
  thenNothingHappened(): void;
  thenThrows(matcher?: RefusalMatcher): void;
}

const matches = (error: unknown, matcher: RefusalMatcher): boolean => {
  if (typeof matcher === 'string') return (error as { code?: unknown } | null)?.code === matcher;
  if (matcher.prototype instanceof Error) return error instanceof matcher;
  return (matcher as (error: unknown) => boolean)(error);
};

/** given(events).when(command).then(events) — a decider test with no store and no framework. */
export const deciderSpecification =
  <State, Command, E extends Event>(decider: Decider<State, Command, E>) =>
  (given: readonly E[]) => ({
    when(command: Command): DeciderThen<E> {
      const run = () => decider.decide(command, fold(decider, given));
      return {
        then: (expected) => deepStrictEqual(run(), expected),
        thenNothingHappened: () => deepStrictEqual(run(), []),
        thenThrows(matcher) {
          try {
            run();
          } catch (error) {
            if (matcher && !matches(error, matcher))
              fail(`The command was refused with an unexpected error: ${String(error)}`);
            return;
          }
          fail('Expected the command to be refused, but it was accepted');
        },
      };
    },
  });
