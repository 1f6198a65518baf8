import {
  DirectoryDeletedV1,
  OrganizationDeletedV1,
  UserDeactivatedV1,
  UserDeletedV1,
} from '@mandate/contracts';
import { type EventStore, type Subscription } from '@mandate/eventstore';
import { DomainError, type RecordedEvent } from '@mandate/kernel';
import { causedBy } from '@mandate/platform';
import { type DataSource } from 'typeorm';
import { type AgentsService } from '../agents/agents.service';
import { type DirectoriesService } from '../directories/directories.service';
import { type GroupsService } from '../resources/groups.service';
import { type ResourcesRepository } from '../resources/resources.repository';
import { type UsersService } from '../resources/users.service';

interface Logger {
  error(message: unknown): void;
}

const REACTION = 'reaction:directory.lifecycle';

/** What a reaction writes is caused by the event it reacts to, and belongs to the same story. */
/** A target that is already gone needs no reaction: at-least-once delivery may bring the event twice. */
const ignoringGone = async (write: () => Promise<unknown>): Promise<void> => {
  try {
    await write();
  } catch (error) {
    if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
  }
};

/**
 * The directory's own reactions to its lifecycle events, from a durable subscription:
 * - a leaver (deactivated or deleted user) suspends every agent they own, in the same story;
 * - a deleted user leaves every group;
 * - a deleted directory deletes its users and groups; a deleted organization its directories and agents.
 * Every command is idempotent, so a redelivered event changes nothing twice.
 */
export class LifecycleReactions {
  private constructor(private readonly subscription: Subscription) {}

  static async start(
    store: EventStore,
    dataSource: DataSource,
    services: {
      agents: AgentsService;
      users: UsersService;
      groups: GroupsService;
      directories: DirectoriesService;
      resources: ResourcesRepository;
    },
    logger: Logger,
  ): Promise<LifecycleReactions> {
    const react = async (event: RecordedEvent) => {
      const cause = causedBy(event, 'directory');
      if (UserDeactivatedV1.is(event) || UserDeletedV1.is(event)) {
        const { userId } = event.data;
        for (const { agentId, orgId } of await services.agents.activeAgentsOwnedBy(userId)) {
          await ignoringGone(() =>
            services.agents.suspend(orgId, agentId, 'owner_left', { ownerId: userId, cause }),
          );
        }
      }
      if (UserDeletedV1.is(event)) {
        const { userId, orgId } = event.data;
        const groups = (await services.resources.groupsOf([userId])).get(userId) ?? [];
        for (const group of groups) {
          await ignoringGone(() => services.groups.removeMember(orgId, group.id, userId, { cause }));
        }
      }
      if (DirectoryDeletedV1.is(event)) {
        const { directoryId } = event.data;
        for (const { id, orgId } of await services.resources.idsInDirectory(directoryId, 'User')) {
          await ignoringGone(() =>
            services.users.delete(orgId, id, { source: 'system', reason: 'directory_deleted' }, { cause }),
          );
        }
        for (const { id, orgId } of await services.resources.idsInDirectory(directoryId, 'Group')) {
          await ignoringGone(() =>
            services.groups.delete(orgId, id, { source: 'system', reason: 'directory_deleted' }, { cause }),
          );
        }
      }
      if (OrganizationDeletedV1.is(event)) {
        const { orgId } = event.data;
        const directories: { directory_id: string }[] = await dataSource.query(
          "select directory_id from directory.directories where org_id = $1 and status = 'active'",
          [orgId],
        );
        for (const { directory_id } of directories) {
          await ignoringGone(() => services.directories.deleteAs(orgId, directory_id, cause));
        }
        for (const agentId of await services.resources.idsInOrg(orgId, 'Agent')) {
          await ignoringGone(() => services.agents.delete(orgId, agentId, 'organization_deleted', cause));
        }
      }
    };
    const subscription = await store.subscribe({
      subscriptionId: REACTION,
      filter: {
        types: [
          UserDeactivatedV1.type,
          UserDeletedV1.type,
          DirectoryDeletedV1.type,
          OrganizationDeletedV1.type,
        ],
      },
      handle: async (events) => {
        for (const event of events) await react(event);
      },
      onError: (error, events) =>
        logger.error({
          msg: 'directory lifecycle reaction failed; retrying',
          err: error,
          eventId: events[0]?.id,
        }),
    });
    return new LifecycleReactions(subscription);
  }

  stop(): Promise<void> {
    return this.subscription.stop();
  }
}
