import {
  decideHomeRealm,
  type DiscoverableConnection,
  emailDomainOf,
  type HomeRealm,
  type HomeRealmRequest,
} from '@mandate/authn-domain';
import { type DataSource } from 'typeorm';

interface DiscoverableRow {
  org_id: string;
  connection_id: string;
  name: string;
  kind: DiscoverableConnection['kind'];
  domains: string[];
}

/**
 * Home-realm discovery: where a sign-in with this email, organization hint or connection hint goes.
 * It looks up the owner of the email's verified domain and the enabled connections concerned; the
 * decision itself is `decideHomeRealm`.
 */
export class HomeRealmDiscovery {
  constructor(private readonly dataSource: DataSource) {}

  async resolve(request: HomeRealmRequest): Promise<HomeRealm> {
    const domain = emailDomainOf(request.email);
    const [owner] = domain
      ? await this.dataSource.query<{ org_id: string }[]>(
          'select org_id from authn.org_domains where domain = $1',
          [domain],
        )
      : [];
    const orgIds = [request.organizationHint, owner?.org_id].filter((id): id is string => id !== undefined);
    const rows: DiscoverableRow[] = await this.dataSource.query(
      `select c.org_id, c.connection_id, c.name, c.kind, c.domains from authn.sso_connections c
        join authn.known_organizations o on o.org_id = c.org_id and o.status = 'active'
        where c.status = 'enabled' and (c.org_id = any($1::text[]) or c.connection_id = $2)
        order by c.org_id, c.connection_id limit 1000`,
      [orgIds, request.connectionHint ?? null],
    );
    return decideHomeRealm(request, {
      domainOwner: owner?.org_id ?? null,
      connections: rows.map((row) => ({
        orgId: row.org_id,
        connectionId: row.connection_id,
        name: row.name,
        kind: row.kind,
        domains: row.domains,
      })),
    });
  }
}
