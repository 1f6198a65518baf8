import { type AuditRecord } from '../record/audit-record';
import { auditRecordFor } from '../record/derive';
import { approvedInvoice } from '../testing/audit-records';
import { agentId, grantId, mandateId, oneEventOfEachType, userId } from '../testing/identity-events';
import { missingOcsfAttributes, OCSF_VERSION } from './ocsf-schema';
import { toOcsf } from './to-ocsf';

const derivedRecords = oneEventOfEachType().map((event) => auditRecordFor(event)!);
const applicationRecords: AuditRecord[] = [
  approvedInvoice(),
  approvedInvoice({
    action: 'invoice.created',
    context: { ip: '203.0.113.9', userAgent: 'ua', requestId: 'r-1' },
  }),
  approvedInvoice({ action: 'invoice.exported', outcome: 'failure', reason: 'forbidden', targets: [] }),
  approvedInvoice({
    action: 'invoice.deleted',
    actor: { type: 'service', id: 'cli_batch', chain: ['cli_batch'] },
  }),
];

/** What each identity event becomes in OCSF: [event type, class_uid, activity_id]. */
const EXPECTED: readonly (readonly [string, number, number])[] = [
  ['directory.domain.added', 3004, 1],
  ['directory.domain.verified', 3004, 3],
  ['directory.domain.removed', 3004, 4],
  ['directory.directory.created', 3004, 1],
  ['directory.directory.renamed', 3004, 3],
  ['directory.directory.token_issued', 3004, 1],
  ['directory.directory.token_revoked', 3004, 4],
  ['directory.directory.signing_secret_set', 3004, 3],
  ['directory.directory.attributes_declared', 3004, 3],
  ['directory.directory.deleted', 3004, 4],
  ['directory.user.provisioned', 3001, 1],
  ['directory.user.updated', 3004, 3],
  ['directory.user.deactivated', 3001, 5],
  ['directory.user.deactivation_scheduled', 3001, 99],
  ['directory.user.reactivated', 3001, 2],
  ['directory.user.deleted', 3001, 6],
  ['directory.group.created', 3004, 1],
  ['directory.group.updated', 3004, 3],
  ['directory.group.deleted', 3004, 4],
  ['directory.group.member_added', 3006, 3],
  ['directory.group.member_removed', 3006, 4],
  ['directory.agent.registered', 3004, 1],
  ['directory.agent.updated', 3004, 3],
  ['directory.agent.suspended', 3004, 3],
  ['directory.agent.reactivated', 3004, 3],
  ['directory.agent.deleted', 3004, 4],
  ['directory.organization.created', 3004, 1],
  ['directory.organization.renamed', 3004, 3],
  ['directory.organization.deleted', 3004, 4],
  ['directory.api_key.issued', 3004, 1],
  ['directory.api_key.revoked', 3004, 4],
  ['authn.signing_key.generated', 3004, 1],
  ['authn.signing_key.retired', 3004, 3],
  ['authn.client.registered', 3004, 1],
  ['authn.client.credentials_rotated', 3001, 3],
  ['authn.client.deleted', 3004, 4],
  ['authn.connection.created', 3004, 1],
  ['authn.connection.updated', 3004, 3],
  ['authn.connection.tested', 3004, 99],
  ['authn.connection.enabled', 3004, 3],
  ['authn.connection.disabled', 3004, 3],
  ['authn.connection.deleted', 3004, 4],
  ['authn.grant.issued', 3003, 1],
  ['authn.grant.revoked', 3002, 2],
  ['authn.session.revoked', 3002, 2],
  ['authn.mfa.totp_enrolled', 3001, 99],
  ['authn.mfa.totp_confirmed', 3001, 10],
  ['authn.mfa.webauthn_registered', 3001, 10],
  ['authn.mfa.recovery_codes_generated', 3001, 10],
  ['authn.mfa.recovery_code_used', 3002, 99],
  ['authn.mfa.factor_used', 3002, 99],
  ['authn.mfa.factor_removed', 3001, 11],
  ['authn.identity.provisioning_requested', 3001, 99],
  ['authn.identity.linked', 3001, 99],
  ['authn.login.succeeded', 3002, 1],
  ['authn.login.failed', 3002, 1],
  ['authz.role.created', 3004, 1],
  ['authz.role.updated', 3004, 3],
  ['authz.role.deleted', 3004, 4],
  ['authz.role.assigned', 3005, 1],
  ['authz.role.unassigned', 3006, 2],
  ['authz.group_mapping.created', 3004, 1],
  ['authz.group_mapping.deleted', 3004, 4],
  ['authz.model.written', 3004, 3],
  ['authz.tuples.written', 3004, 1],
  ['authz.tuples.deleted', 3004, 4],
  ['authz.mandate.granted', 3005, 1],
  ['authz.mandate.narrowed', 3005, 2],
  ['authz.mandate.revoked', 3005, 2],
  ['authz.mandate.suspended', 3005, 2],
  ['authz.mandate.resumed', 3005, 1],
  ['authz.principal.permissions_changed', 3005, 2],
];

describe('OCSF 1.3.0 events', () => {
  it.each([...derivedRecords, ...applicationRecords].map((record) => [record.action, record] as const))(
    'OCSF-1: the record of %s maps to an event with every attribute its class requires',
    (_action, record) => {
      const event = toOcsf(record);
      expect(missingOcsfAttributes(event as unknown as Record<string, unknown>)).toEqual([]);
      expect(event.type_uid).toBe(event.class_uid * 100 + event.activity_id);
      expect(event.metadata).toMatchObject({
        version: OCSF_VERSION,
        product: { name: 'Mandate', vendor_name: 'Mandate' },
        uid: record.id,
      });
      expect(event.time).toBe(Date.parse(record.occurredAt));
    },
  );

  it('maps every identity event type to its class and activity', () => {
    const mapped = oneEventOfEachType().map((event) => {
      const ocsf = toOcsf(auditRecordFor(event)!);
      return [event.type, ocsf.class_uid, ocsf.activity_id] as const;
    });
    expect(mapped).toEqual(EXPECTED);
  });

  it('an SSO sign-in is an Authentication logon naming its protocol; a refused one fails with its reason', () => {
    const [succeeded, failed] = ['authn.login.succeeded', 'authn.login.failed'].map((type) =>
      toOcsf(auditRecordFor(oneEventOfEachType().find((event) => event.type === type)!)!),
    );
    expect(succeeded).toMatchObject({
      class_uid: 3002,
      status: 'Success',
      auth_protocol: 'SAML',
      auth_protocol_id: 5,
      user: { uid: userId, type: 'User' },
      src_endpoint: { ip: '203.0.113.7' },
      http_request: { user_agent: 'Mozilla/5.0', uid: 'req-1' },
    });
    expect(failed).toMatchObject({
      class_uid: 3002,
      status: 'Failure',
      status_detail: 'oidc_state_mismatch',
      severity: 'Medium',
      auth_protocol: 'OpenID',
      auth_protocol_id: 4,
    });
  });

  it('the checker catches what is missing', () => {
    const event = toOcsf(derivedRecords[0]!) as unknown as Record<string, unknown>;
    const { entity: _entity, ...withoutEntity } = event;
    expect(missingOcsfAttributes(withoutEntity)).toEqual(['entity']);
    expect(missingOcsfAttributes({ ...event, type_uid: 1 })).toEqual([
      'type_uid is not class_uid * 100 + activity_id',
    ]);
    expect(missingOcsfAttributes({ ...event, metadata: { version: '1.0.0' } })).toEqual([
      'metadata.product',
      'metadata.product.vendor_name',
      'metadata.version is not 1.3.0',
    ]);
  });

  describe('an agent approving an invoice under a mandate (API Activity)', () => {
    const event = toOcsf(approvedInvoice({ sequence: 7 }));

    it('names the agent as actor, through its client, and keeps the chain, mandate and grant', () => {
      expect(event).toMatchObject({
        class_uid: 6003,
        activity_id: 99,
        activity_name: 'invoice.approved',
        type_uid: 600399,
        category_uid: 6,
        status_id: 1,
        severity_id: 1,
        actor: {
          user: { uid: agentId, type: 'Agent', type_id: 99 },
          app_uid: 'cli_1',
          session: { uid: 'grt_1' },
        },
        api: { operation: 'invoice.approved' },
        resources: [{ uid: 'INV-1', type: 'invoice', name: 'March rent' }],
        src_endpoint: { uid: 'cli_1' },
      });
      expect(event.unmapped).toMatchObject({
        actor_chain: [userId, agentId],
        on_behalf_of: userId,
        mandate_id: 'mdt_1',
        grant_id: 'grt_1',
        sequence: 7,
      });
    });
  });

  it('a delegated token issued becomes Authorize Session for the human, with the scopes as privileges', () => {
    const issued = derivedRecords.find((record) => record.action === 'grant.issued')!;
    expect(toOcsf(issued)).toMatchObject({
      class_uid: 3003,
      user: { uid: userId, type: 'User', type_id: 1 },
      actor: { user: { uid: agentId, type: 'Agent' } },
      privileges: ['invoices:approve'],
      session: { uid: grantId },
      unmapped: { mandate_id: mandateId, actor_chain: [userId, agentId] },
    });
  });

  it('a token issued to a user on their own is an Authentication logon', () => {
    const issued = derivedRecords.find((record) => record.action === 'grant.issued')!;
    const own = toOcsf({ ...issued, actor: { type: 'user', id: userId, chain: [userId] } });
    expect(own).toMatchObject({ class_uid: 3002, activity_id: 1, type_uid: 300201, user: { uid: userId } });
  });

  it('a grant revoked for token replay is of high severity; a failure is medium', () => {
    const revoked = derivedRecords.find((record) => record.action === 'grant.revoked')!;
    expect(toOcsf({ ...revoked, reason: 'refresh_token_reuse' }).severity_id).toBe(4);
    expect(toOcsf(approvedInvoice({ outcome: 'failure', reason: 'denied' }))).toMatchObject({
      severity_id: 3,
      status_id: 2,
      status: 'Failure',
      status_detail: 'denied',
    });
  });
});
