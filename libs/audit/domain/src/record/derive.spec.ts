import * as contracts from '@mandate/contracts';
import {
  GrantIssuedV1,
  GrantRevokedV1,
  MandateRevokedV1,
  TuplesWrittenV1,
  UserDeactivatedV1,
  validateIntegrationEvent,
} from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import {
  agentId,
  clientId,
  correlationId,
  directoryId,
  grantId,
  mandateId,
  oneEventOfEachType,
  orgId,
  recorded,
  scimActor,
  subAgentId,
  systemActor,
  t0,
  userId,
} from '../testing/identity-events';
import { MAX_METADATA_BYTES, metadataBytes, validateAuditRecord } from './audit-record';
import { actionOf, AUDITED_EVENT_TYPES, auditRecordFor } from './derive';

/** The `type` of every integration event definition `@mandate/contracts` exports, for the three identity contexts. */
const identityEventTypes: string[] = Object.values(contracts)
  .filter((value) => typeof value === 'object' && value !== null && 'dataSchemaUri' in value && 'is' in value)
  .map((definition) => (definition as { type: string }).type)
  .filter((type) => /^(directory|authn|authz)\./.test(type));
const fixtures = oneEventOfEachType();
const derive = (event: RecordedEvent) => {
  const record = auditRecordFor(event);
  if (!record) throw new Error(`no record for ${event.type}`);
  return record;
};

describe('audit records derived from identity events', () => {
  it('knows every integration event type of directory, authn and authz, and the fixtures hold one of each', () => {
    const defined = [...identityEventTypes].sort();
    expect(defined.length).toBeGreaterThanOrEqual(54);
    expect([...AUDITED_EVENT_TYPES].sort()).toEqual(defined);
    expect(fixtures.map((event) => event.type).sort()).toEqual(defined);
  });

  it.each(fixtures.map((event) => [event.type, event] as const))(
    'given a valid %s, when derived, then it is a well-formed record of the event',
    (_type, event) => {
      expect(validateIntegrationEvent(event.type, event.schemaVersion, event.data).status).toBe('valid');
      const record = derive(event);
      expect(validateAuditRecord(record)).toEqual({ ok: true, record });
      expect(record).toMatchObject({
        id: event.id,
        orgId: event.orgId,
        occurredAt: t0.toISOString(),
        action: actionOf(event.type),
        outcome: event.type === 'authn.login.failed' ? 'failure' : 'success',
        source: event.type.split('.')[0],
        context: { correlationId },
      });
      expect(record.targets.length).toBeGreaterThan(0);
    },
  );

  it('never copies secrets into a record: no secret or token hashes, sealed keys or verification tokens', () => {
    const everything = JSON.stringify(fixtures.map(derive));
    for (const secret of [
      'a'.repeat(64),
      'sealed',
      'mandate-verify=',
      'secretHash',
      'encryptedSecret',
      'publicJwk',
    ])
      expect(everything).not.toContain(secret);
  });

  it('gives null, never an exception, for types and versions it does not know', () => {
    const [sample] = fixtures;
    const unknowns: RecordedEvent[] = [
      { ...sample!, type: 'directory.user.teleported', data: null },
      { ...sample!, type: UserDeactivatedV1.type, schemaVersion: 99, data: 'not even an object' },
      { ...sample!, type: 'audit.record.appended', data: {} },
      { ...sample!, type: 'invoice.approved', data: undefined },
    ];
    for (const event of unknowns) expect(auditRecordFor(event)).toBeNull();
  });

  it('names the SCIM directory as the actor of its writes', () => {
    const record = derive(
      recorded(
        UserDeactivatedV1,
        {
          orgId,
          directoryId,
          userId,
          source: 'scim',
          reason: 'deprovisioned',
          effectiveAt: t0.toISOString(),
        },
        { actor: scimActor },
      ),
    );
    expect(record.actor).toEqual({ type: 'directory', id: directoryId, chain: [directoryId] });
    expect(record.context.authMethod).toBe('scim_token');
    expect(record.targets[0]).toEqual({ type: 'user', id: userId });
    expect(record.reason).toBe('deprovisioned');
  });

  describe("a leaver's cascade", () => {
    it('given deactivated → mandate revoked → grant revoked, then the records share the correlation id and chain by causation', () => {
      const deactivated = recorded(
        UserDeactivatedV1,
        { orgId, directoryId, userId, source: 'scim', reason: 'terminated', effectiveAt: t0.toISOString() },
        { actor: scimActor, correlationId },
      );
      const mandateRevoked = recorded(
        MandateRevokedV1,
        { orgId, mandateId, userId, agentId, reason: 'delegator_deactivated', revokedAt: t0.toISOString() },
        { actor: systemActor, correlationId, causationId: deactivated.id },
      );
      const grantRevoked = recorded(
        GrantRevokedV1,
        {
          orgId,
          grantId,
          subject: userId,
          clientId,
          actor: agentId,
          reason: 'mandate_revoked',
          revokedAt: t0.toISOString(),
          expiresAt: t0.toISOString(),
        },
        { actor: systemActor, correlationId, causationId: mandateRevoked.id },
      );

      const records = [deactivated, mandateRevoked, grantRevoked].map(derive);

      expect(records.map((record) => record.action)).toEqual([
        'user.deactivated',
        'mandate.revoked',
        'grant.revoked',
      ]);
      expect(new Set(records.map((record) => record.context.correlationId))).toEqual(
        new Set([correlationId]),
      );
      expect(records[0]!.context.causationId).toBeUndefined();
      expect(records[1]!.context.causationId).toBe(records[0]!.id);
      expect(records[2]!.context.causationId).toBe(records[1]!.id);
      expect(records[1]!.context.mandateId).toBe(mandateId);
      expect(records[2]!.context.grantId).toBe(grantId);
      expect(records.map((record) => record.reason)).toEqual([
        'terminated',
        'delegator_deactivated',
        'mandate_revoked',
      ]);
    });
  });

  describe('authn.grant.issued', () => {
    const issued = (overrides: Partial<contracts.GrantIssued['data']>) =>
      derive(
        recorded(GrantIssuedV1, {
          orgId,
          grantId,
          clientId,
          subject: userId,
          actor: null,
          actorChain: [],
          mandateId: null,
          grantType: 'authorization_code',
          scope: 'openid',
          audience: 'https://invoices.example.com',
          issuedAt: t0.toISOString(),
          expiresAt: t0.toISOString(),
          ...overrides,
        }),
      );

    it('given a delegated token, then the actor is the agent acting for the human: chain [human, agent]', () => {
      const record = issued({ actor: agentId, actorChain: [agentId], mandateId });
      expect(record.actor).toEqual({
        type: 'agent',
        id: agentId,
        chain: [userId, agentId],
        clientId,
        onBehalfOf: userId,
      });
      expect(record.context).toMatchObject({ grantId, mandateId });
    });

    it('given a sub-agent (current actor first in the data), then the chain runs human → agent → sub-agent', () => {
      const record = issued({ actor: subAgentId, actorChain: [subAgentId, agentId], mandateId });
      expect(record.actor.chain).toEqual([userId, agentId, subAgentId]);
      expect(record.actor.id).toBe(subAgentId);
    });

    it('given a token issued to a user, then the user is the actor on its own', () => {
      expect(issued({}).actor).toEqual({ type: 'user', id: userId, chain: [userId], clientId });
    });

    it('given a client-credentials token, then the client is a service actor', () => {
      expect(issued({ subject: clientId }).actor).toMatchObject({
        type: 'service',
        id: clientId,
        chain: [clientId],
      });
    });
  });

  it('keeps the metadata of a very large event within bounds, saying what it left out', () => {
    const tuples = Array.from({ length: 1000 }, (_, index) => ({
      object: `invoice:${index}`,
      relation: 'approver',
      subject: `user:${userId}`,
    }));
    const record = derive(recorded(TuplesWrittenV1, { orgId, tuples }));
    expect(metadataBytes(record.metadata)).toBeLessThanOrEqual(MAX_METADATA_BYTES);
    expect(record.metadata).toMatchObject({ count: 1000, truncated: true });
  });
});
