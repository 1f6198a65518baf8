import { OrganizationCreatedV1, OrganizationDeletedV1, OrganizationRenamedV1 } from '@mandate/contracts';
import { type EventStore, type Subscription } from '@mandate/eventstore';
import { type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { IdempotentConsumer } from '@mandate/messaging';
import { type DataSource, type EntityManager } from 'typeorm';
import { DIRECTORY_SCHEMA, OrganizationEntity } from './organization.entity';

/** Folds one organization event into its read-model row (pure: the projection's `evolve`). */
export const evolveOrganizationRow = (
  row: OrganizationEntity | null,
  event: RecordedEvent,
): OrganizationEntity | null => {
  if (OrganizationCreatedV1.is(event)) {
    const createdAt = new Date(event.data.createdAt);
    return Object.assign(new OrganizationEntity(), {
      orgId: event.data.orgId,
      name: event.data.name,
      status: 'active',
      createdAt,
      updatedAt: createdAt,
    });
  }
  if (!row) return null;
  if (OrganizationRenamedV1.is(event)) return { ...row, name: event.data.name, updatedAt: event.occurredAt };
  if (OrganizationDeletedV1.is(event))
    return { ...row, status: 'deleted', updatedAt: new Date(event.data.deletedAt) };
  return row;
};

const PROJECTION = 'directory.organizations';

/**
 * Keeps `directory.organizations` from the directory's own event store. Writes wait for it to reach
 * their position before answering, so a client reads its own writes.
 */
export class OrganizationsProjection {
  private constructor(private readonly subscription: Subscription) {}

  static async start(store: EventStore, dataSource: DataSource): Promise<OrganizationsProjection> {
    const idempotent = await IdempotentConsumer.create(dataSource, { schema: DIRECTORY_SCHEMA });
    const apply = async (event: RecordedEvent, manager: EntityManager) => {
      const orgId = (event.data as { orgId?: string }).orgId;
      if (!orgId) return;
      const current = await manager.findOneBy(OrganizationEntity, { orgId });
      const next = evolveOrganizationRow(current, event);
      if (next && next !== current) await manager.save(OrganizationEntity, next);
    };
    const subscription = await store.subscribe({
      subscriptionId: `projection:${PROJECTION}`,
      filter: { typePrefixes: ['directory.organization.'] },
      handle: async (events) => {
        for (const event of events)
          await idempotent.handle(PROJECTION, event, (manager) => apply(event, manager));
      },
    });
    return new OrganizationsProjection(subscription);
  }

  waitFor(position: GlobalPosition, timeoutMs = 5_000): Promise<void> {
    return this.subscription.waitFor(position, timeoutMs);
  }

  get checkpoint(): GlobalPosition | null {
    return this.subscription.checkpoint;
  }

  stop(): Promise<void> {
    return this.subscription.stop();
  }
}
