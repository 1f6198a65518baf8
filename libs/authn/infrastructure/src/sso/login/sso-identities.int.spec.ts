import { PostgresEventStore } from '@mandate/eventstore';
import {
  ContextWriter,
  platformEntities,
  platformMigrations,
  prefixedId,
  type WriteCause,
} from '@mandate/platform';
import { describeWithServices } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { authnMigrations } from '../../persistence/authn.migrations';
import { AuthnProjection } from '../../persistence/authn.projection';
import { identityStream, SsoIdentities } from './sso-identities';
import { CreateAuthnSsoLogin1796342400000 } from './sso-login.migration';

const cause: WriteCause = { actor: { type: 'system', id: 'authn' }, correlationId: 'c-1', causationId: null };

/** Identities as events and their read model on PostgreSQL: linked once, never by email, JIT waited for. */
describeWithServices(['postgres'], 'SSO identities on PostgreSQL', ({ postgres }) => {
  const database = `sso_identities_${randomBytes(5).toString('hex')}`;
  const databaseUrl = () => {
    const url = new URL(postgres);
    url.pathname = `/${database}`;
    return url.toString();
  };
  let admin: DataSource;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let projection: AuthnProjection;
  let identities: SsoIdentities;
  const orgId = prefixedId('org');
  const connectionId = prefixedId('con');

  beforeAll(async () => {
    admin = await new DataSource({ type: 'postgres', url: postgres, poolSize: 1 }).initialize();
    await admin.query(`create database ${database}`);
    dataSource = await new DataSource({
      type: 'postgres',
      url: databaseUrl(),
      entities: platformEntities,
      migrations: [...platformMigrations, ...authnMigrations, CreateAuthnSsoLogin1796342400000],
      migrationsRun: true,
      poolSize: 4,
    }).initialize();
    store = await PostgresEventStore.create({
      connectionString: databaseUrl(),
      schema: 'authn_events',
      poolSize: 2,
    });
    projection = await AuthnProjection.start(store, dataSource);
    identities = new SsoIdentities(
      dataSource,
      new ContextWriter(store, projection, () => new Date(), 'authn'),
      () => new Date(),
    );
  });
  afterAll(async () => {
    await projection?.stop();
    await store?.close();
    await dataSource?.destroy();
    for (let wait = 0; wait < 50; wait++) {
      const sessions = await admin.query<unknown[]>('select 1 from pg_stat_activity where datname = $1', [
        database,
      ]);
      if (sessions.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await admin?.query(`drop database if exists ${database}`);
    await admin?.destroy();
  });

  const user = async (email: string, status = 'active'): Promise<string> => {
    const userId = prefixedId('usr');
    await dataSource.query(
      `insert into authn.users (user_id, org_id, user_name, email, name, status, updated_at)
       values ($1, $2, $3, $3, null, $4, now())`,
      [userId, orgId, email, status],
    );
    return userId;
  };

  const request = (subject: string, userId: string) => ({
    orgId,
    connectionId,
    connectionName: 'Okta',
    subject,
    userId,
    userName: `${subject}@acme.example`,
    email: `${subject}@acme.example`,
    givenName: null,
    familyName: null,
    displayName: null,
  });

  it('links an identity once, even when two first logins race', async () => {
    const ada = await user('ada@acme.example');
    const results = await Promise.all([
      identities.link({ orgId, connectionId, subject: 'ada', userId: ada }, cause),
      identities.link({ orgId, connectionId, subject: 'ada', userId: ada }, cause),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await identities.linkedUser(connectionId, 'ada')).toEqual({
      userId: ada,
      active: true,
      via: 'email',
    });
    expect(await identities.linkedUser(prefixedId('con'), 'ada')).toBeNull();
  });

  it('finds users by email case-insensitively, saying which an identity of the connection claims', async () => {
    const sam = await user('sam@acme.example');
    await user('gone@acme.example', 'deleted');
    expect(await identities.usersWithEmail(orgId, 'SAM@acme.example', connectionId)).toEqual([
      { userId: sam, active: true, linked: false },
    ]);
    await identities.link({ orgId, connectionId, subject: 'sam-at-idp', userId: sam }, cause);
    expect(await identities.usersWithEmail(orgId, 'sam@acme.example', connectionId)).toEqual([
      { userId: sam, active: true, linked: true },
    ]);
    expect(await identities.usersWithEmail(orgId, 'gone@acme.example', connectionId)).toEqual([]);
  });

  it('asks for a just-in-time user once and waits, bounded, until authn knows them as active', async () => {
    const userId = prefixedId('usr');
    expect(await identities.provision(request('grace', userId), cause)).toBe(true);
    expect(await identities.provision(request('grace', prefixedId('usr')), cause)).toBe(false);
    expect(await identities.linkedUser(connectionId, 'grace')).toEqual({ userId, active: false, via: 'jit' });
    const { events } = await store.readStream(identityStream(connectionId, 'grace'));
    expect(events.map((event) => event.type)).toEqual([
      'authn.identity.provisioning_requested',
      'authn.identity.linked',
    ]);
    expect(events[0]).toMatchObject({ orgId, data: { userId, userName: 'grace@acme.example' } });
    expect(await identities.waitUntilActive(userId, 100)).toBe(false);
    setTimeout(() => {
      void dataSource.query(
        `insert into authn.users (user_id, org_id, user_name, email, name, status, updated_at)
         values ($1, $2, 'grace', null, null, 'active', now())`,
        [userId, orgId],
      );
    }, 100);
    expect(await identities.waitUntilActive(userId, 2_000)).toBe(true);
  });
});
