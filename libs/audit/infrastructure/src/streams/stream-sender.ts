import { type AttemptResult, type StreamedRecord } from '@mandate/audit-domain';

/**
 * Hands records to one stream's destination. `send` delivers the records, in order, all or none as far
 * as the sender can tell (a failure may still have delivered some: delivery is at least once), and
 * never throws: a failure is an AttemptResult. A sender may keep a connection open between calls.
 */
export interface StreamSender {
  /** At most this many records per `send`. */
  readonly batchSize: number;
  send(records: readonly StreamedRecord[]): Promise<AttemptResult>;
  close(): Promise<void>;
}

export const refused = (error: unknown): AttemptResult => ({
  result: 'refused',
  status: null,
  error: error instanceof Error ? error.message : String(error),
  retryAfterSeconds: null,
});
