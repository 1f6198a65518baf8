import { isContext } from '@mandate/contracts';
import { PostgresEventStore } from '@mandate/eventstore';
import { KafkaTransport } from '../kafka/kafka-transport';
import { EventRelay } from '../relay/event-relay';

/**
 * A relay in a process of its own, for tests that kill it: run with
 * `node -r tools/register-typescript.cjs relay-process.ts '<json settings>'`. It prints `ready` once it
 * relays, and stops cleanly on SIGTERM.
 */
interface RelayProcessSettings {
  readonly connectionString: string;
  readonly schema: string;
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  readonly context: string;
  readonly batchSize: number;
}

const main = async (): Promise<void> => {
  const settings = JSON.parse(process.argv[2] ?? '{}') as RelayProcessSettings;
  const { context } = settings;
  if (!isContext(context)) throw new Error(`Unknown context "${context}"`);
  const eventStore = await PostgresEventStore.create({
    connectionString: settings.connectionString,
    schema: settings.schema,
    pollIntervalMs: 20,
  });
  const transport = await KafkaTransport.connect({
    brokers: settings.brokers,
    clientId: `relay-${context}`,
    topicPrefix: settings.topicPrefix,
    contexts: [context],
  });
  const relay = await EventRelay.start({ context, eventStore, transport, batchSize: settings.batchSize });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void (async () => {
      await relay.stop();
      await transport.close();
      await eventStore.close();
    })();
  });
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
