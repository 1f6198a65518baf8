import { type AuditRecord } from '../record/audit-record';
import { agentId, orgId, userId } from './identity-events';

/** An application's record of an agent approving an invoice for a human; override what a test is about. */
export const approvedInvoice = (overrides: Partial<AuditRecord> = {}): AuditRecord => ({
  id: 'rec_1',
  orgId,
  sequence: 7,
  occurredAt: '2026-03-02T09:00:00.000Z',
  actor: { type: 'agent', id: agentId, chain: [userId, agentId], onBehalfOf: userId, clientId: 'cli_1' },
  action: 'invoice.approved',
  targets: [{ type: 'invoice', id: 'INV-1', name: 'March rent' }],
  outcome: 'success',
  context: { correlationId: 'c-1', mandateId: 'mdt_1', grantId: 'grt_1' },
  metadata: { amount: 120 },
  source: 'application',
  ...overrides,
});
