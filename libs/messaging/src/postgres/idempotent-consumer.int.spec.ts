import { type RecordedEvent } from '@mandate/kernel';
import { type DataSource, type EntityManager } from 'typeorm';
import { createTestSchema, describeOnDatabases } from '../testing/databases';
import { recordedEvent } from '../testing/recorded-events';
import { IdempotentConsumer } from './idempotent-consumer';

describeOnDatabases('IdempotentConsumer', (connectionString) => {
  let dataSource: DataSource;
  let schema: string;
  let drop: () => Promise<void>;
  let consumer: IdempotentConsumer;

  beforeAll(async () => {
    ({ dataSource, schema, drop } = await createTestSchema(connectionString()));
    consumer = await IdempotentConsumer.create(dataSource, { schema });
    await dataSource.query(
      `create table ${schema}.user_counts (org_id text primary key, users integer not null)`,
    );
  });
  afterAll(() => drop());

  const countUser = (event: RecordedEvent) => async (manager: EntityManager) => {
    await manager.query(
      `insert into ${schema}.user_counts (org_id, users) values ($1, 1)
       on conflict (org_id) do update set users = user_counts.users + 1`,
      [event.orgId],
    );
  };
  const usersOf = async (orgId: string): Promise<number | undefined> => {
    const rows: { users: number }[] = await dataSource.query(
      `select users from ${schema}.user_counts where org_id = $1`,
      [orgId],
    );
    return rows[0]?.users;
  };

  it('creates its table once, however often it starts', async () => {
    await IdempotentConsumer.create(dataSource, { schema });
    const rows: unknown[] = await dataSource.query(
      `select 1 from information_schema.tables where table_schema = $1 and table_name = 'processed_events'`,
      [schema],
    );
    expect(rows).toHaveLength(1);
  });

  it('applies an event once: the redelivery finds its id and changes nothing', async () => {
    const event = recordedEvent({ orgId: 'org_redelivered' });
    expect(await consumer.handle('directory-users', event, countUser(event))).toBe('applied');
    expect(await consumer.handle('directory-users', event, countUser(event))).toBe('duplicate');
    expect(await usersOf('org_redelivered')).toBe(1);
    expect(await consumer.hasProcessed('directory-users', event.id)).toBe(true);
  });

  it('keeps no record of a change that failed, so the redelivery applies it', async () => {
    const event = recordedEvent({ orgId: 'org_failed' });
    const failing = async (manager: EntityManager) => {
      await countUser(event)(manager);
      throw new Error('the read model refused');
    };
    await expect(consumer.handle('directory-users', event, failing)).rejects.toThrow(
      'the read model refused',
    );
    expect(await usersOf('org_failed')).toBeUndefined();
    expect(await consumer.hasProcessed('directory-users', event.id)).toBe(false);

    expect(await consumer.handle('directory-users', event, countUser(event))).toBe('applied');
    expect(await usersOf('org_failed')).toBe(1);
  });

  it('counts an event once for each consumer', async () => {
    const event = recordedEvent({ orgId: 'org_two_consumers' });
    expect(await consumer.handle('directory-users', event, countUser(event))).toBe('applied');
    expect(await consumer.handle('audit-trail', event, countUser(event))).toBe('applied');
    expect(await consumer.handle('audit-trail', event, countUser(event))).toBe('duplicate');
    expect(await usersOf('org_two_consumers')).toBe(2);
  });

  it('applies concurrent deliveries of one event once', async () => {
    const event = recordedEvent({ orgId: 'org_concurrent' });
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => consumer.handle('directory-users', event, countUser(event))),
    );
    expect(outcomes.filter((outcome) => outcome === 'applied')).toHaveLength(1);
    expect(await usersOf('org_concurrent')).toBe(1);
  });

  it('serves as a transport handler', async () => {
    const event = recordedEvent({ orgId: 'org_handler' });
    const handle = consumer.handler('directory-users', (delivered, manager) => countUser(delivered)(manager));
    await handle(event);
    await handle(event);
    expect(await usersOf('org_handler')).toBe(1);
  });
});
