import { type AuditRecord } from '../record/audit-record';

/** The columns of a CSV export, in order. */
export const CSV_COLUMNS = [
  'id',
  'sequence',
  'occurredAt',
  'orgId',
  'actorType',
  'actorId',
  'actorChain',
  'action',
  'targets',
  'outcome',
  'reason',
  'correlationId',
  'causationId',
  'mandateId',
  'grantId',
  'metadata',
] as const;

/** RFC 4180 ends every record, the header included, with CRLF. */
export const CSV_LINE_END = '\r\n';

/** The chain in one cell, outermost first: `usr_… > agt_… > agt_…`. */
export const ACTOR_CHAIN_SEPARATOR = ' > ';
/** Targets in one cell: `type:id` joined by `; `. */
export const TARGET_SEPARATOR = '; ';

/** RFC 4180: a field with a comma, a double quote, CR or LF is enclosed in double quotes, its quotes doubled. */
export const csvField = (value: string): string =>
  /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

const cells = (record: AuditRecord): Record<(typeof CSV_COLUMNS)[number], string> => ({
  id: record.id,
  sequence: record.sequence === undefined ? '' : String(record.sequence),
  occurredAt: record.occurredAt,
  orgId: record.orgId,
  actorType: record.actor.type,
  actorId: record.actor.id,
  actorChain: record.actor.chain.join(ACTOR_CHAIN_SEPARATOR),
  action: record.action,
  targets: record.targets.map((target) => `${target.type}:${target.id}`).join(TARGET_SEPARATOR),
  outcome: record.outcome,
  reason: record.reason ?? '',
  correlationId: record.context.correlationId ?? '',
  causationId: record.context.causationId ?? '',
  mandateId: record.context.mandateId ?? '',
  grantId: record.context.grantId ?? '',
  metadata: JSON.stringify(record.metadata),
});

/** The header line, with its CRLF. */
export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}${CSV_LINE_END}`;

/** One record as a CSV line, with its CRLF. */
export const toCsvRow = (record: AuditRecord): string => {
  const row = cells(record);
  return `${CSV_COLUMNS.map((column) => csvField(row[column])).join(',')}${CSV_LINE_END}`;
};
