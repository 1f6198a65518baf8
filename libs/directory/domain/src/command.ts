/** Commands carry everything a decision needs: ids and time are chosen by the caller, never inside. */
export interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly now: Date;
}
