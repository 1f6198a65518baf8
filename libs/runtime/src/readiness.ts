import { type EventStore } from '@mandate/eventstore';
import { formatPosition } from '@mandate/kernel';
import { MessagingRuntime } from '@mandate/messaging';
import { type ReadinessCheck, type ReadinessIndicator, ReadinessRegistry } from '@mandate/platform';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';

/** The broker answers a metadata request. */
export class KafkaBrokerReadiness implements ReadinessIndicator {
  readonly name = 'broker';
  private readonly admin;
  private connected = false;

  constructor(brokers: readonly string[], clientId: string) {
    this.admin = new Kafka({ brokers: [...brokers], clientId, logLevel: logLevel.NOTHING }).admin();
  }

  async check(): Promise<ReadinessCheck> {
    if (!this.connected) {
      await this.admin.connect();
      this.connected = true;
    }
    const { brokers } = await this.admin.describeCluster();
    return { status: brokers.length > 0 ? 'up' : 'down', details: { brokers: brokers.length } };
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
  }
}

/** The event stores answer, with their head positions. */
export class EventStoreReadiness implements ReadinessIndicator {
  readonly name = 'eventstore';

  constructor(private readonly stores: ReadonlyMap<string, EventStore>) {}

  async check(): Promise<ReadinessCheck> {
    const heads = await Promise.all(
      [...this.stores].map(async ([context, store]) => {
        const head = await store.headPosition();
        return [context, head ? formatPosition(head) : null] as const;
      }),
    );
    return { status: 'up', details: Object.fromEntries(heads) };
  }
}

/**
 * How far each relay trails its store. A relay that cannot read its store is down; one that trails
 * is still up (it is catching up), with its lag in the details.
 */
@Injectable()
export class RelayLagReadiness implements ReadinessIndicator {
  readonly name = 'relay';

  constructor(private readonly messaging: MessagingRuntime) {}

  async check(): Promise<ReadinessCheck> {
    const lags = await this.messaging.relayLag();
    return {
      status: 'up',
      details: Object.fromEntries(
        lags.map((lag) => [
          lag.subscriptionId,
          {
            caughtUp: lag.caughtUp,
            head: lag.head && formatPosition(lag.head),
            checkpoint: lag.checkpoint && formatPosition(lag.checkpoint),
          },
        ]),
      ),
    };
  }
}

export const READINESS_INDICATORS = Symbol('RUNTIME_READINESS_INDICATORS');

@Injectable()
export class ReadinessRegistration implements OnModuleInit {
  constructor(
    private readonly registry: ReadinessRegistry,
    private readonly indicators: ReadinessIndicator[],
  ) {}

  onModuleInit(): void {
    for (const indicator of this.indicators) this.registry.register(indicator);
  }
}
