import { describeWithServices } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { eventStoreContract } from '../testing/event-store-contract';
import { EmbeddedPostgres } from './embedded-postgres';
import { PostgresEventStore } from './postgres-event-store';

const uniqueSchema = () => `es_test_${randomBytes(6).toString('hex')}`;

eventStoreContract('PostgreSQL adapter on embedded PGlite', async () => {
  const embedded = await EmbeddedPostgres.start();
  const store = await PostgresEventStore.create({
    connectionString: embedded.connectionString,
    schema: uniqueSchema(),
  });
  return {
    store,
    dispose: async () => {
      await store.close();
      await embedded.stop();
    },
  };
});

describeWithServices(['postgres'], 'on a PostgreSQL server', ({ postgres }) => {
  eventStoreContract('PostgreSQL adapter on a PostgreSQL server', async () => {
    const schema = uniqueSchema();
    const store = await PostgresEventStore.create({ connectionString: postgres, schema });
    return {
      store,
      dispose: async () => {
        await store.close();
        const pool = new Pool({ connectionString: postgres, max: 1 });
        await pool.query(`drop schema ${schema} cascade`);
        await pool.end();
      },
    };
  });
});
