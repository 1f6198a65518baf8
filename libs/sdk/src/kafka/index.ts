export * from './identity-event-consumer';
export { type KafkaConnectionOptions } from './kafka-client';
export * from './kafka-revocations';
