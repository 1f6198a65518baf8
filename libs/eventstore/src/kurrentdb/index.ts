export {
  KurrentDbCheckpointUnreadableError,
  KurrentDbEventStore,
  type KurrentDbEventStoreOptions,
} from './kurrentdb-event-store';
export { type KurrentDbEnvelope, KurrentDbUnreadableEventError } from './kurrentdb-mapping';
export { KurrentDbFeedEndedError } from './kurrentdb-subscription';
