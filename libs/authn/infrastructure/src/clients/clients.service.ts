import { clientStream } from '@mandate/contracts';
import { clientDecider, clientNotFound, type ClientSettings } from '@mandate/authn-domain';
import { DomainError } from '@mandate/kernel';
import { type ContextWriter, prefixedId } from '@mandate/platform';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DataSource } from 'typeorm';
import { type GrantsService } from '../grants/grants.service';
import { secretHash } from '../oauth/basic-credentials';
import { CLIENT_CREDENTIALS, TOKEN_EXCHANGE_GRANT, type ClientRow } from './client-row';

/** How long a request waits for the directory event about an agent registered a moment ago. */
const AGENT_ARRIVAL_WAIT_MS = 3_000;

export interface ClientView {
  readonly clientId: string;
  readonly orgId: string;
  readonly name: string;
  readonly kind: ClientRow['kind'];
  readonly agentId: string | null;
  readonly redirectUris: string[];
  readonly grantTypes: string[];
  readonly tokenEndpointAuthMethod: ClientRow['auth_method'];
  readonly jwks: ClientRow['jwks'];
  readonly scopes: string[];
  readonly audiences: string[];
  readonly backchannelLogoutUri: string | null;
  readonly backchannelLogoutSessionRequired: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A registration's answer: the client, plus its secret the one time it is shown. */
export type IssuedClient = ClientView & { readonly clientSecret?: string };

const toView = (row: ClientRow): ClientView => ({
  clientId: row.client_id,
  orgId: row.org_id,
  name: row.name,
  kind: row.kind,
  agentId: row.agent_id,
  redirectUris: row.redirect_uris,
  grantTypes: row.grant_types,
  tokenEndpointAuthMethod: row.auth_method,
  jwks: row.jwks,
  scopes: row.scopes,
  audiences: row.audiences,
  backchannelLogoutUri: row.backchannel_logout_uri,
  backchannelLogoutSessionRequired: row.backchannel_logout_session_required,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const newSecret = () => {
  const secret = `mcs_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: secretHash(secret) };
};

export type ClientInput = Omit<ClientSettings, 'secretHash' | 'agentId' | 'kind'> & {
  readonly kind: 'application' | 'service';
};

export interface AgentCredentialsInput {
  readonly tokenEndpointAuthMethod: 'client_secret_basic' | 'private_key_jwt';
  readonly jwks: ClientSettings['jwks'];
  readonly audiences: readonly string[];
  readonly scopes: readonly string[];
  readonly name?: string | undefined;
}

/** OAuth clients of an organization: applications, backend services, and agents' credentials. */
export class ClientsService {
  private readonly execute;

  constructor(
    private readonly dataSource: DataSource,
    writer: ContextWriter,
    private readonly grants: GrantsService,
  ) {
    this.execute = writer.handlerFor(clientDecider);
  }

  async register(orgId: string, input: ClientInput): Promise<IssuedClient> {
    await this.assertOrganization(orgId);
    const secret = input.tokenEndpointAuthMethod === 'client_secret_basic' ? newSecret() : null;
    return this.create(orgId, { ...input, agentId: null, secretHash: secret?.hash ?? null }, secret?.secret);
  }

  /** An agent's own credentials: client credentials (`sub` = the agent) and token exchange under a mandate. */
  async registerAgentCredentials(orgId: string, agentId: string, input: AgentCredentialsInput) {
    const agent = await this.agent(orgId, agentId);
    const secret = input.tokenEndpointAuthMethod === 'client_secret_basic' ? newSecret() : null;
    return this.create(
      orgId,
      {
        name: input.name ?? `${agent.name} credentials`,
        kind: 'agent',
        agentId,
        redirectUris: [],
        grantTypes: [CLIENT_CREDENTIALS, TOKEN_EXCHANGE_GRANT],
        tokenEndpointAuthMethod: input.tokenEndpointAuthMethod,
        secretHash: secret?.hash ?? null,
        jwks: input.tokenEndpointAuthMethod === 'private_key_jwt' ? input.jwks : null,
        scopes: input.scopes,
        audiences: input.audiences,
      },
      secret?.secret,
    );
  }

  /** New credentials; a new secret is shown once, the old one stops working at once. */
  async rotate(orgId: string, clientId: string, jwks: ClientSettings['jwks']): Promise<IssuedClient> {
    const current = await this.row(orgId, clientId);
    const secret = current.auth_method === 'client_secret_basic' ? newSecret() : null;
    await this.execute(clientStream(clientId), orgId, 'RotateClientCredentials', {
      secretHash: secret?.hash ?? null,
      jwks: current.auth_method === 'private_key_jwt' ? jwks : null,
    });
    return { ...(await this.get(orgId, clientId)), ...(secret && { clientSecret: secret.secret }) };
  }

  async delete(orgId: string, clientId: string): Promise<void> {
    await this.row(orgId, clientId);
    await this.execute(clientStream(clientId), orgId, 'DeleteClient', {});
    await this.grants.revokeWhere(orgId, { clientId }, 'client_deleted');
  }

  async get(orgId: string, clientId: string): Promise<ClientView> {
    return toView(await this.row(orgId, clientId));
  }

  async list(orgId: string, agentId?: string): Promise<ClientView[]> {
    const rows: ClientRow[] = await this.dataSource.query(
      `select * from authn.clients where org_id = $1 and status = 'active' and ($2::text is null or agent_id = $2)
        order by client_id limit 1000`,
      [orgId, agentId ?? null],
    );
    return rows.map(toView);
  }

  private async create(orgId: string, settings: ClientSettings, secret: string | undefined) {
    const clientId = prefixedId('cli');
    await this.execute(clientStream(clientId), orgId, 'RegisterClient', { ...settings, orgId, clientId });
    return { ...(await this.get(orgId, clientId)), ...(secret && { clientSecret: secret }) };
  }

  private async row(orgId: string, clientId: string): Promise<ClientRow> {
    const rows: ClientRow[] = await this.dataSource.query(
      "select * from authn.clients where client_id = $1 and org_id = $2 and status = 'active'",
      [clientId, orgId],
    );
    if (!rows[0]) throw clientNotFound();
    return rows[0];
  }

  private async assertOrganization(orgId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(
      "select 1 from authn.known_organizations where org_id = $1 and status = 'active'",
      [orgId],
    );
    if (rows.length === 0)
      throw new DomainError('not_found', 'AUTHN_ORGANIZATION_NOT_FOUND', 'There is no such organization');
  }

  /** The agent as authn knows it, waiting briefly for one registered a moment ago. */
  private async agent(orgId: string, agentId: string): Promise<{ name: string }> {
    const deadline = Date.now() + AGENT_ARRIVAL_WAIT_MS;
    for (;;) {
      const [agent] = await this.dataSource.query<{ name: string; status: string }[]>(
        'select name, status from authn.agents where agent_id = $1 and org_id = $2',
        [agentId, orgId],
      );
      if (agent?.status === 'active') return agent;
      if (agent)
        throw new DomainError(
          'precondition_failed',
          'AUTHN_AGENT_INACTIVE',
          'The agent is suspended or deleted',
        );
      if (Date.now() >= deadline)
        throw new DomainError('not_found', 'AUTHN_AGENT_NOT_FOUND', 'The organization has no such agent');
      await sleep(20);
    }
  }
}
