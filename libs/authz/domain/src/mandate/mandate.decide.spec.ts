import { type MandateEvent } from '@mandate/contracts';
import { deciderSpecification } from '@mandate/kernel';
import { type GrantMandate, type MandateCommand, mandateDecider } from './mandate.decide';

const given = deciderSpecification(mandateDecider);
const key = {
  orgId: 'org_01k00000000000000000000000',
  mandateId: 'mdt_01k00000000000000000000000',
  userId: 'usr_01k00000000000000000000001',
  agentId: 'agt_01k00000000000000000000001',
};
const t1 = new Date('2026-11-02T09:00:00.000Z');
const later = new Date('2026-11-09T09:00:00.000Z');
const command = <C extends MandateCommand>(type: C['type'], data: C['data']) =>
  ({ type, data, now: t1 }) as C;

const grant = (overrides: Partial<GrantMandate['data']> = {}) =>
  command<GrantMandate>('GrantMandate', {
    ...key,
    permissions: ['invoices:approve', 'invoices:read'],
    resources: ['project:42'],
    expiresAt: later,
    reason: 'Approve small invoices while I am away',
    grantedBy: 'user:usr_01k00000000000000000000001',
    delegatorActive: true,
    agentActive: true,
    heldPermissions: ['invoices:*'],
    ...overrides,
  });
const granted = (): MandateEvent => ({
  type: 'authz.mandate.granted',
  data: {
    ...key,
    permissions: ['invoices:approve', 'invoices:read'],
    resources: ['project:42'],
    expiresAt: later.toISOString(),
    reason: 'Approve small invoices while I am away',
    grantedBy: 'user:usr_01k00000000000000000000001',
    grantedAt: t1.toISOString(),
  },
});

describe('mandate', () => {
  it('is granted within what the human holds now', () => given([]).when(grant()).then([granted()]));

  it('never grants more than the human holds, naming what is missing', () =>
    given([])
      .when(grant({ heldPermissions: ['invoices:read'] }))
      .thenThrows(
        (error) =>
          (error as { code?: string }).code === 'AUTHZ_MANDATE_EXCEEDS_DELEGATOR' &&
          JSON.stringify((error as { details?: unknown }).details) ===
            JSON.stringify({ missing: ['invoices:approve'] }),
      ));

  it('needs an active human, an active agent, a reason and a future expiry', () => {
    given([])
      .when(grant({ delegatorActive: false }))
      .thenThrows('AUTHZ_DELEGATOR_INACTIVE');
    given([])
      .when(grant({ agentActive: false }))
      .thenThrows('AUTHZ_AGENT_INACTIVE');
    given([])
      .when(grant({ reason: ' ' }))
      .thenThrows('AUTHZ_MANDATE_REASON_REQUIRED');
    given([])
      .when(grant({ expiresAt: new Date('2026-11-01T00:00:00Z') }))
      .thenThrows('AUTHZ_MANDATE_EXPIRY_INVALID');
    given([])
      .when(grant({ resources: ['not a resource'] }))
      .thenThrows('AUTHZ_MANDATE_RESOURCE_INVALID');
  });

  it('narrows to what the human still holds, and is revoked when nothing is left', () => {
    given([granted()])
      .when(command('NarrowMandate', { stillHeld: ['invoices:read'] }))
      .then([
        {
          type: 'authz.mandate.narrowed',
          data: {
            ...key,
            removedPermissions: ['invoices:approve'],
            permissions: ['invoices:read'],
            narrowedAt: t1.toISOString(),
          },
        },
      ]);
    given([granted()])
      .when(command('NarrowMandate', { stillHeld: ['invoices:approve', 'invoices:read'] }))
      .thenNothingHappened();
    given([granted()])
      .when(command('NarrowMandate', { stillHeld: [] }))
      .then([
        {
          type: 'authz.mandate.narrowed',
          data: {
            ...key,
            removedPermissions: ['invoices:approve', 'invoices:read'],
            permissions: [],
            narrowedAt: t1.toISOString(),
          },
        },
        {
          type: 'authz.mandate.revoked',
          data: { ...key, reason: 'nothing_left', revokedAt: t1.toISOString() },
        },
      ]);
  });

  it('is revoked once, and suspended and resumed with its agent', () => {
    const revoked: MandateEvent = {
      type: 'authz.mandate.revoked',
      data: { ...key, reason: 'delegator_deactivated', revokedAt: t1.toISOString() },
    };
    given([granted()])
      .when(command('RevokeMandate', { reason: 'delegator_deactivated' }))
      .then([revoked]);
    given([granted(), revoked])
      .when(command('RevokeMandate', { reason: 'revoked' }))
      .thenNothingHappened();
    given([granted(), revoked]).when(command('ResumeMandate', {})).thenNothingHappened();
    const suspended: MandateEvent = {
      type: 'authz.mandate.suspended',
      data: { ...key, reason: 'agent_suspended', suspendedAt: t1.toISOString() },
    };
    given([granted()])
      .when(command('SuspendMandate', { reason: 'agent_suspended' }))
      .then([suspended]);
    given([granted(), suspended])
      .when(command('ResumeMandate', {}))
      .then([{ type: 'authz.mandate.resumed', data: { ...key, resumedAt: t1.toISOString() } }]);
  });
});
