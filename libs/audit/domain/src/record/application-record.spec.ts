import {
  agentId,
  clientId,
  grantId,
  mandateId,
  orgId,
  subAgentId,
  t0,
  userId,
} from '../testing/identity-events';
import {
  type AccessTokenClaims,
  actorFromClaims,
  applicationRecord,
  type ApplicationEventSubmission,
  type ApplicationRecordResult,
} from './application-record';
import { type AuditRecord } from './audit-record';
import { type JsonSchema } from './json-schema';

const delegatedClaims: AccessTokenClaims = {
  sub: userId,
  org_id: orgId,
  client_id: clientId,
  act: { sub: agentId },
  mandate_id: mandateId,
  grant_id: grantId,
};
const submission = (
  body: unknown,
  overrides: Partial<ApplicationEventSubmission> = {},
): ApplicationEventSubmission => ({
  recordId: 'rec_01',
  receivedAt: t0,
  body,
  ...overrides,
});
const approval = {
  action: 'invoice.approved',
  targets: [{ type: 'invoice', id: 'INV-1' }],
  metadata: { invoiceId: 'INV-1', amount: 120, currency: 'EUR' },
};
const accepted = (result: ApplicationRecordResult): AuditRecord => {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
  return result.record;
};

describe('records of actions applications report', () => {
  describe('the actor comes from the token', () => {
    it('given a delegated token, then the agent acts for the human: chain [human, agent], with client, mandate and grant', () => {
      const record = accepted(applicationRecord(submission(approval), delegatedClaims));
      expect(record).toMatchObject({
        id: 'rec_01',
        orgId,
        occurredAt: t0.toISOString(),
        action: 'invoice.approved',
        outcome: 'success',
        source: 'application',
        actor: { type: 'agent', id: agentId, chain: [userId, agentId], clientId, onBehalfOf: userId },
        context: { mandateId, grantId, authMethod: 'delegated_token' },
        metadata: approval.metadata,
      });
    });

    it('given nested act claims (current actor outermost), then the chain runs human → agent → sub-agent', () =>
      expect(
        actorFromClaims({ ...delegatedClaims, act: { sub: subAgentId, act: { sub: agentId } } }),
      ).toEqual({
        type: 'agent',
        id: subAgentId,
        chain: [userId, agentId, subAgentId],
        clientId,
        onBehalfOf: userId,
      }));

    it("given a user's own token, then the user is the actor", () =>
      expect(actorFromClaims({ sub: userId, org_id: orgId, client_id: clientId })).toEqual({
        type: 'user',
        id: userId,
        chain: [userId],
        clientId,
      }));

    it('given a client-credentials token, then the client is a service actor', () =>
      expect(actorFromClaims({ sub: clientId, org_id: orgId, client_id: clientId }).type).toBe('service'));

    it('given a body naming another actor, then the token actor stays and the claim is recorded as a mismatch', () => {
      const record = accepted(
        applicationRecord(
          submission({ ...approval, actor: { type: 'user', id: 'usr_ceo' } }),
          delegatedClaims,
        ),
      );
      expect(record.actor.id).toBe(agentId);
      expect(record.actor.chain).toEqual([userId, agentId]);
      expect(record.metadata).toMatchObject({
        claimedActor: { type: 'user', id: 'usr_ceo' },
        actorMismatch: true,
      });
    });

    it('given a body naming the token actor itself, then nothing is flagged', () => {
      const record = accepted(
        applicationRecord(submission({ ...approval, actor: { id: agentId } }), delegatedClaims),
      );
      expect(record.metadata).toEqual(approval.metadata);
    });

    it('never takes the organization from the body', () =>
      expect(
        applicationRecord(submission({ ...approval, orgId: 'org_other' }), delegatedClaims),
      ).toMatchObject({
        ok: false,
        violation: { path: '/orgId' },
      }));

    it('refuses a body that sets the reserved mismatch fields itself', () =>
      expect(
        applicationRecord(submission({ ...approval, metadata: { actorMismatch: false } }), delegatedClaims),
      ).toEqual({
        ok: false,
        code: 'AUDIT_EVENT_INVALID',
        violation: { path: '/metadata/actorMismatch', message: 'is reserved for the audit log' },
      }));
  });

  describe('context and time', () => {
    it("prefers the body's context (the end user's) to the ingest request's, and keeps the reported time", () => {
      const record = accepted(
        applicationRecord(
          submission(
            {
              ...approval,
              occurredAt: '2026-03-02T10:00:00+01:00',
              context: { ip: '203.0.113.9', correlationId: 'trace-1' },
            },
            { request: { ip: '10.0.0.1', userAgent: 'invoices/1.0', requestId: 'req-1' } },
          ),
          delegatedClaims,
        ),
      );
      expect(record.occurredAt).toBe('2026-03-02T09:00:00.000Z');
      expect(record.context).toMatchObject({
        ip: '203.0.113.9',
        userAgent: 'invoices/1.0',
        requestId: 'req-1',
        correlationId: 'trace-1',
      });
    });

    it('records a failure with its reason', () =>
      expect(
        accepted(
          applicationRecord(
            submission({ ...approval, outcome: 'failure', reason: 'over limit' }),
            delegatedClaims,
          ),
        ),
      ).toMatchObject({ outcome: 'failure', reason: 'over limit' }));
  });

  describe('validation (a refusal is a 422 naming the path)', () => {
    it.each([
      ['no action', { targets: [] }, '/action'],
      ['an action that is not dotted', { action: 'approve' }, '/action'],
      ['a target without type', { action: 'invoice.approved', targets: [{ id: 'x' }] }, '/targets/0/type'],
      ['metadata that is not an object', { action: 'invoice.approved', metadata: [1] }, '/metadata'],
      [
        'a context field that belongs to the token',
        { action: 'invoice.approved', context: { mandateId: 'x' } },
        '/context/mandateId',
      ],
      [
        'an impossible time',
        { action: 'invoice.approved', occurredAt: '2026-02-31T25:00:00Z' },
        '/occurredAt',
      ],
    ])('refuses %s', (_case, body, path) =>
      expect(applicationRecord(submission(body), delegatedClaims)).toMatchObject({
        ok: false,
        code: 'AUDIT_EVENT_INVALID',
        violation: { path },
      }),
    );

    const schemas: Record<string, JsonSchema> = {
      'invoice.approved': {
        type: 'object',
        required: ['metadata'],
        properties: {
          metadata: {
            type: 'object',
            required: ['amount'],
            properties: { amount: { type: 'number', maximum: 1000 }, currency: { enum: ['EUR', 'USD'] } },
          },
        },
      },
    };
    const schemaFor = (action: string) => schemas[action];

    it("given the organization's schema for the action, then the body is checked against it", () => {
      expect(applicationRecord(submission(approval), delegatedClaims, schemaFor).ok).toBe(true);
      expect(
        applicationRecord(
          submission({ ...approval, metadata: { amount: 5000 } }),
          delegatedClaims,
          schemaFor,
        ),
      ).toEqual({
        ok: false,
        code: 'AUDIT_ACTION_SCHEMA_VIOLATION',
        violation: { path: '/metadata/amount', message: 'must be ≤ 1000' },
      });
      expect(
        applicationRecord(submission({ action: 'invoice.approved' }), delegatedClaims, schemaFor),
      ).toMatchObject({ violation: { path: '/metadata' } });
    });

    it('lets actions without a schema through', () =>
      expect(applicationRecord(submission({ action: 'invoice.viewed' }), delegatedClaims, schemaFor).ok).toBe(
        true,
      ));
  });
});
