import { topicFor } from '@mandate/contracts';
import { describeWithServices } from '@mandate/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type IdentityEvent } from '../events/identity-events';
import { type GrantRevocation, type RevocationFollower } from '../revocations/revocation-list';
import {
  grantRevoked,
  mandateId,
  recordedEvent,
  toKafkaMessage,
  uniqueName,
} from '../testing/recorded-events';
import { waitUntil } from '../testing/wait-until';
import { consumeIdentityEvents, type RunningIdentityConsumer } from './identity-event-consumer';
import { followRevocationsOnKafka } from './kafka-revocations';

jest.setTimeout(90_000);

const silent = { warn: jest.fn(), error: jest.fn() };

describeWithServices(['kafka'], 'the SDK on Kafka', ({ kafka: brokerList }) => {
  const brokers = brokerList.split(',');
  const topicPrefix = `${uniqueName('sdk')}.`;
  const kafka = new Kafka({ clientId: 'sdk-tests', brokers, logLevel: logLevel.NOTHING });
  const authnTopic = `${topicPrefix}${topicFor('authn')}`;
  const directoryTopic = `${topicPrefix}${topicFor('directory')}`;
  let producer: Producer;
  const followers: RevocationFollower[] = [];
  const consumers: RunningIdentityConsumer[] = [];

  const publish = (
    topic: string,
    ...messages: { key: string | null; value: string | null; headers?: Record<string, string> }[]
  ) => producer.send({ topic, acks: -1, messages });

  const follow = (onRevocation?: (revocation: GrantRevocation) => void) => {
    const follower = followRevocationsOnKafka({
      brokers,
      topicPrefix,
      logger: silent,
      ...(onRevocation ? { onRevocation } : {}),
    });
    followers.push(follower);
    return follower;
  };

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [authnTopic, directoryTopic].map((topic) => ({
        topic,
        numPartitions: 3,
        replicationFactor: 1,
      })),
    });
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(followers.splice(0).map((follower) => follower.close()));
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    silent.warn.mockClear();
    silent.error.mockClear();
  });

  afterAll(async () => {
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups
      .map((group) => group.groupId)
      .filter((id) => id.startsWith(topicPrefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  });

  describe('followRevocationsOnKafka', () => {
    it('is ready once it has read every revocation already on the topic, then follows new ones', async () => {
      const before = Array.from({ length: 6 }, (_, index) => `grt_before_${index}_${uniqueName('g')}`);
      await publish(authnTopic, ...before.map((grantId) => toKafkaMessage(grantRevoked(grantId))));
      const follower = follow();
      await follower.ready();
      expect(before.filter((grantId) => !follower.isRevoked(grantId))).toEqual([]);
      expect(follower.isRevoked('grt_never_revoked')).toBe(false);
      await waitUntil(() => follower.connected, { what: 'connected', timeoutMs: 20_000 });

      const live = `grt_live_${uniqueName('g')}`;
      await publish(authnTopic, toKafkaMessage(grantRevoked(live)));
      await waitUntil(() => follower.isRevoked(live), { what: 'the live revocation', timeoutMs: 20_000 });
    });

    it('every instance sees every revocation (each its own group, from the earliest offset)', async () => {
      const grantId = `grt_shared_${uniqueName('g')}`;
      await publish(authnTopic, toKafkaMessage(grantRevoked(grantId)));
      const [first, second] = [follow(), follow()];
      await Promise.all([first.ready(), second.ready()]);
      expect([first.isRevoked(grantId), second.isRevoked(grantId)]).toEqual([true, true]);
      // A restart reads everything again: nothing lives in a committed offset.
      await first.close();
      const restarted = follow();
      await restarted.ready();
      expect(restarted.isRevoked(grantId)).toBe(true);
    });

    it('skips malformed messages with a warning, other authn events silently, and keeps going', async () => {
      const delivered: string[] = [];
      const follower = follow((revocation) => delivered.push(revocation.grantId));
      await follower.ready();
      await waitUntil(() => follower.connected, { timeoutMs: 20_000 });
      const validGrant = `grt_valid_${uniqueName('g')}`;
      const valid = grantRevoked(validGrant);
      const { headers, value } = toKafkaMessage(valid);
      const invalidData = toKafkaMessage(grantRevoked('short'));
      await publish(
        authnTopic,
        { key: 'k', value: '{not json', headers },
        { key: 'k', value: null, headers },
        { key: 'k', value: 'plain text without headers' },
        invalidData,
        { key: 'k', value: value.replace('"schemaVersion":1', '"schemaVersion":9'), headers },
        toKafkaMessage(
          recordedEvent({ type: 'authn.session.started', orgId: valid.orgId, data: { any: 'thing' } }),
        ),
      );
      await publish(authnTopic, toKafkaMessage(valid));
      await waitUntil(() => follower.isRevoked(validGrant), { timeoutMs: 20_000 });
      expect(delivered.filter((grantId) => grantId === validGrant)).toHaveLength(1);
      expect(follower.isRevoked('short')).toBe(false);
      expect(silent.warn.mock.calls.length).toBeGreaterThanOrEqual(5);
      expect(follower.connected).toBe(true);
    });

    it('does not hold revocations whose tokens expired long ago', async () => {
      const expired = `grt_expired_${uniqueName('g')}`;
      await publish(
        authnTopic,
        toKafkaMessage(grantRevoked(expired, { expiresAt: new Date(Date.now() - 3_600_000).toISOString() })),
      );
      const follower = follow();
      await follower.ready();
      expect(follower.isRevoked(expired)).toBe(false);
    });
  });

  describe('consumeIdentityEvents', () => {
    const deactivated = (orgId = mandateId('org')) =>
      recordedEvent({
        type: 'directory.user.deactivated',
        orgId,
        data: {
          orgId,
          directoryId: mandateId('dir'),
          userId: mandateId('usr'),
          source: 'scim',
          reason: 'deprovisioned',
          effectiveAt: new Date().toISOString(),
        },
      });

    const committedEverything = async (groupId: string, topic: string) => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [ends, [committed]] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId, topics: [topic] }),
        ]);
        return ends.every(({ partition, high }) => {
          const offset = committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1';
          return high === '0' ? offset === '-1' || offset === '0' : offset === high;
        });
      } finally {
        await admin.disconnect();
      }
    };

    const committedOffset = async (groupId: string, topic: string, partition: number) => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1';
      } finally {
        await admin.disconnect();
      }
    };

    it('hands each event to the typed handler of its type, committing after the handler resolved', async () => {
      const events = [deactivated(), deactivated(), deactivated()];
      await publish(directoryTopic, ...events.map(toKafkaMessage));
      const received: IdentityEvent<'directory.user.deactivated'>[] = [];
      const revoked: string[] = [];
      const groupId = `${topicPrefix}${uniqueName('svc')}`;
      consumers.push(
        await consumeIdentityEvents({
          brokers,
          groupId,
          topicPrefix,
          contexts: ['directory', 'authn'],
          logger: silent,
          handlers: {
            'directory.user.deactivated': (event) => {
              const userId: string = event.data.userId;
              expect(userId).toMatch(/^usr_/);
              received.push(event);
            },
            'authn.grant.revoked': (event) => void revoked.push(event.data.grantId),
          },
        }),
      );
      await waitUntil(() => events.every((event) => received.some((one) => one.id === event.id)), {
        timeoutMs: 30_000,
      });
      const mine = received.find((one) => one.id === events[0]!.id)!;
      expect(mine).toMatchObject({
        type: 'directory.user.deactivated',
        orgId: events[0]!.orgId,
        data: events[0]!.data,
      });
      expect(mine.occurredAt).toEqual(events[0]!.occurredAt);
      await waitUntil(() => committedEverything(groupId, directoryTopic), {
        timeoutMs: 20_000,
        what: 'the commits',
      });
      await waitUntil(() => revoked.length > 0, { timeoutMs: 20_000, what: 'authn events' });
    });

    it('retries a failing handler and commits only once it succeeded (at-least-once)', async () => {
      const groupId = `${topicPrefix}${uniqueName('svc')}`;
      const event = deactivated();
      let attempts = 0;
      let where: { partition: number; offset: string } | undefined;
      consumers.push(
        await consumeIdentityEvents({
          brokers,
          groupId,
          topicPrefix,
          contexts: ['directory'],
          logger: silent,
          retry: { initialMs: 20, maxMs: 50 },
          handlers: {
            'directory.user.deactivated': async (delivered, delivery) => {
              if (delivered.id !== event.id) return;
              attempts += 1;
              where = delivery;
              if (attempts < 3) throw new Error('the downstream database is down');
              expect(await committedOffset(groupId, directoryTopic, delivery.partition)).not.toBe(
                String(BigInt(delivery.offset) + 1n),
              );
            },
          },
        }),
      );
      await publish(directoryTopic, toKafkaMessage(event));
      await waitUntil(() => attempts >= 3, { timeoutMs: 30_000 });
      await waitUntil(
        async () =>
          (await committedOffset(groupId, directoryTopic, where!.partition)) ===
          String(BigInt(where!.offset) + 1n),
        { timeoutMs: 20_000, what: 'the commit' },
      );
      expect(attempts).toBe(3);
      expect(silent.error).toHaveBeenCalledTimes(2);
    });

    it('an event not committed before a stop is delivered again to the group', async () => {
      const groupId = `${topicPrefix}${uniqueName('svc')}`;
      const event = deactivated();
      await publish(directoryTopic, toKafkaMessage(event));
      const seen: string[] = [];
      const first = await consumeIdentityEvents({
        brokers,
        groupId,
        topicPrefix,
        contexts: ['directory'],
        logger: silent,
        retry: { initialMs: 20, maxMs: 50 },
        handlers: {
          'directory.user.deactivated': (delivered) => {
            if (delivered.id !== event.id) return;
            seen.push('first');
            throw new Error('not now');
          },
        },
      });
      await waitUntil(() => seen.length > 0, { timeoutMs: 30_000 });
      await first.stop();
      const second = await consumeIdentityEvents({
        brokers,
        groupId,
        topicPrefix,
        contexts: ['directory'],
        logger: silent,
        handlers: {
          'directory.user.deactivated': (delivered) => {
            if (delivered.id === event.id) seen.push('second');
          },
        },
      });
      consumers.push(second);
      await waitUntil(() => seen.includes('second'), { timeoutMs: 30_000 });
      await waitUntil(() => committedEverything(groupId, directoryTopic), { timeoutMs: 20_000 });
    });

    it('skips malformed messages and commits past them', async () => {
      const groupId = `${topicPrefix}${uniqueName('svc')}`;
      const topic = `${topicPrefix}${topicFor('authz')}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      });
      await admin.disconnect();
      const orgId = mandateId('org');
      const good = recordedEvent({
        type: 'authz.role.deleted',
        orgId,
        data: { orgId, roleId: mandateId('rol') },
      });
      await publish(
        topic,
        { key: 'k', value: '{"broken":', headers: toKafkaMessage(good).headers },
        toKafkaMessage(good),
      );
      const received: string[] = [];
      consumers.push(
        await consumeIdentityEvents({
          brokers,
          groupId,
          topicPrefix,
          contexts: ['authz'],
          logger: silent,
          handlers: { 'authz.role.deleted': (event) => void received.push(event.data.roleId) },
        }),
      );
      await waitUntil(() => received.length === 1, { timeoutMs: 30_000 });
      await waitUntil(() => committedEverything(groupId, topic), { timeoutMs: 20_000 });
      expect(silent.warn).toHaveBeenCalledWith(expect.stringContaining('Skipped a malformed message'));
    });
  });
});
