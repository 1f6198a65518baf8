import { type AuditRecord, type JsonObject } from '@mandate/audit-domain';
import { uuidv7 } from '@mandate/eventstore';
import { type Principal, principalId } from '@mandate/platform';

export type AuditLogAction =
  'audit_log.read' | 'audit_log.exported' | 'audit_log.retention_changed' | 'audit_log.retention_enforced';

/** The record of someone (or the retention job: no principal) reading, exporting or reconfiguring the log: the log audits itself. */
export const auditOfAuditing = (
  orgId: string,
  principal: Principal | null,
  action: AuditLogAction,
  metadata: Record<string, unknown>,
  occurredAt: Date = new Date(),
): AuditRecord => {
  const id = principal ? principalId(principal) : 'mandate-audit-retention';
  return {
    id: uuidv7(),
    orgId,
    occurredAt: occurredAt.toISOString(),
    actor: { type: principal === null || principal.type === 'admin' ? 'system' : 'service', id, chain: [id] },
    action,
    targets: [{ type: 'audit_log', id: orgId }],
    outcome: 'success',
    context: {},
    metadata: JSON.parse(JSON.stringify(metadata)) as JsonObject,
    source: 'audit',
  };
};
