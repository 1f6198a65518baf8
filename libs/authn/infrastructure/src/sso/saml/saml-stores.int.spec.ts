import { randomBytes } from 'node:crypto';
import { EmbeddedPostgres } from '@mandate/eventstore';
import { describeWithServices, generateTestKeyPair, throwawayDatabase } from '@mandate/testing';
import { DataSource } from 'typeorm';
import { SamlServiceProvider } from './saml-service-provider';
import { PostgresAssertionReplayCache, PostgresSamlRequestStore } from './saml-stores';
import { CreateAuthnSamlStores1796169600000 } from './saml-stores.migration';
import { connectionFor, testIdp } from './testing/saml-test-connection';

const migrated = (url: string): DataSource =>
  new DataSource({
    type: 'postgres',
    url,
    migrations: [CreateAuthnSamlStores1796169600000],
    migrationsRun: true,
    migrationsTableName: 'saml_store_migrations',
    poolSize: 4,
  });

/** The store behaviour, on whichever database `connect` opens (its own, migrated fresh). */
const storeBehaviour = (connect: () => Promise<{ dataSource: DataSource; close: () => Promise<void> }>) => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let now: Date;
  const clock = () => now;

  beforeAll(async () => {
    ({ dataSource, close } = await connect());
  });
  afterAll(async () => {
    await close();
  });
  beforeEach(() => {
    now = new Date('2026-12-02T10:00:00.000Z');
  });

  const later = (ms: number) => new Date(now.getTime() + ms);

  describe('SAML request store', () => {
    it('answers a remembered request once', async () => {
      const store = new PostgresSamlRequestStore(dataSource, clock);
      await store.remember('conn_a', '_req1', later(60_000));
      await expect(store.consume('conn_a', '_req1')).resolves.toBe(true);
      await expect(store.consume('conn_a', '_req1')).resolves.toBe(false);
    });

    it('keeps connections apart', async () => {
      const store = new PostgresSamlRequestStore(dataSource, clock);
      await store.remember('conn_a', '_req2', later(60_000));
      await expect(store.consume('conn_b', '_req2')).resolves.toBe(false);
      await expect(store.consume('conn_a', '_req2')).resolves.toBe(true);
    });

    it('refuses an expired request and forgets it', async () => {
      const store = new PostgresSamlRequestStore(dataSource, clock);
      await store.remember('conn_a', '_req3', later(60_000));
      now = later(60_000);
      await expect(store.consume('conn_a', '_req3')).resolves.toBe(false);
      const rows = await dataSource.query<unknown[]>(
        "select 1 from authn.saml_requests where connection_id = 'conn_a' and request_id = '_req3'",
      );
      expect(rows).toHaveLength(0);
    });

    it('lets exactly one of many concurrent consumers through', async () => {
      const store = new PostgresSamlRequestStore(dataSource, clock);
      await store.remember('conn_a', '_req4', later(60_000));
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => store.consume('conn_a', '_req4')));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
    });

    it('prunes expired requests', async () => {
      const store = new PostgresSamlRequestStore(dataSource, clock);
      const id = `_prune_${randomBytes(4).toString('hex')}`;
      await store.remember('conn_prune', id, later(1000));
      await store.remember('conn_prune', `${id}_live`, later(120_000));
      now = later(2000);
      await expect(store.pruneExpired()).resolves.toBeGreaterThanOrEqual(1);
      await expect(store.consume('conn_prune', `${id}_live`)).resolves.toBe(true);
    });
  });

  describe('assertion replay cache', () => {
    it('accepts an assertion id once per connection', async () => {
      const cache = new PostgresAssertionReplayCache(dataSource, clock);
      await expect(cache.remember('conn_a', '_a1', later(300_000))).resolves.toBe(true);
      await expect(cache.remember('conn_a', '_a1', later(300_000))).resolves.toBe(false);
      await expect(cache.remember('conn_b', '_a1', later(300_000))).resolves.toBe(true);
    });

    it('forgets an id only after its keep-until time', async () => {
      const cache = new PostgresAssertionReplayCache(dataSource, clock);
      await cache.remember('conn_a', '_a2', later(300_000));
      now = later(299_999);
      await expect(cache.remember('conn_a', '_a2', later(300_000))).resolves.toBe(false);
      now = later(1);
      await expect(cache.remember('conn_a', '_a2', later(300_000))).resolves.toBe(true);
    });

    it('lets exactly one of many concurrent posts of the same assertion through', async () => {
      const caches = Array.from({ length: 4 }, () => new PostgresAssertionReplayCache(dataSource, clock));
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          caches[i % caches.length]!.remember('conn_a', '_a3', later(300_000)),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
    });
  });

  it('lets a login started on one instance finish on another, once (SAML-G4)', async () => {
    const idp = testIdp(generateTestKeyPair('idp.acme.test'));
    const config = connectionFor(idp, { allowIdpInitiated: true });
    const instance = () =>
      new SamlServiceProvider(config, {
        requests: new PostgresSamlRequestStore(dataSource),
        replay: new PostgresAssertionReplayCache(dataSource),
        clock: () => new Date(),
      });
    const [first, second, third] = [instance(), instance(), instance()];
    const { redirectUrl, requestId } = await first.createLoginRequest();
    const form = await idp.respondToRedirect(first.metadata(), redirectUrl, { nameId: 'ada@acme.test' });
    await expect(second.validatePostResponse(form)).resolves.toMatchObject({ inResponseTo: requestId });
    await expect(third.validatePostResponse(form)).rejects.toMatchObject({
      reason: 'saml_inresponseto_invalid',
    });

    const unsolicited = await idp.issueUnsolicited(first.metadata(), { nameId: 'ada@acme.test' });
    await expect(first.validatePostResponse(unsolicited)).resolves.toMatchObject({ inResponseTo: null });
    await expect(second.validatePostResponse(unsolicited)).rejects.toMatchObject({ reason: 'saml_replay' });
  });
};

describe('SAML stores on embedded PGlite', () => {
  storeBehaviour(async () => {
    const embedded = await EmbeddedPostgres.start();
    const dataSource = migrated(embedded.connectionString);
    await dataSource.initialize();
    return {
      dataSource,
      close: async () => {
        await dataSource.destroy();
        await embedded.stop();
      },
    };
  });
});

describeWithServices(['postgres'], 'SAML stores on PostgreSQL', ({ postgres }) => {
  storeBehaviour(async () => {
    // A database of its own: the tables live in the fixed `authn` schema.
    const database = await throwawayDatabase(postgres, 'saml_stores');
    const dataSource = migrated(database.url);
    await dataSource.initialize();
    return {
      dataSource,
      close: async () => {
        await dataSource.destroy();
        await database.drop();
      },
    };
  });
});
