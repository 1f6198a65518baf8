import { type AuditRecord, type AuditTarget } from '../record/audit-record';
import { type JsonObject } from '../record/json-schema';
import { OCSF_CLASSES, OCSF_OTHER_ACTIVITY, OCSF_VERSION, type OcsfClassUid } from './ocsf-schema';

export interface OcsfUser {
  readonly uid: string;
  readonly name?: string;
  /** `User`, `System`, or (type_id 99) `Agent`, `Service`, `Directory`, `Group`. */
  readonly type: string;
  readonly type_id: number;
}

/** An OCSF 1.3.0 event of one of the seven classes the audit log maps to. */
export interface OcsfEvent {
  readonly class_uid: OcsfClassUid;
  readonly class_name: string;
  readonly category_uid: 3 | 6;
  readonly category_name: string;
  readonly activity_id: number;
  readonly activity_name: string;
  readonly type_uid: number;
  readonly type_name: string;
  readonly severity_id: number;
  readonly severity: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly status_id: 1 | 2;
  readonly status: 'Success' | 'Failure';
  readonly status_detail?: string;
  readonly message: string;
  readonly metadata: {
    readonly version: typeof OCSF_VERSION;
    readonly product: { readonly name: 'Mandate'; readonly vendor_name: 'Mandate' };
    /** The audit record's id. */
    readonly uid: string;
    readonly correlation_uid?: string;
    readonly tenant_uid: string;
  };
  readonly actor: {
    readonly user: OcsfUser;
    readonly app_uid?: string;
    readonly session?: { readonly uid: string };
  };
  readonly user?: OcsfUser;
  readonly entity?: { readonly uid: string; readonly name?: string; readonly type: string };
  readonly group?: { readonly uid: string; readonly name?: string };
  readonly privileges?: readonly string[];
  readonly session?: { readonly uid: string };
  readonly service?: { readonly name: string; readonly uid?: string };
  readonly auth_protocol?: string;
  readonly auth_protocol_id?: number;
  readonly comment?: string;
  readonly api?: { readonly operation: string; readonly service: { readonly name: string } };
  readonly resources?: readonly { readonly uid: string; readonly type: string; readonly name?: string }[];
  readonly src_endpoint?: { readonly ip?: string; readonly uid?: string };
  readonly http_request?: { readonly user_agent?: string; readonly uid?: string };
  /** What OCSF has no attribute for: the delegation chain, mandate and grant, causation, the log position. */
  readonly unmapped: JsonObject;
}

interface Classification {
  readonly classUid: OcsfClassUid;
  readonly activityId: number;
}

const account = (activityId: number): Classification => ({ classUid: 3001, activityId });
const authentication = (activityId: number): Classification => ({ classUid: 3002, activityId });
const entity = (activityId: number): Classification => ({ classUid: 3004, activityId });
const userAccess = (activityId: number): Classification => ({ classUid: 3005, activityId });
const groupManagement = (activityId: number): Classification => ({ classUid: 3006, activityId });
const [CREATE, UPDATE, DELETE] = [1, 3, 4];
const [MFA_FACTOR_ENABLE, MFA_FACTOR_DISABLE] = [10, 11];

/** The class and activity of each action derived from identity events, where they do not depend on the record. */
const IDENTITY_ACTIONS: Readonly<Record<string, Classification>> = {
  'user.provisioned': account(1),
  'user.reactivated': account(2),
  'user.deactivated': account(5),
  'user.deleted': account(6),
  'user.deactivation_scheduled': account(OCSF_OTHER_ACTIVITY),
  'user.updated': entity(UPDATE),
  'client.credentials_rotated': account(3),
  'grant.revoked': authentication(2),
  'session.revoked': authentication(2),
  'mfa.totp_enrolled': account(OCSF_OTHER_ACTIVITY),
  'mfa.totp_confirmed': account(MFA_FACTOR_ENABLE),
  'mfa.webauthn_registered': account(MFA_FACTOR_ENABLE),
  'mfa.recovery_codes_generated': account(MFA_FACTOR_ENABLE),
  'mfa.factor_removed': account(MFA_FACTOR_DISABLE),
  'mfa.factor_used': authentication(OCSF_OTHER_ACTIVITY),
  'login.succeeded': authentication(1),
  'login.failed': authentication(1),
  'identity.linked': account(OCSF_OTHER_ACTIVITY),
  'identity.provisioning_requested': account(OCSF_OTHER_ACTIVITY),
  'mfa.recovery_code_used': authentication(OCSF_OTHER_ACTIVITY),
  'group.member_added': groupManagement(3),
  'group.member_removed': groupManagement(4),
  'mandate.granted': userAccess(1),
  'mandate.resumed': userAccess(1),
  'mandate.narrowed': userAccess(2),
  'mandate.revoked': userAccess(2),
  'mandate.suspended': userAccess(2),
  'domain.added': entity(CREATE),
  'domain.verified': entity(UPDATE),
  'domain.removed': entity(DELETE),
  'directory.created': entity(CREATE),
  'directory.renamed': entity(UPDATE),
  'directory.token_issued': entity(CREATE),
  'directory.token_revoked': entity(DELETE),
  'directory.signing_secret_set': entity(UPDATE),
  'directory.attributes_declared': entity(UPDATE),
  'directory.deleted': entity(DELETE),
  'group.created': entity(CREATE),
  'group.updated': entity(UPDATE),
  'group.deleted': entity(DELETE),
  'agent.registered': entity(CREATE),
  'agent.updated': entity(UPDATE),
  'agent.suspended': entity(UPDATE),
  'agent.reactivated': entity(UPDATE),
  'agent.deleted': entity(DELETE),
  'organization.created': entity(CREATE),
  'organization.renamed': entity(UPDATE),
  'organization.deleted': entity(DELETE),
  'api_key.issued': entity(CREATE),
  'api_key.revoked': entity(DELETE),
  'signing_key.generated': entity(CREATE),
  'signing_key.retired': entity(UPDATE),
  'client.registered': entity(CREATE),
  'client.deleted': entity(DELETE),
  'connection.created': entity(CREATE),
  'connection.updated': entity(UPDATE),
  'connection.tested': entity(OCSF_OTHER_ACTIVITY),
  'connection.enabled': entity(UPDATE),
  'connection.disabled': entity(UPDATE),
  'connection.deleted': entity(DELETE),
  'role.created': entity(CREATE),
  'role.updated': entity(UPDATE),
  'role.deleted': entity(DELETE),
  'group_mapping.created': entity(CREATE),
  'group_mapping.deleted': entity(DELETE),
  'model.written': entity(UPDATE),
  'tuples.written': entity(CREATE),
  'tuples.deleted': entity(DELETE),
};

const API_VERBS: readonly (readonly [number, RegExp])[] = [
  [1, /^(created|added|registered|issued|submitted|uploaded)$/],
  [2, /^(read|viewed|listed|exported|downloaded|accessed|searched)$/],
  [3, /^(updated|changed|edited|modified|renamed|moved)$/],
  [4, /^(deleted|removed|destroyed|purged|archived)$/],
];

const verbOf = (action: string): string => action.slice(action.lastIndexOf('.') + 1);

const stringsAt = (metadata: JsonObject, key: string): string[] => {
  const value = metadata[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
};

const isGroupTarget = (target: AuditTarget | undefined): boolean => target?.type === 'group';

/** Which OCSF class and activity a record is. Application actions are API Activity; so is anything unknown. */
export const ocsfClassificationOf = (record: AuditRecord): Classification => {
  if (record.source !== 'application') {
    switch (record.action) {
      case 'grant.issued':
        // A delegated token (token exchange) authorizes an agent's session; any other is a logon.
        return record.actor.chain.length > 1 ? { classUid: 3003, activityId: 1 } : authentication(1);
      case 'role.assigned':
        return isGroupTarget(record.targets[0]) ? groupManagement(1) : userAccess(1);
      case 'role.unassigned':
        return isGroupTarget(record.targets[0]) ? groupManagement(2) : userAccess(2);
      case 'principal.permissions_changed':
        return userAccess(stringsAt(record.metadata, 'removed').length > 0 ? 2 : 1);
      default: {
        const known = IDENTITY_ACTIONS[record.action];
        if (known) return known;
      }
    }
  }
  const verb = verbOf(record.action);
  const activity = API_VERBS.find(([, pattern]) => pattern.test(verb));
  return { classUid: 6003, activityId: activity ? activity[0] : OCSF_OTHER_ACTIVITY };
};

const USER_TYPES: Readonly<Record<string, { type: string; type_id: number }>> = {
  user: { type: 'User', type_id: 1 },
  system: { type: 'System', type_id: 3 },
  agent: { type: 'Agent', type_id: 99 },
  service: { type: 'Service', type_id: 99 },
  client: { type: 'Service', type_id: 99 },
  directory: { type: 'Directory', type_id: 99 },
  group: { type: 'Group', type_id: 99 },
};
/** An actor type (`AuditActorType`) or a target type. */
const userType = (type: string) => USER_TYPES[type] ?? { type: 'Other', type_id: 99 };

const ocsfUser = (uid: string, type: string, name?: string): OcsfUser => ({
  uid,
  ...(name && { name }),
  ...userType(type),
});
const fromTarget = (target: AuditTarget): OcsfUser => ocsfUser(target.id, target.type, target.name);

const PRINCIPAL_TYPES = new Set(['user', 'agent', 'client']);
/** The principal an identity record is about: the first target that is a user, an agent or a client. */
const principalOf = (record: AuditRecord): OcsfUser => {
  const principal = record.targets.find((target) => PRINCIPAL_TYPES.has(target.type));
  return principal ? fromTarget(principal) : ocsfUser(record.actor.id, record.actor.type);
};

const scopesOf = (scope: unknown): string[] =>
  typeof scope === 'string' ? scope.split(' ').filter((one) => one !== '') : [];

const privilegesOf = (record: AuditRecord): string[] => {
  const listed =
    record.action === 'mandate.granted'
      ? stringsAt(record.metadata, 'permissions')
      : record.action === 'mandate.narrowed'
        ? stringsAt(record.metadata, 'removedPermissions')
        : record.action === 'principal.permissions_changed'
          ? [...stringsAt(record.metadata, 'removed'), ...stringsAt(record.metadata, 'permissions')]
          : record.action === 'grant.issued'
            ? scopesOf(record.metadata['scope'])
            : [];
  if (listed.length > 0) return listed;
  const marker = record.targets.find((target) => target.type === 'role' || target.type === 'mandate');
  return [marker ? `${marker.type}:${marker.id}` : record.action];
};

/** An SSO sign-in names its protocol (OCSF: 4 OpenID, 5 SAML); tokens are OAuth 2.0. */
const authProtocolOf = (record: AuditRecord): { auth_protocol: string; auth_protocol_id: number } => {
  const method = record.metadata['method'];
  if (record.action.startsWith('login.') && method === 'saml')
    return { auth_protocol: 'SAML', auth_protocol_id: 5 };
  if (record.action.startsWith('login.') && method === 'oidc')
    return { auth_protocol: 'OpenID', auth_protocol_id: 4 };
  return { auth_protocol: 'OAUTH 2.0', auth_protocol_id: 6 };
};

/** The class's own objects: who or what the activity was about. */
const primaryObjects = (record: AuditRecord, classUid: OcsfClassUid): Partial<OcsfEvent> => {
  const [first] = record.targets;
  const session = record.context.grantId ? { session: { uid: record.context.grantId } } : {};
  switch (classUid) {
    case 3001:
      return { user: principalOf(record) };
    case 3002: {
      const audience = record.metadata['audience'];
      return {
        user: principalOf(record),
        service: { name: 'Mandate', ...(typeof audience === 'string' && { uid: audience }) },
        ...authProtocolOf(record),
        ...session,
      };
    }
    case 3003:
      return { user: principalOf(record), privileges: privilegesOf(record), ...session };
    case 3004:
      return {
        entity: first
          ? { uid: first.id, type: first.type, ...(first.name && { name: first.name }) }
          : { uid: record.orgId, type: 'organization' },
        ...(record.reason && { comment: record.reason }),
      };
    case 3005:
      return { user: principalOf(record), privileges: privilegesOf(record) };
    case 3006: {
      const group = record.targets.find((target) => target.type === 'group');
      const member = record.targets.find((target) => target !== group && target.type !== 'role');
      const membership = record.action === 'group.member_added' || record.action === 'group.member_removed';
      return {
        group: group ? { uid: group.id, ...(group.name && { name: group.name }) } : { uid: record.orgId },
        ...(membership && member ? { user: fromTarget(member) } : { privileges: privilegesOf(record) }),
      };
    }
    case 6003:
      return {
        api: { operation: record.action, service: { name: 'Mandate' } },
        resources: record.targets.map((target) => ({
          uid: target.id,
          type: target.type,
          ...(target.name && { name: target.name }),
        })),
      };
  }
};

const TOKEN_REUSE = new Set(['refresh_token_reuse', 'authorization_code_reuse']);
const SEVERITIES: Readonly<Record<number, string>> = { 1: 'Informational', 3: 'Medium', 4: 'High' };

/** Failures are Medium; a grant revoked because a token was replayed (possible theft) is High. */
const severityOf = (record: AuditRecord): number =>
  record.reason !== undefined && TOKEN_REUSE.has(record.reason) ? 4 : record.outcome === 'failure' ? 3 : 1;

const describe = (record: AuditRecord): string => {
  const [first] = record.targets;
  return `${record.actor.id} ${record.action}${first ? ` ${first.type}:${first.id}` : ''}${
    record.outcome === 'failure' ? ' (failed)' : ''
  }`;
};

/** The record as an OCSF 1.3.0 event of its class (see {@link ocsfClassificationOf}). */
export const toOcsf = (record: AuditRecord): OcsfEvent => {
  const { classUid, activityId } = ocsfClassificationOf(record);
  const definition = OCSF_CLASSES[classUid];
  const caption = definition.activities[activityId];
  const activityName = caption ?? record.action;
  const severityId = severityOf(record);
  const { actor, context } = record;
  // API Activity requires a source endpoint: without the caller's address, the client it came through.
  const sourceEndpoint = context.ip
    ? { ip: context.ip }
    : classUid === 6003
      ? { uid: actor.clientId ?? actor.id }
      : undefined;
  return {
    class_uid: classUid,
    class_name: definition.name,
    category_uid: definition.categoryUid,
    category_name: definition.categoryName,
    activity_id: activityId,
    activity_name: activityName,
    type_uid: classUid * 100 + activityId,
    type_name: `${definition.name}: ${caption ?? 'Other'}`,
    severity_id: severityId,
    severity: SEVERITIES[severityId] ?? 'Unknown',
    time: Date.parse(record.occurredAt),
    status_id: record.outcome === 'success' ? 1 : 2,
    status: record.outcome === 'success' ? 'Success' : 'Failure',
    ...(record.reason && { status_detail: record.reason }),
    message: describe(record),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Mandate', vendor_name: 'Mandate' },
      uid: record.id,
      ...(context.correlationId && { correlation_uid: context.correlationId }),
      tenant_uid: record.orgId,
    },
    actor: {
      user: ocsfUser(actor.id, actor.type),
      ...(actor.clientId && { app_uid: actor.clientId }),
      ...(context.grantId && { session: { uid: context.grantId } }),
    },
    ...primaryObjects(record, classUid),
    ...(sourceEndpoint && { src_endpoint: sourceEndpoint }),
    ...((context.userAgent || context.requestId) && {
      http_request: {
        ...(context.userAgent && { user_agent: context.userAgent }),
        ...(context.requestId && { uid: context.requestId }),
      },
    }),
    unmapped: {
      action: record.action,
      source: record.source,
      actor_chain: [...actor.chain],
      ...(actor.onBehalfOf && { on_behalf_of: actor.onBehalfOf }),
      ...(record.sequence !== undefined && { sequence: record.sequence }),
      ...(context.causationId && { causation_uid: context.causationId }),
      ...(context.mandateId && { mandate_id: context.mandateId }),
      ...(context.grantId && { grant_id: context.grantId }),
      ...(context.authMethod && { auth_method: context.authMethod }),
    },
  };
};
