import { SessionRevokedV1 } from '@mandate/contracts';
import { EmbeddedPostgres, PostgresEventStore, uuidv7 } from '@mandate/eventstore';
import { type Event } from '@mandate/kernel';
import { IdempotentConsumer } from '@mandate/messaging';
import { ContextWriter, prefixedId } from '@mandate/platform';
import { DataSource } from 'typeorm';
import { GrantsService } from '../grants/grants.service';
import { LifecycleHandler } from '../lifecycle/lifecycle.handler';
import { AuthnProjection } from '../persistence/authn.projection';
import { authnMigrations } from '../persistence/authn.migrations';
import { sessionsMigrations } from './sessions.migration';
import { SessionsService } from './sessions.service';

describe("a leaver's sessions when the process dies half-way", () => {
  let embedded: EmbeddedPostgres;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  let projection: AuthnProjection;

  beforeAll(async () => {
    embedded = await EmbeddedPostgres.start();
    store = await PostgresEventStore.create({
      connectionString: embedded.connectionString,
      schema: 'authn_events',
      poolSize: 2,
    });
    dataSource = new DataSource({
      type: 'postgres',
      url: embedded.connectionString,
      migrations: [...authnMigrations, ...sessionsMigrations],
      migrationsRun: true,
      poolSize: 2,
    });
    await dataSource.initialize();
    projection = await AuthnProjection.start(store, dataSource);
  });
  afterAll(async () => {
    await projection.stop();
    await dataSource.destroy();
    await store.close();
    await embedded.stop();
  });

  it('ends the session, revokes its grant and sends one logout token, after a crash between recording and finishing', async () => {
    const writer = new ContextWriter(store, projection, () => new Date(), 'authn');
    const grants = new GrantsService(
      dataSource,
      writer,
      { revokeByGrantId: () => Promise.resolve() },
      store,
      projection,
    );
    // The process "dies" once, just after the revocation was recorded and marked.
    let crashes = 1;
    const dying = new Proxy(dataSource, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return (sql: string, parameters?: unknown[]) => {
          if (sql.includes("model = 'Session' and uid") && crashes-- > 0) throw new Error('killed');
          return target.query(sql, parameters);
        };
      },
    });
    const delivered: { clientId: string; userId: string; sid: string | null }[] = [];
    const sessions = new SessionsService(
      dying,
      writer,
      grants,
      {
        deliver: (clientId, userId, sid) => {
          delivered.push({ clientId, userId, sid });
          return Promise.resolve(true);
        },
      },
      8 * 3600,
    );
    const orgId = prefixedId('org');
    const userId = prefixedId('usr');
    const grantId = prefixedId('grt');
    const now = new Date();
    const seconds = Math.floor(now.getTime() / 1000);
    await grants.record({
      grantId,
      orgId,
      clientId: 'cli_invoices',
      subject: 'someone-else',
      actor: null,
      actorChain: [],
      mandateId: null,
      grantType: 'authorization_code',
      scope: 'openid',
      audience: 'https://invoices.example',
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 300_000).toISOString(),
    });
    await dataSource.query(
      `insert into authn.oauth_artifacts (model, id, payload, uid, expires_at) values ('Session', $1, $2, $3, $4)`,
      [
        'cookie-value-never-shown',
        JSON.stringify({
          jti: 'cookie-value-never-shown',
          uid: 'sessionUid0001',
          kind: 'Session',
          accountId: userId,
          loginTs: seconds,
          exp: seconds + 3600,
          amr: ['ticket'],
          authorizations: { cli_invoices: { sid: 'sid-0001', grantId } },
        }),
        'sessionUid0001',
        new Date(now.getTime() + 3_600_000),
      ],
    );
    const handler = new LifecycleHandler(
      await IdempotentConsumer.create(dataSource, { schema: 'authn' }),
      grants,
      sessions,
    );
    const directoryEvent = async (event: Event) => {
      const stream = `user-${userId}`;
      await store.append(stream, [event], {
        expectedRevision: 'any',
        metadata: { orgId, actor: { type: 'directory', id: 'okta' }, correlationId: uuidv7() },
      });
      const { events } = await store.readStream(stream);
      return events[events.length - 1]!;
    };
    await handler.handle(
      await directoryEvent({
        type: 'directory.user.provisioned',
        data: {
          orgId,
          directoryId: prefixedId('dir'),
          userId,
          externalId: null,
          userName: 'ada@acme.example',
          active: true,
          profile: {
            displayName: null,
            givenName: null,
            familyName: null,
            email: 'ada@acme.example',
          },
        },
      }),
    );
    expect((await sessions.list(orgId, userId)).map((session) => session.id)).toEqual(['sessionUid0001']);
    const leaver = await directoryEvent({
      type: 'directory.user.deactivated',
      data: {
        orgId,
        directoryId: prefixedId('dir'),
        userId,
        source: 'scim',
        reason: 'admin',
        effectiveAt: now.toISOString(),
      },
    });

    await expect(handler.handle(leaver)).rejects.toThrow('killed');
    // Already refused at sign-in: the revocation is marked before anything else is undone.
    expect(await sessions.list(orgId, userId)).toEqual([]);
    expect(delivered).toEqual([]);
    await handler.handle(leaver);
    await handler.handle(leaver);

    expect(delivered).toEqual([{ clientId: 'cli_invoices', userId, sid: 'sid-0001' }]);
    const revoked = (await store.readAll({ filter: { types: [SessionRevokedV1.type] } })).filter(
      (event) => event.orgId === orgId,
    );
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({
      causationId: leaver.id,
      correlationId: leaver.correlationId,
      data: {
        userId,
        sessionId: 'sessionUid0001',
        reason: 'user_deactivated',
        clients: [{ clientId: 'cli_invoices', grantId }],
      },
    });
    expect(JSON.stringify(revoked[0]!.data)).not.toContain('cookie-value-never-shown');
    expect((await grants.find(grantId))?.revoked_reason).toBe('user_deactivated');
    const left = await dataSource.query<unknown[]>(
      "select id from authn.oauth_artifacts where model = 'Session' and uid = 'sessionUid0001'",
    );
    expect(left).toEqual([]);
  });
});
