import { DomainRemovedV1, DomainVerifiedV1, OrganizationDeletedV1 } from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { type IdempotentConsumer } from '@mandate/messaging';

const CONSUMER = 'authn.org-domains';

/** The directory events that say which organization owns a domain. */
export const ORG_DOMAIN_EVENT_TYPES = [
  'directory.domain.verified',
  'directory.domain.removed',
  'directory.organization.deleted',
];

/**
 * Keeps `authn.org_domains` — the verified domains of each organization, which home-realm discovery
 * and connection enabling rely on — from the directory's events, once per event.
 */
export class OrgDomainsHandler {
  constructor(private readonly idempotent: IdempotentConsumer) {}

  async handle(event: RecordedEvent): Promise<void> {
    await this.idempotent.handle(CONSUMER, event, async (manager) => {
      if (DomainVerifiedV1.is(event)) {
        const { orgId, domain, verifiedAt } = event.data;
        // A domain is verified by one organization at a time (the directory reserves it).
        await manager.query(
          `insert into authn.org_domains (org_id, domain, verified_at) values ($1, $2, $3)
           on conflict (domain) do update set org_id = excluded.org_id, verified_at = excluded.verified_at`,
          [orgId, domain, verifiedAt],
        );
      } else if (DomainRemovedV1.is(event)) {
        await manager.query('delete from authn.org_domains where org_id = $1 and domain = $2', [
          event.data.orgId,
          event.data.domain,
        ]);
      } else if (OrganizationDeletedV1.is(event)) {
        await manager.query('delete from authn.org_domains where org_id = $1', [event.data.orgId]);
      }
    });
  }
}
