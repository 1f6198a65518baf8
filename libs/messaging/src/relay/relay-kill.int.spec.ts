import { PostgresEventStore } from '@mandate/eventstore';
import { comparePositions, type RecordedEvent } from '@mandate/kernel';
import { describeWithServices } from '@mandate/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { type Kafka } from 'kafkajs';
import { type RunningConsumer } from '../event-transport';
import { KafkaTransport } from '../kafka/kafka-transport';
import { createTestSchema } from '../testing/databases';
import { deleteTopicsAndGroupsWithPrefix, kafkaFor } from '../testing/kafka-test-topics';
import { uniqueName } from '../testing/recorded-events';
import { RecordingLogger } from '../testing/recording-logger';
import { waitUntil } from '../testing/wait-until';
import { relaySubscriptionId } from './event-relay';

jest.setTimeout(180_000);

const TOTAL_EVENTS = 2_000;
const EVENTS_PER_APPEND = 4;
const STREAMS = 40;
const RELAY_BATCH_SIZE = 50;

const actor = { type: 'service', id: 'relay-kill-test' } as const;

describeWithServices(
  ['postgres', 'kafka'],
  'EventRelay killed with SIGKILL',
  ({ postgres, kafka: brokers }) => {
    const topicPrefix = `${uniqueName('test')}.`;
    const groupName = (label: string) => `${topicPrefix}${uniqueName(label)}`;
    const testing = join(__dirname, '..', 'testing');
    let kafka: Kafka;
    let schema: string;
    let drop: () => Promise<void>;
    let store: PostgresEventStore;
    let transport: KafkaTransport;
    let consumer: RunningConsumer | undefined;
    const children = new Set<ChildProcess>();

    /** Starts the relay in a child process and resolves once it relays. */
    const startRelay = async (): Promise<ChildProcess> => {
      const settings = {
        connectionString: postgres,
        schema,
        brokers: brokers.split(','),
        topicPrefix,
        context: 'directory',
        batchSize: RELAY_BATCH_SIZE,
      };
      const { NODE_OPTIONS: _jestOptions, ...env } = process.env;
      const child = spawn(
        process.execPath,
        [
          '-r',
          join(__dirname, '../../../../tools/register-typescript.cjs'),
          join(testing, 'relay-process.ts'),
          JSON.stringify(settings),
        ],
        { env: { ...env, KAFKAJS_NO_PARTITIONER_WARNING: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.add(child);
      child.once('exit', () => children.delete(child));
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitUntil(
        'the relay process to start',
        () => ({ output, exitCode: child.exitCode }),
        ({ output: text, exitCode }) => {
          if (exitCode !== null) throw new Error(`The relay process exited with ${exitCode}: ${text}`);
          return text.includes('ready\n');
        },
        { attempts: 600 },
      );
      return child;
    };

    const kill = async (child: ChildProcess): Promise<void> => {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    };

    /** Appends events `from`..`to` (exclusive), spread over streams of seven organizations. */
    const appendEvents = async (from: number, to: number): Promise<void> => {
      for (let index = from; index < to; index += EVENTS_PER_APPEND) {
        const stream = (index / EVENTS_PER_APPEND) % STREAMS;
        await store.append(
          `directory.user-${stream}`,
          Array.from({ length: Math.min(EVENTS_PER_APPEND, to - index) }, (_, offset) => ({
            type: 'directory.sample.updated',
            data: { sequence: index + offset },
          })),
          { metadata: { orgId: `org_${stream % 7}`, actor, correlationId: `corr-${index}` } },
        );
      }
    };

    beforeAll(async () => {
      kafka = kafkaFor(brokers);
      ({ schema, drop } = await createTestSchema(postgres));
      store = await PostgresEventStore.create({ connectionString: postgres, schema });
      transport = await KafkaTransport.connect({
        brokers: brokers.split(','),
        clientId: 'relay-kill-tests',
        topicPrefix,
        contexts: ['directory'],
        partitionsConsumedConcurrently: 3,
        logger: new RecordingLogger(),
      });
    });

    afterAll(async () => {
      await Promise.all([...children].map(kill));
      await consumer?.stop();
      await transport?.close();
      await store?.close();
      await drop?.();
      if (kafka) await deleteTopicsAndGroupsWithPrefix(kafka, topicPrefix);
    });

    it('loses no event and keeps each stream’s order; duplicates come only from the batch in flight', async () => {
      const delivered: RecordedEvent[] = [];
      consumer = await transport.consume({
        groupId: groupName('kill-test'),
        contexts: ['directory'],
        handle: (event) => Promise.resolve(void delivered.push(event)),
      });

      const firstRelay = await startRelay();
      const firstHalf = appendEvents(0, TOTAL_EVENTS / 2);
      await waitUntil(
        'the relay to be streaming',
        () => delivered.length,
        (count) => count >= 300,
      );
      await kill(firstRelay);
      await firstHalf;
      const checkpointAtKill = await store.getCheckpoint(relaySubscriptionId('directory'));

      // The relay is dead while the rest is written; its successor must pick up from the checkpoint.
      await appendEvents(TOTAL_EVENTS / 2, TOTAL_EVENTS);
      const head = (await store.headPosition())!;
      expect(checkpointAtKill).not.toBeNull();
      expect(comparePositions(checkpointAtKill!, head)).toBeLessThan(0);

      await startRelay();
      const all = await store.readAll({
        maxCount: TOTAL_EVENTS * 2,
        filter: { typePrefixes: ['directory.'] },
      });
      expect(all).toHaveLength(TOTAL_EVENTS);
      const uniqueDelivered = () => new Set(delivered.map((event) => event.id)).size;
      await waitUntil('every event at least once', uniqueDelivered, (count) => count === TOTAL_EVENTS, {
        attempts: 1_200,
      });

      // No loss: every stored event arrived, as it was stored.
      const byId = new Map(delivered.map((event) => [event.id, event]));
      expect(all.filter((event) => !byId.has(event.id))).toEqual([]);
      expect(all.slice(0, 3).map((event) => byId.get(event.id))).toEqual(all.slice(0, 3));

      // Per-stream order: each stream's revisions arrive in order; a repeat only ever goes back (a replay).
      const streams = new Map<string, number[]>();
      for (const event of delivered)
        streams.set(event.stream, [...(streams.get(event.stream) ?? []), event.streamRevision]);
      for (const [stream, revisions] of streams) {
        let highest = -1;
        for (const revision of revisions) {
          if (revision > highest + 1)
            throw new Error(`${stream} skipped from revision ${highest} to ${revision}`);
          highest = Math.max(highest, revision);
        }
        expect(highest).toBe(all.filter((event) => event.stream === stream).length - 1);
      }

      // Duplicates: only events after the checkpoint the killed relay left, within the batch it had in flight.
      const afterCheckpoint = all.filter((event) => comparePositions(event.position, checkpointAtKill!) > 0);
      const inFlight = new Set(afterCheckpoint.slice(0, RELAY_BATCH_SIZE).map((event) => event.id));
      expect(afterCheckpoint.length).toBeGreaterThan(TOTAL_EVENTS / 2);
      const duplicates = delivered.filter(
        (event, index) => delivered.findIndex((other) => other.id === event.id) < index,
      );
      expect(duplicates.filter((event) => !inFlight.has(event.id))).toEqual([]);
      expect(duplicates.length).toBeLessThanOrEqual(RELAY_BATCH_SIZE);
    });
  },
);
