import { type AuditRecord, type JsonObject } from '@mandate/audit-domain';
import { uuidv7 } from '@mandate/eventstore';
import { type Principal, principalId } from '@mandate/platform';

/** The record of someone reading, exporting or reconfiguring the audit log: the log audits itself. */
export const auditOfAuditing = (
  orgId: string,
  principal: Principal,
  action: 'audit_log.read' | 'audit_log.exported',
  metadata: Record<string, unknown>,
): AuditRecord => {
  const id = principalId(principal);
  return {
    id: uuidv7(),
    orgId,
    occurredAt: new Date().toISOString(),
    actor: { type: principal.type === 'admin' ? 'system' : 'service', id, chain: [id] },
    action,
    targets: [{ type: 'audit_log', id: orgId }],
    outcome: 'success',
    context: {},
    metadata: JSON.parse(JSON.stringify(metadata)) as JsonObject,
    source: 'audit',
  };
};
