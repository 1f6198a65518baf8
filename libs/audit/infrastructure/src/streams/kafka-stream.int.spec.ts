import { type AuditRecord, streamedJson } from '@mandate/audit-domain';
import { describeWithServices } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { LogStreams } from './log-streams';
import { appendRecords, createStreamTestDatabase, until } from './testing/stream-test-database';

jest.setTimeout(90_000);

describeWithServices(['postgres', 'kafka'], 'log streams to Kafka', ({ postgres, kafka: brokers }) => {
  const topic = `test.audit-streams.${randomBytes(4).toString('hex')}`;
  const kafka = new Kafka({
    clientId: 'audit-stream-tests',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  let database: Awaited<ReturnType<typeof createStreamTestDatabase>>;
  let streams: LogStreams;

  const stateOf = async (orgId: string) => (await streams.list(orgId))[0]!;
  const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString();

  beforeAll(async () => {
    database = await createStreamTestDatabase(postgres);
    streams = new LogStreams(database.dataSource, database.secrets, () => new Date(), {
      timeouts: { connectMs: 2_000, requestMs: 5_000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
  });
  afterAll(async () => {
    await streams?.stop();
    await database?.drop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.late`] }).catch(() => undefined);
    await admin.disconnect();
  });

  it("produces every record once, keyed by organization, in each organization's order", async () => {
    const orgs = ['org_kafka_a', 'org_kafka_b'];
    for (const orgId of orgs) {
      await streams.create(orgId, { kind: 'kafka', brokers: brokers.split(','), topic });
      await appendRecords(database.dataSource, orgId, 70);
    }
    await until(
      () => streams.deliverDue(),
      async () => (await Promise.all(orgs.map(stateOf))).every((state) => state.deliveredThrough === 69),
      30_000,
    );

    const received: { partition: number; message: KafkaMessage }[] = [];
    const consumer = kafka.consumer({ groupId: `${topic}.reader` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => Promise.resolve(void received.push({ partition, message })),
    });
    try {
      await until(
        () => Promise.resolve(),
        () => received.length >= 140,
        30_000,
      );
    } finally {
      await consumer.disconnect();
    }
    expect(received).toHaveLength(140);
    for (const orgId of orgs) {
      const logged = await database.dataSource.query<{ record: AuditRecord }[]>(
        'select record from audit.records where org_id = $1 order by sequence',
        [orgId],
      );
      const mine = received.filter(({ message }) => message.key?.toString() === orgId);
      expect(new Set(mine.map(({ partition }) => partition)).size).toBe(1);
      expect(mine.map(({ message }) => message.value?.toString())).toEqual(
        logged.map((row) => streamedJson(row.record)),
      );
      mine.forEach(({ message }, i) => {
        expect(header(message, 'mandate-record-id')).toBe(logged[i]!.record.id);
        expect(header(message, 'mandate-sequence')).toBe(String(i));
        expect(header(message, 'mandate-org-id')).toBe(orgId);
        expect(header(message, 'content-type')).toBe('application/json');
      });
    }
  });

  it('retries while the topic is missing and delivers once it exists, the failure visible meanwhile', async () => {
    const orgId = 'org_kafka_late';
    const late = `${topic}.late`;
    await streams.create(orgId, { kind: 'kafka', brokers: brokers.split(','), topic: late });
    await appendRecords(database.dataSource, orgId, 3);
    await until(
      () => streams.deliverDue(),
      async () => (await stateOf(orgId)).failedAttempts > 0,
      30_000,
    );
    const failing = await stateOf(orgId);
    expect(failing.deliveredThrough).toBe(-1);
    expect(failing.lastError).toBeTruthy();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: late, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await until(
      () => streams.deliverDue(),
      async () => (await stateOf(orgId)).deliveredThrough === 2,
      40_000,
    );
    expect((await stateOf(orgId)).failedAttempts).toBe(0);
  });
});
