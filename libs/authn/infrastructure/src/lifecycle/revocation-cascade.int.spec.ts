import { GrantRevokedV1 } from '@mandate/contracts';
import { EmbeddedPostgres, PostgresEventStore, uuidv7 } from '@mandate/eventstore';
import { IdempotentConsumer } from '@mandate/messaging';
import { ContextWriter, prefixedId } from '@mandate/platform';
import { DataSource } from 'typeorm';
import { GrantsService } from '../grants/grants.service';
import { AuthnProjection } from '../persistence/authn.projection';
import { authnMigrations } from '../persistence/authn.migrations';
import { LifecycleHandler } from './lifecycle.handler';

describe('the revocation cascade when the process dies half-way', () => {
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
      migrations: authnMigrations,
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

  it('revokes every grant of a leaver exactly once after a crash between a revocation and its clean-up', async () => {
    const writer = new ContextWriter(store, projection, () => new Date(), 'authn');
    let crashes = 1;
    const grants = new GrantsService(
      dataSource,
      writer,
      {
        // The first revocation's event is stored, then the process "dies" before deleting its artifacts.
        revokeByGrantId: () => (crashes-- > 0 ? Promise.reject(new Error('killed')) : Promise.resolve()),
      },
      store,
      projection,
    );
    const orgId = prefixedId('org');
    const userId = prefixedId('usr');
    const now = new Date();
    for (let i = 0; i < 3; i++) {
      const grant = {
        grantId: prefixedId('grt'),
        orgId,
        clientId: 'cli_invoices',
        subject: userId,
        actor: i === 0 ? null : prefixedId('agt'),
        actorChain: [],
        mandateId: null,
        grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
        scope: 'invoices:read',
        audience: 'https://invoices.example',
        issuedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 300_000).toISOString(),
      };
      await grants.record(grant);
      // Recording a grant again (its next token, after a restart) changes nothing.
      await grants.record(grant);
    }
    const stream = `user-${userId}`;
    await store.append(
      stream,
      [
        {
          type: 'directory.user.deactivated',
          data: {
            orgId,
            directoryId: prefixedId('dir'),
            userId,
            source: 'scim',
            reason: 'admin',
            effectiveAt: now.toISOString(),
          },
        },
      ],
      {
        expectedRevision: 'no_stream',
        metadata: { orgId, actor: { type: 'directory', id: 'okta' }, correlationId: uuidv7() },
      },
    );
    const [leaver] = (await store.readStream(stream)).events;
    const handler = new LifecycleHandler(
      await IdempotentConsumer.create(dataSource, { schema: 'authn' }),
      grants,
      // This leaver holds no sign-in session (sessions.int.spec.ts covers theirs).
      { revokeAll: () => Promise.resolve(0) },
    );

    await expect(handler.handle(leaver!)).rejects.toThrow('killed');
    // The transport redelivers the unacknowledged event.
    await handler.handle(leaver!);
    await handler.handle(leaver!);

    const revocations = (await store.readAll({ filter: { types: [GrantRevokedV1.type] } })).filter(
      (event) => event.orgId === orgId,
    );
    expect(revocations).toHaveLength(3);
    const issued = (await store.readAll({ filter: { types: ['authn.grant.issued'] } })).filter(
      (event) => event.orgId === orgId,
    );
    expect(issued).toHaveLength(3);
    expect(new Set(revocations.map((event) => (event.data as { grantId: string }).grantId)).size).toBe(3);
    for (const event of revocations) {
      expect(event.causationId).toBe(leaver!.id);
      expect(event.correlationId).toBe(leaver!.correlationId);
      expect(event.data).toMatchObject({ subject: userId, reason: 'user_deactivated' });
    }
    const live = await dataSource.query<unknown[]>(
      'select grant_id from authn.grants where org_id = $1 and revoked_at is null',
      [orgId],
    );
    expect(live).toEqual([]);
  });
});
