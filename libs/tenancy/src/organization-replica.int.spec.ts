import { EmbeddedPostgres } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { IdempotentConsumer } from '@mandate/messaging';
import { DataSource } from 'typeorm';
import { OrganizationReplica } from './organization-replica';

const orgId = 'org_01m8156we5fhs97dpttrz9p4h4';
let n = 0;
const event = (type: string, data: unknown): RecordedEvent => ({
  id: `01a20253-28f0-7e16-adec-ba63058800${String(n++).padStart(2, '0')}`,
  type,
  schemaVersion: 1,
  orgId,
  stream: `organization-${orgId}`,
  streamRevision: n,
  position: { commit: BigInt(n), prepare: BigInt(n) },
  occurredAt: new Date('2026-11-02T00:00:00Z'),
  actor: { type: 'system', id: 'test' },
  causationId: null,
  correlationId: 'c',
  data,
});

describe('organization replica (embedded PostgreSQL)', () => {
  let database: EmbeddedPostgres;
  let dataSource: DataSource;
  let replica: OrganizationReplica;
  let consumer: IdempotentConsumer;

  beforeAll(async () => {
    database = await EmbeddedPostgres.start();
    dataSource = await new DataSource({ type: 'postgres', url: database.connectionString }).initialize();
    replica = new OrganizationReplica(dataSource, 'authz');
    await replica.ensureCreated();
    consumer = await IdempotentConsumer.create(dataSource, { schema: 'authz' });
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.stop();
  });

  const deliver = (recorded: RecordedEvent) =>
    consumer.handle('authz.tenancy', recorded, (manager) => replica.apply(recorded, manager));

  it('follows an organization through its life, each event applied once', async () => {
    const created = event('directory.organization.created', {
      orgId,
      name: 'Acme',
      createdAt: '2026-11-01T00:00:00.000Z',
    });
    expect(await deliver(created)).toBe('applied');
    expect(await deliver(created)).toBe('duplicate');
    expect(await replica.find(orgId)).toMatchObject({ orgId, name: 'Acme', status: 'active' });

    await deliver(event('directory.organization.renamed', { orgId, name: 'Acme Corp' }));
    await deliver(event('directory.organization.deleted', { orgId, deletedAt: '2026-11-03T00:00:00.000Z' }));
    expect(await replica.find(orgId)).toMatchObject({ name: 'Acme Corp', status: 'deleted' });
    expect(await replica.find('org_unknown')).toBeNull();
  });
});
