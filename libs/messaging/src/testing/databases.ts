import { EmbeddedPostgres } from '@mandate/eventstore';
import { describeWithServices } from '@mandate/testing';
import { DataSource } from 'typeorm';
import { uniqueName } from './recorded-events';

/**
 * Declares `body` against embedded PGlite (always) and against the PostgreSQL server of DATABASE_URL
 * (when configured, see `describeWithServices`). `connectionString` is valid inside hooks and tests.
 */
export const describeOnDatabases = (name: string, body: (connectionString: () => string) => void): void => {
  describe(`${name} on embedded PGlite`, () => {
    let embedded: EmbeddedPostgres | undefined;
    beforeAll(async () => {
      embedded = await EmbeddedPostgres.start();
    });
    // Between the two hooks, so the body's own afterAll hooks run before the server stops.
    body(() => {
      if (!embedded) throw new Error('embedded PostgreSQL is not running');
      return embedded.connectionString;
    });
    afterAll(async () => {
      await embedded?.stop();
    });
  });
  describeWithServices(['postgres'], `${name} on PostgreSQL`, ({ postgres }) => body(() => postgres));
};

/** A DataSource and a schema no other test uses; `drop()` removes the schema and disconnects. */
export const createTestSchema = async (
  connectionString: string,
): Promise<{ dataSource: DataSource; schema: string; drop: () => Promise<void> }> => {
  const schema = uniqueName('test');
  const dataSource = new DataSource({ type: 'postgres', url: connectionString, poolSize: 4 });
  await dataSource.initialize();
  await dataSource.query(`create schema ${schema}`);
  return {
    dataSource,
    schema,
    drop: async () => {
      await dataSource.query(`drop schema ${schema} cascade`);
      await dataSource.destroy();
    },
  };
};
