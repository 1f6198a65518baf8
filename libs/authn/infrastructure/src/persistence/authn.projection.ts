import {
  ClientCredentialsRotatedV1,
  ClientDeletedV1,
  ClientRegisteredV1,
  GrantIssuedV1,
  GrantRevokedV1,
} from '@mandate/contracts';
import { type EventStore, type Subscription } from '@mandate/eventstore';
import { type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { type DataSource, type EntityManager } from 'typeorm';
import { applyConnectionEvent, CONNECTION_EVENT_PREFIX } from '../connections/connection.projection';
import { applySsoLoginEvent, SSO_LOGIN_EVENT_PREFIXES } from '../sso/login/sso-identities';

const PROJECTION = 'authn.read-models';

/**
 * Keeps `authn.clients` and `authn.grants` from the authn event store, a batch per transaction.
 * Clients record their stream revision (a redelivered event is skipped); grant rows only ever move
 * from issued to revoked, so replaying them converges.
 */
export class AuthnProjection {
  private constructor(private readonly subscription: Subscription) {}

  /** `committed` hears each batch once its transaction has committed (the live revocation feed). */
  static async start(
    store: EventStore,
    dataSource: DataSource,
    committed: (events: readonly RecordedEvent[]) => void = () => undefined,
  ): Promise<AuthnProjection> {
    const subscription = await store.subscribe({
      subscriptionId: `projection:${PROJECTION}`,
      filter: {
        typePrefixes: ['authn.client.', 'authn.grant.', CONNECTION_EVENT_PREFIX, ...SSO_LOGIN_EVENT_PREFIXES],
      },
      batchSize: 500,
      handle: async (events) => {
        await dataSource.transaction(async (manager) => {
          for (const event of events) await apply(manager, event);
        });
        committed(events);
      },
    });
    return new AuthnProjection(subscription);
  }

  waitFor(position: GlobalPosition, timeoutMs = 5_000): Promise<void> {
    return this.subscription.waitFor(position, timeoutMs);
  }

  stop(): Promise<void> {
    return this.subscription.stop();
  }
}

const apply = async (manager: EntityManager, event: RecordedEvent): Promise<void> => {
  const at = event.occurredAt;
  if (event.type.startsWith(CONNECTION_EVENT_PREFIX)) {
    await applyConnectionEvent(manager, event);
  } else if (SSO_LOGIN_EVENT_PREFIXES.some((prefix) => event.type.startsWith(prefix))) {
    await applySsoLoginEvent(manager, event);
  } else if (ClientRegisteredV1.is(event)) {
    const d = event.data;
    await manager.query(
      `insert into authn.clients (client_id, org_id, name, kind, agent_id, redirect_uris, grant_types, auth_method,
         secret_hash, jwks, scopes, audiences, status, version, created_at, updated_at,
         backchannel_logout_uri, backchannel_logout_session_required)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13, $14, $14, $15, $16)
       on conflict (client_id) do nothing`,
      [
        d.clientId,
        d.orgId,
        d.name,
        d.kind,
        d.agentId,
        JSON.stringify(d.redirectUris),
        JSON.stringify(d.grantTypes),
        d.tokenEndpointAuthMethod,
        d.secretHash,
        d.jwks && JSON.stringify(d.jwks),
        JSON.stringify(d.scopes),
        JSON.stringify(d.audiences),
        event.streamRevision,
        at,
        d.backchannelLogoutUri ?? null,
        d.backchannelLogoutSessionRequired ?? false,
      ],
    );
  } else if (ClientCredentialsRotatedV1.is(event)) {
    await manager.query(
      `update authn.clients set secret_hash = $2, jwks = $3, version = $4, updated_at = $5
       where client_id = $1 and version < $4`,
      [
        event.data.clientId,
        event.data.secretHash,
        event.data.jwks && JSON.stringify(event.data.jwks),
        event.streamRevision,
        at,
      ],
    );
  } else if (ClientDeletedV1.is(event)) {
    await manager.query(
      "update authn.clients set status = 'deleted', version = $2, updated_at = $3 where client_id = $1 and version < $2",
      [event.data.clientId, event.streamRevision, at],
    );
  } else if (GrantIssuedV1.is(event)) {
    const d = event.data;
    await manager.query(
      `insert into authn.grants (grant_id, org_id, client_id, subject, actor, mandate_id, grant_type, scope, audience,
         issued_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) on conflict (grant_id) do nothing`,
      [
        d.grantId,
        d.orgId,
        d.clientId,
        d.subject,
        d.actor,
        d.mandateId,
        d.grantType,
        d.scope,
        d.audience,
        d.issuedAt,
        d.expiresAt,
      ],
    );
  } else if (GrantRevokedV1.is(event)) {
    await manager.query(
      `update authn.grants set revoked_at = $2, revoked_reason = $3 where grant_id = $1 and revoked_at is null`,
      [event.data.grantId, event.data.revokedAt, event.data.reason],
    );
  }
};
