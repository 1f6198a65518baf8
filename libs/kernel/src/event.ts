/** A domain event as deciders produce it: a type name and its data, nothing else. */
export interface Event<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

export type ActorType = 'user' | 'agent' | 'service' | 'system' | 'directory';

/** Who caused an event. `onBehalfOf` names the human an agent acts for; `via` the client or connection used. */
export interface Actor {
  readonly type: ActorType;
  readonly id: string;
  readonly onBehalfOf?: string;
  readonly via?: string;
}

/**
 * Where an event sits in the store-wide order. Events are ordered by `commit`, then `prepare`:
 * on PostgreSQL these are the appending transaction id and the row's sequence number, on KurrentDB
 * the commit and prepare positions of its log.
 */
export interface GlobalPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** The envelope every stored event carries (ARCHITECTURE §2). */
export interface RecordedEvent<E extends Event = Event> {
  readonly id: string;
  readonly type: E['type'];
  readonly schemaVersion: number;
  readonly orgId: string;
  readonly stream: string;
  readonly streamRevision: number;
  readonly position: GlobalPosition;
  readonly occurredAt: Date;
  readonly actor: Actor;
  readonly causationId: string | null;
  readonly correlationId: string;
  readonly data: E['data'];
}

export const comparePositions = (a: GlobalPosition, b: GlobalPosition): number =>
  a.commit === b.commit ? Number(a.prepare - b.prepare) : a.commit < b.commit ? -1 : 1;

/** An opaque, URL-safe form of a position, used as a consistency token and a cursor. */
export const formatPosition = (position: GlobalPosition): string => `${position.commit}-${position.prepare}`;

export const parsePosition = (token: string): GlobalPosition | null => {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(token);
  return match ? { commit: BigInt(match[1]!), prepare: BigInt(match[2]!) } : null;
};
