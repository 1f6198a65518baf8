import {
  ConnectionCreatedV1,
  ConnectionDeletedV1,
  ConnectionDisabledV1,
  ConnectionEnabledV1,
  ConnectionTestedV1,
  ConnectionUpdatedV1,
} from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { type EntityManager } from 'typeorm';

export const CONNECTION_EVENT_PREFIX = 'authn.connection.';

/**
 * Keeps `authn.sso_connections` from the connection streams. Each row records the stream revision it
 * reflects, so a redelivered event changes nothing.
 */
export const applyConnectionEvent = async (manager: EntityManager, event: RecordedEvent): Promise<void> => {
  const at = event.occurredAt;
  const revision = event.streamRevision;
  if (ConnectionCreatedV1.is(event)) {
    const d = event.data;
    await manager.query(
      `insert into authn.sso_connections (org_id, connection_id, kind, name, status, saml, oidc, policy, domains,
         settings_version, last_test, version, created_at, updated_at)
       values ($1, $2, $3, $4, 'disabled', $5, $6, $7, $8, $9, null, $10, $11, $11)
       on conflict (org_id, connection_id) do nothing`,
      [
        d.orgId,
        d.connectionId,
        d.kind,
        d.name,
        d.saml && JSON.stringify(d.saml),
        d.oidc && JSON.stringify(d.oidc),
        JSON.stringify(d.policy),
        d.policy.domains,
        d.settingsVersion,
        revision,
        at,
      ],
    );
    return;
  }
  const update = (assignments: string, values: unknown[]) =>
    manager.query(
      `update authn.sso_connections set ${assignments}, version = $3, updated_at = $4
        where org_id = $1 and connection_id = $2 and version < $3`,
      [event.orgId, (event.data as { connectionId: string }).connectionId, revision, at, ...values],
    );
  if (ConnectionUpdatedV1.is(event)) {
    const d = event.data;
    await update('name = $5, saml = $6, oidc = $7, policy = $8, domains = $9, settings_version = $10', [
      d.name,
      d.saml && JSON.stringify(d.saml),
      d.oidc && JSON.stringify(d.oidc),
      JSON.stringify(d.policy),
      d.policy.domains,
      d.settingsVersion,
    ]);
  } else if (ConnectionTestedV1.is(event)) {
    const { settingsVersion, ok, reason, message, testedAt } = event.data;
    await update('last_test = $5', [JSON.stringify({ settingsVersion, ok, reason, message, testedAt })]);
  } else if (ConnectionEnabledV1.is(event)) {
    await update("status = 'enabled'", []);
  } else if (ConnectionDisabledV1.is(event)) {
    await update("status = 'disabled'", []);
  } else if (ConnectionDeletedV1.is(event)) {
    await update("status = 'deleted'", []);
  }
};
