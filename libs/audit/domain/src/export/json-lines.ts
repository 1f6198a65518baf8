import { canonicalJson } from '../verify/canonical-json';
import { type AuditRecord } from '../record/audit-record';

/**
 * The record with its members in one fixed order (the order `AuditRecord` declares them), whatever
 * order it was built in, and without absent optional members: two equal records serialize the same.
 */
export const canonicalRecord = (record: AuditRecord): AuditRecord => {
  const { actor, context } = record;
  return {
    id: record.id,
    orgId: record.orgId,
    ...(record.sequence !== undefined && { sequence: record.sequence }),
    occurredAt: record.occurredAt,
    actor: {
      type: actor.type,
      id: actor.id,
      chain: [...actor.chain],
      ...(actor.clientId !== undefined && { clientId: actor.clientId }),
      ...(actor.onBehalfOf !== undefined && { onBehalfOf: actor.onBehalfOf }),
    },
    action: record.action,
    targets: record.targets.map((target) => ({
      type: target.type,
      id: target.id,
      ...(target.name !== undefined && { name: target.name }),
    })),
    outcome: record.outcome,
    ...(record.reason !== undefined && { reason: record.reason }),
    context: {
      ...(context.ip !== undefined && { ip: context.ip }),
      ...(context.userAgent !== undefined && { userAgent: context.userAgent }),
      ...(context.requestId !== undefined && { requestId: context.requestId }),
      ...(context.correlationId !== undefined && { correlationId: context.correlationId }),
      ...(context.causationId !== undefined && { causationId: context.causationId }),
      ...(context.authMethod !== undefined && { authMethod: context.authMethod }),
      ...(context.mandateId !== undefined && { mandateId: context.mandateId }),
      ...(context.grantId !== undefined && { grantId: context.grantId }),
    },
    metadata: record.metadata,
    source: record.source,
  };
};

/**
 * One line of a JSON Lines export: the record's RFC 8785 canonical JSON — exactly the bytes its leaf
 * hash covers, so a verifier hashes the line as it stands — ending with `\n`. JSON escapes every
 * control character, so a record is always one line when split at `\n` (the only line end of JSON
 * Lines; U+2028 and U+2029 stay as they are, as canonical JSON requires).
 */
export const toJsonLine = (record: AuditRecord): string => `${canonicalJson(record)}\n`;
