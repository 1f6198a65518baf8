import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  type FactoryProvider,
  Inject,
  Injectable,
  Module,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { type Context } from '@mandate/contracts';
import { type EventStore } from '@mandate/eventstore';
import { type RecordedEvent } from '@mandate/kernel';
import { type EventTransport, type RunningConsumer } from '../event-transport';
import { InProcessTransport, type InProcessTransportOptions } from '../in-process/in-process-transport';
import { KafkaTransport, type KafkaTransportOptions } from '../kafka/kafka-transport';
import { EventRelay, type RelayLag } from '../relay/event-relay';

export interface RelayRegistration {
  readonly context: Context;
  readonly eventStore: EventStore;
  readonly batchSize?: number;
}

/** Distributed mode talks Kafka and relays its own contexts' events; standalone mode reads the stores. */
export type MessagingConfig =
  | {
      readonly mode: 'kafka';
      readonly kafka: KafkaTransportOptions;
      readonly relays?: readonly RelayRegistration[];
    }
  | { readonly mode: 'in-process'; readonly inProcess: InProcessTransportOptions };

export interface MessagingModuleOptions {
  readonly imports?: ModuleMetadata['imports'];
  readonly inject?: FactoryProvider['inject'];
  readonly useFactory: (...args: never[]) => MessagingConfig | Promise<MessagingConfig>;
}

/** Inject the EventTransport with `@Inject(EVENT_TRANSPORT)`. */
export const EVENT_TRANSPORT = 'MANDATE_EVENT_TRANSPORT';
const MESSAGING_CONFIG = 'MANDATE_MESSAGING_CONFIG';

export interface ConsumerRegistration {
  readonly groupId: string;
  readonly contexts: readonly Context[];
  /** Only these event types (exact, or `prefix.`): see `ConsumerOptions.types`. */
  readonly types?: readonly string[];
}

/** A provider that handles events; mark it with `@EventConsumer({ groupId, contexts })`. */
export interface EventConsumerHandler {
  handle(event: RecordedEvent): Promise<void>;
}

export const EventConsumer = DiscoveryService.createDecorator<ConsumerRegistration>();

export const createEventTransport = async (config: MessagingConfig): Promise<EventTransport> => {
  switch (config.mode) {
    case 'kafka':
      return KafkaTransport.connect(config.kafka);
    case 'in-process':
      return new InProcessTransport(config.inProcess);
  }
};

/** Starts the relays and every `@EventConsumer` once the application is up; stops them before it goes down. */
@Injectable()
export class MessagingRuntime
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly relays: EventRelay[] = [];
  private readonly consumers: RunningConsumer[] = [];

  constructor(
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    @Inject(MESSAGING_CONFIG) private readonly config: MessagingConfig,
    private readonly discovery: DiscoveryService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // In standalone mode the store is the log: there is nothing to relay.
    if (this.config.mode === 'kafka')
      for (const relay of this.config.relays ?? [])
        this.relays.push(await EventRelay.start({ ...relay, transport: this.transport }));
    for (const wrapper of this.discovery.getProviders({ metadataKey: EventConsumer.KEY })) {
      const registration = this.discovery.getMetadataByDecorator(EventConsumer, wrapper);
      const consumer = wrapper.instance as EventConsumerHandler | undefined;
      if (!registration || !consumer) continue;
      this.consumers.push(
        await this.transport.consume({ ...registration, handle: (event) => consumer.handle(event) }),
      );
    }
  }

  /** For readiness: how far each relay trails its store. */
  relayLag(): Promise<RelayLag[]> {
    return Promise.all(this.relays.map((relay) => relay.lag()));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.splice(0).map((consumer) => consumer.stop()));
    await Promise.all(this.relays.splice(0).map((relay) => relay.stop()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}

/**
 * Provides the EventTransport for the configured mode, relays the service's own contexts in Kafka
 * mode, and runs every provider marked `@EventConsumer`. Global: import it once, in the app.
 */
@Module({})
export class MessagingModule {
  static forRootAsync(options: MessagingModuleOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        { provide: MESSAGING_CONFIG, useFactory: options.useFactory, inject: options.inject ?? [] },
        {
          provide: EVENT_TRANSPORT,
          useFactory: (config: MessagingConfig) => createEventTransport(config),
          inject: [MESSAGING_CONFIG],
        },
        MessagingRuntime,
      ],
      exports: [EVENT_TRANSPORT, MessagingRuntime],
    };
  }
}
