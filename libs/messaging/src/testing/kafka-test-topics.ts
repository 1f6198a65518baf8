import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';

export const kafkaFor = (brokers: string): Kafka =>
  new Kafka({ clientId: 'mandate-tests', brokers: brokers.split(','), logLevel: logLevel.NOTHING });

export interface CollectedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

/** Reads every message of `topics` from the beginning with a raw kafkajs consumer of its own group. */
export const collectMessages = async (
  kafka: Kafka,
  topics: readonly string[],
  groupId: string,
): Promise<{ messages: CollectedMessage[]; stop: () => Promise<void> }> => {
  const messages: CollectedMessage[] = [];
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ topic, partition, message }) =>
      Promise.resolve(void messages.push({ topic, partition, message })),
  });
  return { messages, stop: () => consumer.disconnect() };
};

/** Deletes the topics and consumer groups whose names start with `prefix`: what a test run created. */
export const deleteTopicsAndGroupsWithPrefix = async (kafka: Kafka, prefix: string): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups
      .map((group) => group.groupId)
      .filter((groupId) => groupId.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups);
  } finally {
    await admin.disconnect();
  }
};

/** The group's committed offset of every partition of `topic` equals the partition's end. */
export const groupHasCommittedEverything = async (
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<boolean> => {
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
