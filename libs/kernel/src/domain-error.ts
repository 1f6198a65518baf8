/** The small fixed set of ways a command can be refused; each maps to one HTTP status at the edge. */
export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict' | 'forbidden' | 'precondition_failed';

/** A refused command: a stable SCREAMING_SNAKE code prefixed by its context, and a human message. */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}
