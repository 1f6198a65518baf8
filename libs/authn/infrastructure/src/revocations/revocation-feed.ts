import { GrantRevokedV1 } from '@mandate/contracts';
import { type EventStore } from '@mandate/eventstore';
import { comparePositions, formatPosition, type GlobalPosition, type RecordedEvent } from '@mandate/kernel';

/** One revocation as the feed serves it (docs/revocation-feed.md): the event's data plus its cursor. */
export interface FeedRevocation {
  readonly cursor: string;
  readonly grantId: string;
  readonly orgId: string;
  readonly subject: string;
  readonly clientId: string;
  readonly actor: string | null;
  readonly reason: string;
  readonly revokedAt: string;
  readonly expiresAt: string;
}

export interface FeedItem {
  readonly position: GlobalPosition;
  readonly revocation: FeedRevocation;
}

const toItem = (event: RecordedEvent): FeedItem | null => {
  if (!GrantRevokedV1.is(event)) return null;
  return { position: event.position, revocation: { cursor: formatPosition(event.position), ...event.data } };
};

type Listener = (items: readonly FeedItem[]) => void;

/**
 * The revocation feed: catch-up pages read from the event store (`authn.grant.revoked` in store
 * order), and live delivery of each revocation as soon as the projection has committed it.
 */
export class RevocationFeed {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly store: EventStore) {}

  /** Up to `limit` revocations after `after`, of one organization or (null) all; short only when caught up. */
  async page(after: GlobalPosition | null, limit: number, orgId: string | null): Promise<FeedItem[]> {
    const items: FeedItem[] = [];
    let from = after;
    for (;;) {
      const events = await this.store.readAll({
        after: from,
        maxCount: limit,
        filter: { types: ['authn.grant.revoked'] },
      });
      for (const event of events) {
        const item = toItem(event);
        if (item && (orgId === null || item.revocation.orgId === orgId)) items.push(item);
        if (items.length === limit) return items;
      }
      if (events.length < limit) return items;
      from = events[events.length - 1]!.position;
    }
  }

  /** Called with the events a projection batch committed, in store order. */
  committed(events: readonly RecordedEvent[]): void {
    if (this.listeners.size === 0) return;
    const items = events.map(toItem).filter((item): item is FeedItem => item !== null);
    if (items.length === 0) return;
    for (const listener of this.listeners) listener(items);
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const isAfter = (item: FeedItem, position: GlobalPosition | null): boolean =>
  position === null || comparePositions(item.position, position) > 0;
