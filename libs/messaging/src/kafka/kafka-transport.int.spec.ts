import { defineIntegrationEvent, encodeCloudEvent } from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { describeWithServices } from '@mandate/testing';
import { type Kafka } from 'kafkajs';
import { z } from 'zod';
import { type EventHandler, type RunningConsumer } from '../event-transport';
import { recordedEvent, uniqueName } from '../testing/recorded-events';
import { RecordingLogger } from '../testing/recording-logger';
import {
  collectMessages,
  deleteTopicsAndGroupsWithPrefix,
  groupHasCommittedEverything,
  kafkaFor,
} from '../testing/kafka-test-topics';
import { waitUntil } from '../testing/wait-until';
import { KafkaTransport } from './kafka-transport';

jest.setTimeout(90_000);

defineIntegrationEvent('directory.widget.created', 1, z.object({ widgetId: z.string() }));

const headerText = (value: Buffer | string | (Buffer | string)[] | undefined): string | undefined =>
  value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);

describeWithServices(['kafka'], 'KafkaTransport', ({ kafka: brokers }) => {
  const topicPrefix = `${uniqueName('test')}.`;
  const groupName = (label: string) => `${topicPrefix}${uniqueName(label)}`;
  const logger = new RecordingLogger();
  let transport: KafkaTransport;
  let kafka: Kafka;
  const consumers: RunningConsumer[] = [];

  const consume = async (handle: EventHandler, groupId = groupName('group')) => {
    const consumer = await transport.consume({ groupId, contexts: ['directory'], handle });
    consumers.push(consumer);
    return consumer;
  };

  beforeAll(async () => {
    kafka = kafkaFor(brokers);
    transport = await KafkaTransport.connect({
      brokers: brokers.split(','),
      clientId: 'messaging-tests',
      topicPrefix,
      contexts: ['directory'],
      retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
      partitionsConsumedConcurrently: 3,
      logger,
    });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  });

  afterAll(async () => {
    await transport?.close();
    if (kafka) await deleteTopicsAndGroupsWithPrefix(kafka, topicPrefix);
  });

  it('creates the topic and its dead-letter topic with three partitions', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({
      topics: [transport.topicFor('directory'), `${transport.topicFor('directory')}.dlq`],
    });
    await admin.disconnect();
    expect(topics.map((topic) => [topic.name, topic.partitions.length]).sort()).toEqual([
      [`${topicPrefix}mandate.directory.events.v1`, 3],
      [`${topicPrefix}mandate.directory.events.v1.dlq`, 3],
    ]);
  });

  it('publishes CloudEvents keyed by organization, and consumers receive the same recorded events', async () => {
    const events = [
      recordedEvent({ orgId: 'org_a', stream: 'directory.user-u1', position: { commit: 7n, prepare: 1n } }),
      recordedEvent({
        orgId: 'org_b',
        type: 'directory.widget.created',
        data: { widgetId: 'w1' },
        actor: { type: 'agent', id: 'agent_1', onBehalfOf: 'user_1', via: 'client_1' },
        causationId: recordedEvent().id,
      }),
    ];
    await transport.publish('directory', events);

    const raw = await collectMessages(kafka, [transport.topicFor('directory')], groupName('raw'));
    const received: RecordedEvent[] = [];
    await consume((event) => Promise.resolve(void received.push(event)));
    await waitUntil(
      'both events, raw and decoded',
      () => raw.messages.length + received.length,
      (n) => n >= 4,
    );
    await raw.stop();

    const [first] = raw.messages.filter(
      ({ message }) => headerText(message.headers?.ce_id) === events[0]!.id,
    );
    expect(first?.message.key?.toString()).toBe('org_a');
    expect(
      Object.fromEntries(
        Object.entries(first?.message.headers ?? {}).map(([name, value]) => [name, headerText(value)]),
      ),
    ).toEqual(encodeCloudEvent(events[0]!).headers);
    expect(JSON.parse(first!.message.value!.toString())).toEqual(
      JSON.parse(encodeCloudEvent(events[0]!).value),
    );
    expect(received.sort((a, b) => a.orgId.localeCompare(b.orgId))).toEqual(events);
  });

  it('refuses to publish another context’s events on a context’s topic', async () => {
    await expect(
      transport.publish('directory', [recordedEvent({ type: 'authz.sample.assigned' })]),
    ).rejects.toThrow(/not a directory event/);
  });

  it('keeps each organization’s order across partitions, retrying a failed handler in place', async () => {
    const organizations = Array.from({ length: 8 }, (_, index) => `org_${index}`);
    const perOrganization = 25;
    const events = Array.from({ length: perOrganization }, (_, revision) =>
      organizations.map((orgId) =>
        recordedEvent({ orgId, stream: `directory.user-${orgId}`, streamRevision: revision }),
      ),
    ).flat();
    for (let start = 0; start < events.length; start += 30)
      await transport.publish('directory', events.slice(start, start + 30));

    const failedOnce = new Set<string>();
    const received: RecordedEvent[] = [];
    await consume((event) => {
      if (event.streamRevision % 10 === 3 && !failedOnce.has(event.id)) {
        failedOnce.add(event.id);
        return Promise.reject(new Error('transient'));
      }
      received.push(event);
      return Promise.resolve();
    });
    await waitUntil(
      'every event',
      () => received.length,
      (count) => count >= events.length,
    );

    for (const orgId of organizations)
      expect(received.filter((event) => event.orgId === orgId).map((event) => event.streamRevision)).toEqual(
        Array.from({ length: perOrganization }, (_, revision) => revision),
      );
    expect(failedOnce.size).toBe(organizations.length * 3);
    expect(logger.messages('error').filter((line) => line.includes('POISON'))).toEqual([]);
  });

  it('parks malformed messages on the dead-letter topic, commits them and keeps the partition moving', async () => {
    const topic = transport.topicFor('directory');
    const valid = recordedEvent({
      orgId: 'org_malformed',
      type: 'directory.widget.created',
      data: { widgetId: 'w' },
    });
    const { headers, value } = encodeCloudEvent(valid);
    const invalidData = recordedEvent({ orgId: 'org_malformed', type: 'directory.widget.created', data: {} });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'org_malformed', value: '{"id": "not json', headers },
        { key: 'org_malformed', value: JSON.stringify({ ...JSON.parse(value), orgId: '' }), headers },
        { key: 'org_malformed', ...encodeCloudEvent(invalidData) },
        { key: 'org_malformed', value, headers: { ...headers, ce_specversion: '0.3' } },
        { key: 'org_malformed', value, headers },
      ],
    });
    await producer.disconnect();

    const groupId = groupName('group');
    const received: RecordedEvent[] = [];
    await consume((event) => Promise.resolve(void received.push(event)), groupId);
    const deadLetters = await collectMessages(kafka, [`${topic}.dlq`], groupName('dlq'));
    await waitUntil(
      'the valid event',
      () => received.filter((event) => event.id === valid.id).length,
      (n) => n === 1,
    );
    const parkedByThisGroup = () =>
      deadLetters.messages.filter(
        ({ message }) => headerText(message.headers?.mandate_consumer_group) === groupId,
      );
    await waitUntil(
      'four dead letters',
      () => parkedByThisGroup().length,
      (count) => count >= 4,
    );
    await deadLetters.stop();

    const parked = parkedByThisGroup().map(({ message }) => ({
      key: message.key?.toString(),
      code: headerText(message.headers?.mandate_error_code),
      reason: headerText(message.headers?.mandate_dead_letter_reason),
      error: headerText(message.headers?.mandate_error),
      topic: headerText(message.headers?.mandate_original_topic),
      partition: headerText(message.headers?.mandate_original_partition),
    }));
    const expectedCodes = [
      'CONTRACTS_MALFORMED_JSON',
      'CONTRACTS_INVALID_ENVELOPE',
      'CONTRACTS_INVALID_DATA',
      'CONTRACTS_INVALID_HEADERS',
    ];
    expect(parked).toEqual(
      expectedCodes.map((code) => ({
        key: 'org_malformed',
        code,
        reason: 'malformed',
        error: expect.stringContaining(code) as unknown,
        topic,
        partition: parked[0]!.partition,
      })),
    );
    // The five records sat one after another on one partition, and the valid one after them was handled.
    const offsets = parkedByThisGroup().map(({ message }) =>
      Number(headerText(message.headers?.mandate_original_offset)),
    );
    expect(offsets).toEqual([0, 1, 2, 3].map((step) => offsets[0]! + step));
    expect(received.map((event) => event.id)).toContain(valid.id);
    await waitUntil(
      'the offsets committed',
      () => groupHasCommittedEverything(kafka, groupId, topic),
      Boolean,
    );
  });

  it('parks a poison event after the last retry, raises an alert, and moves on', async () => {
    const topic = transport.topicFor('directory');
    const poison = recordedEvent({ orgId: 'org_poison', stream: 'directory.user-poison', streamRevision: 0 });
    const next = recordedEvent({ orgId: 'org_poison', stream: 'directory.user-poison', streamRevision: 1 });
    await transport.publish('directory', [poison, next]);

    const groupId = groupName('group');
    let attempts = 0;
    const received: RecordedEvent[] = [];
    await consume((event) => {
      if (event.id === poison.id) {
        attempts += 1;
        return Promise.reject(new Error('read model rejects it'));
      }
      received.push(event);
      return Promise.resolve();
    }, groupId);
    const deadLetters = await collectMessages(kafka, [`${topic}.dlq`], groupName('dlq'));
    await waitUntil('the next event', () => received.some((event) => event.id === next.id), Boolean);
    await waitUntil(
      'the parked poison event',
      () => deadLetters.messages.filter(({ message }) => headerText(message.headers?.ce_id) === poison.id),
      (found) => found.length === 1,
    );
    await deadLetters.stop();

    const [letter] = deadLetters.messages.filter(
      ({ message }) => headerText(message.headers?.ce_id) === poison.id,
    );
    expect(attempts).toBe(3);
    expect(headerText(letter!.message.headers?.mandate_dead_letter_reason)).toBe('handler-failed');
    expect(headerText(letter!.message.headers?.mandate_attempts)).toBe('3');
    expect(headerText(letter!.message.headers?.mandate_error)).toBe('read model rejects it');
    expect(JSON.parse(letter!.message.value!.toString())).toMatchObject({ id: poison.id });
    expect(logger.messages('error')).toContainEqual(
      expect.stringContaining(`MESSAGING_POISON_MESSAGE_PARKED group=${groupId} event=${poison.id}`),
    );
    await waitUntil(
      'the offsets committed',
      () => groupHasCommittedEverything(kafka, groupId, topic),
      Boolean,
    );
  });

  it('resumes a group after its committed offsets when it restarts', async () => {
    const groupId = groupName('group');
    const seen: string[] = [];
    const handle: EventHandler = (event) => Promise.resolve(void seen.push(event.id));
    const first = await consume(handle, groupId);
    await waitUntil(
      'the topic drained',
      () => groupHasCommittedEverything(kafka, groupId, transport.topicFor('directory')),
      Boolean,
    );
    await first.stop();
    const drained = seen.length;

    const later = [recordedEvent({ orgId: 'org_restart' }), recordedEvent({ orgId: 'org_restart' })];
    await transport.publish('directory', later);
    await consume(handle, groupId);
    await waitUntil(
      'the later events',
      () => seen.length,
      (count) => count >= drained + 2,
    );
    expect(seen.slice(drained)).toEqual(later.map((event) => event.id));
  });
});
