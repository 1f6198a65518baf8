import { randomBytes } from 'node:crypto';
import { EmbeddedPostgres } from '@mandate/eventstore';
import { describeWithServices } from '@mandate/testing';
import { DataSource } from 'typeorm';
import { platformEntities } from '../persistence/platform.entities';
import { platformMigrations } from '../persistence/platform.migrations';

/**
 * A DataSource on a fresh schema of its own, with the platform's tables migrated, for one test suite.
 * `drop()` removes the schema and closes the connection.
 */
export const createTestDataSource = async (
  connectionString: string,
): Promise<{ dataSource: DataSource; schema: string; drop: () => Promise<void> }> => {
  const schema = `platform_test_${randomBytes(6).toString('hex')}`;
  const admin = new DataSource({ type: 'postgres', url: connectionString, poolSize: 1 });
  await admin.initialize();
  await admin.query(`create schema ${schema}`);
  await admin.destroy();

  const dataSource = new DataSource({
    type: 'postgres',
    url: connectionString,
    schema,
    entities: platformEntities,
    migrations: platformMigrations,
    migrationsRun: true,
    poolSize: 4,
  });
  await dataSource.initialize();
  return {
    dataSource,
    schema,
    drop: async () => {
      await dataSource.query(`drop schema ${schema} cascade`);
      await dataSource.destroy();
    },
  };
};

/**
 * Declares `body` twice: against embedded PGlite (always) and against the PostgreSQL server of
 * DATABASE_URL (when configured, see `describeWithServices`).
 */
export const describeOnDatabases = (name: string, body: (connectionString: () => string) => void): void => {
  describe(`${name} on embedded PGlite`, () => {
    let embedded: EmbeddedPostgres | undefined;
    const connectionString = () => {
      if (!embedded) throw new Error('embedded PostgreSQL is not running');
      return embedded.connectionString;
    };
    beforeAll(async () => {
      embedded = await EmbeddedPostgres.start();
    });
    // Declared between the two hooks, so the body's own afterAll hooks run before the server stops.
    body(connectionString);
    afterAll(async () => {
      await embedded?.stop();
    });
  });
  describeWithServices(['postgres'], `${name} on PostgreSQL`, ({ postgres }) => body(() => postgres));
};
