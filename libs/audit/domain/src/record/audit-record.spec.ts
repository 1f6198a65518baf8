import { approvedInvoice } from '../testing/audit-records';
import { agentId, userId } from '../testing/identity-events';
import { MAX_METADATA_BYTES, validateAuditRecord } from './audit-record';

const violationOf = (value: unknown) => {
  const result = validateAuditRecord(value);
  return result.ok ? null : result.violation;
};

describe('validating an audit record', () => {
  it('accepts a well-formed record, with or without its sequence', () => {
    expect(violationOf(approvedInvoice())).toBeNull();
    const { sequence: _sequence, ...beforeAppend } = approvedInvoice();
    expect(violationOf(beforeAppend)).toBeNull();
  });

  it.each([
    ['an action that is not dotted', { action: 'approve' }, '/action'],
    ['an upper-case action', { action: 'Invoice.Approved' }, '/action'],
    ['an instant without milliseconds', { occurredAt: '2026-03-02T09:00:00Z' }, '/occurredAt'],
    ['an impossible instant', { occurredAt: '2026-13-45T09:00:00.000Z' }, '/occurredAt'],
    ['a day the month does not have', { occurredAt: '2026-02-31T09:00:00.000Z' }, '/occurredAt'],
    ['a negative sequence', { sequence: -1 }, '/sequence'],
    ['an unknown source', { source: 'kafka' }, '/source'],
    ['an unknown outcome', { outcome: 'partial' }, '/outcome'],
    ['a target without id', { targets: [{ type: 'invoice' }] }, '/targets/0/id'],
    ['an unknown context field', { context: { sessionToken: 'x' } }, '/context/sessionToken'],
    ['an orgId of the wrong shape', { orgId: 'acme' }, '/orgId'],
  ])('refuses %s', (_case, overrides, path) =>
    expect(violationOf({ ...approvedInvoice(), ...overrides })?.path).toBe(path),
  );

  it('requires the chain to end with the actor, and to start with whom it acts for', () => {
    const actor = approvedInvoice().actor;
    expect(violationOf(approvedInvoice({ actor: { ...actor, chain: [agentId, userId] } }))?.path).toBe(
      '/actor/chain',
    );
    expect(violationOf(approvedInvoice({ actor: { ...actor, chain: [] } }))?.path).toBe('/actor/chain');
    expect(violationOf(approvedInvoice({ actor: { ...actor, onBehalfOf: 'usr_other' } }))?.path).toBe(
      '/actor/onBehalfOf',
    );
  });

  it('bounds the metadata', () =>
    expect(violationOf(approvedInvoice({ metadata: { blob: 'x'.repeat(MAX_METADATA_BYTES) } }))).toEqual({
      path: '/metadata',
      message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON`,
    }));
});
