import { type AuditRecord } from '../record/audit-record';
import { canonicalJson } from '../verify/canonical-json';

/** What retention leaves of a record in the log: where it was, and nothing about anyone. */
export interface RedactedRecordStub {
  readonly redacted: true;
  readonly id: string;
  readonly orgId: string;
  readonly sequence: number;
  readonly occurredAt: string;
}

/**
 * An entry of the log as a stream sends it: the record, or its stub once retention redacted it (a
 * stream sent again from an old sequence still sends every sequence, so a receiver sees no gap).
 */
export type StreamedRecord = AuditRecord | RedactedRecordStub;

export const isRedactedStub = (entry: StreamedRecord): entry is RedactedRecordStub =>
  (entry as { redacted?: unknown }).redacted === true;

/** The entry's JSON as its JSON Lines export line holds it (RFC 8785 canonical JSON), without the `\n`. */
export const streamedJson = (entry: StreamedRecord): string => canonicalJson(entry);

/** The action a stream labels the entry with; `redacted` for a stub. */
export const streamedAction = (entry: StreamedRecord): string =>
  isRedactedStub(entry) ? 'redacted' : entry.action;
