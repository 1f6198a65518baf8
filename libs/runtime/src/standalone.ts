import { EmbeddedPostgres, type EventStore, PostgresEventStore } from '@mandate/eventstore';
import { PostgresDeadLetterSink } from '@mandate/messaging';
import { bootstrapHttpApp, dataDirEnv, httpEnv, loadConfig } from '@mandate/platform';
import { resolve } from 'node:path';
import { z } from 'zod';
import { resolveStandaloneAdminKey, resolveStandaloneSecretKey } from './admin-key';
import { EventStoreReadiness } from './readiness';
import { type ContextRegistration, rootModule } from './root-module';

export const standaloneEnv = z.object({ ...httpEnv({ defaultPort: 8080 }), ...dataDirEnv });

const SERVICE = 'standalone';

/**
 * Every context in one process on one port: embedded PostgreSQL (PGlite) with its files in
 * MANDATE_DATA_DIR, each context's event store in its own schema, and the in-process transport.
 */
export const runStandalone = async (registrations: readonly ContextRegistration[], env = process.env) => {
  const config = loadConfig(standaloneEnv, env);
  const dataDir = resolve(config.MANDATE_DATA_DIR);
  const admin = await resolveStandaloneAdminKey(config.MANDATE_ADMIN_KEY, dataDir);
  const secretKey = await resolveStandaloneSecretKey(config.MANDATE_SECRET_KEY, dataDir);
  const database = await EmbeddedPostgres.start({ dataDir: resolve(dataDir, 'pg') });

  const stores = new Map<string, EventStore>();
  for (const { context } of registrations) {
    stores.set(
      context,
      await PostgresEventStore.create({
        connectionString: database.connectionString,
        schema: `${context}_events`,
        poolSize: 4,
      }),
    );
  }
  const first = stores.values().next().value as PostgresEventStore;
  await first.connectionPool.query(`create schema if not exists ${SERVICE}`);

  const { app, url } = await bootstrapHttpApp(
    rootModule({
      service: SERVICE,
      databaseUrl: database.connectionString,
      adminKey: admin.adminKey,
      adminKeySha256: admin.adminKeySha256,
      secretKey,
      contexts: registrations.map((registration) => ({
        registration,
        eventStore: stores.get(registration.context)!,
      })),
      messaging: async (dataSource) => ({
        mode: 'in-process',
        inProcess: {
          // A context not run here (a standalone of some contexts only) has no events to consume.
          eventStoreFor: (context) => stores.get(context),
          deadLetters: await PostgresDeadLetterSink.create(dataSource, { schema: SERVICE }),
        },
      }),
      relays: false,
      readiness: [new EventStoreReadiness(stores)],
      release: () => database.stop(),
    }),
    config,
    {
      title: 'Mandate',
      description: 'Organizations, directory sync, tokens, authorization and audit.',
      unparsedPathPrefixes: registrations.flatMap((registration) => registration.unparsedPathPrefixes ?? []),
    },
  );

  process.stdout.write(
    [
      '',
      `Mandate is running (standalone: every service in one process, embedded PostgreSQL in ${dataDir})`,
      `  Management API   ${url}/api/v1/organizations`,
      `  API docs         ${url}/api/docs`,
      `  Health           ${url}/health   ready: ${url}/ready`,
      `  Admin key        ${admin.notice}`,
      '',
    ].join('\n'),
  );
  return { app, url, generatedAdminKey: admin.generated };
};
