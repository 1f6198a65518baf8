/**
 * The part of OCSF 1.3.0 the audit export uses: seven classes, their activities, and the attributes
 * each requires. `missingOcsfAttributes` checks an event against this table.
 */
export const OCSF_VERSION = '1.3.0';

export type OcsfClassUid = 3001 | 3002 | 3003 | 3004 | 3005 | 3006 | 6003;

export interface OcsfClass {
  readonly uid: OcsfClassUid;
  readonly name: string;
  readonly categoryUid: 3 | 6;
  readonly categoryName: string;
  /** The class's activities, by `activity_id`; every class also has 0 Unknown and 99 Other. */
  readonly activities: Readonly<Record<number, string>>;
  /** Attributes the class requires besides the base event's, as dotted paths. */
  readonly required: readonly string[];
  /** Groups of attributes of which the class requires at least one. */
  readonly atLeastOne: readonly (readonly string[])[];
}

const IAM = { categoryUid: 3, categoryName: 'Identity & Access Management' } as const;

export const OCSF_CLASSES: Readonly<Record<OcsfClassUid, OcsfClass>> = {
  3001: {
    uid: 3001,
    name: 'Account Change',
    ...IAM,
    activities: {
      1: 'Create',
      2: 'Enable',
      3: 'Password Change',
      4: 'Password Reset',
      5: 'Disable',
      6: 'Delete',
      7: 'Attach Policy',
      8: 'Detach Policy',
      9: 'Lock',
      10: 'MFA Factor Enable',
      11: 'MFA Factor Disable',
    },
    required: ['user'],
    atLeastOne: [],
  },
  3002: {
    uid: 3002,
    name: 'Authentication',
    ...IAM,
    activities: {
      1: 'Logon',
      2: 'Logoff',
      3: 'Authentication Ticket',
      4: 'Service Ticket Request',
      5: 'Service Ticket Renew',
      6: 'Preauth',
    },
    required: ['user'],
    atLeastOne: [['service', 'dst_endpoint']],
  },
  3003: {
    uid: 3003,
    name: 'Authorize Session',
    ...IAM,
    activities: { 1: 'Assign Privileges', 2: 'Assign Groups' },
    required: ['user'],
    atLeastOne: [['privileges', 'group']],
  },
  3004: {
    uid: 3004,
    name: 'Entity Management',
    ...IAM,
    activities: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete' },
    required: ['entity'],
    atLeastOne: [],
  },
  3005: {
    uid: 3005,
    name: 'User Access Management',
    ...IAM,
    activities: { 1: 'Assign Privileges', 2: 'Revoke Privileges' },
    required: ['user', 'privileges'],
    atLeastOne: [],
  },
  3006: {
    uid: 3006,
    name: 'Group Management',
    ...IAM,
    activities: {
      1: 'Assign Privileges',
      2: 'Revoke Privileges',
      3: 'Add User',
      4: 'Remove User',
      5: 'Delete',
      6: 'Create',
    },
    required: ['group'],
    atLeastOne: [['privileges', 'user']],
  },
  6003: {
    uid: 6003,
    name: 'API Activity',
    categoryUid: 6,
    categoryName: 'Application Activity',
    activities: { 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete' },
    required: ['actor', 'api', 'api.operation', 'src_endpoint'],
    atLeastOne: [],
  },
};

/** What every event of every class requires. */
export const OCSF_BASE_REQUIRED = [
  'activity_id',
  'category_uid',
  'class_uid',
  'metadata',
  'metadata.version',
  'metadata.product',
  'metadata.product.vendor_name',
  'severity_id',
  'time',
  'type_uid',
] as const;

/** Objects that must carry at least one of some attributes, wherever they appear. */
const OBJECT_CONSTRAINTS: readonly (readonly [string, readonly string[]])[] = [
  ['actor', ['process', 'user', 'invoked_by', 'session', 'app_name', 'app_uid']],
  ['actor.user', ['account', 'name', 'uid']],
  ['user', ['account', 'name', 'uid']],
  ['entity', ['name', 'uid']],
  ['group', ['name', 'uid']],
  [
    'src_endpoint',
    ['ip', 'uid', 'name', 'hostname', 'svc_name', 'instance_uid', 'interface_uid', 'interface_name'],
  ],
];

export const OCSF_UNKNOWN_ACTIVITY = 0;
export const OCSF_OTHER_ACTIVITY = 99;

const valueAt = (event: Readonly<Record<string, unknown>>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined,
      event,
    );

const present = (value: unknown): boolean =>
  value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);

/**
 * What an event lacks to be a valid event of its class: missing required attributes (as dotted
 * paths), unmet "at least one of" constraints, and inconsistent classification. Empty when valid.
 */
export const missingOcsfAttributes = (event: Readonly<Record<string, unknown>>): string[] => {
  const problems: string[] = [];
  const definition = OCSF_CLASSES[event['class_uid'] as OcsfClassUid] as OcsfClass | undefined;
  if (!definition) return [`class_uid ${String(event['class_uid'])} is not one of the mapped classes`];
  for (const path of [...OCSF_BASE_REQUIRED, ...definition.required])
    if (!present(valueAt(event, path))) problems.push(path);
  for (const group of definition.atLeastOne)
    if (!group.some((path) => present(valueAt(event, path)))) problems.push(`one of ${group.join(' | ')}`);
  for (const [object, group] of OBJECT_CONSTRAINTS) {
    const value = valueAt(event, object);
    if (present(value) && !group.some((key) => present(valueAt(event, `${object}.${key}`))))
      problems.push(`${object}: one of ${group.join(' | ')}`);
  }
  const activityId = event['activity_id'];
  if (
    typeof activityId !== 'number' ||
    !(
      activityId in definition.activities ||
      activityId === OCSF_UNKNOWN_ACTIVITY ||
      activityId === OCSF_OTHER_ACTIVITY
    )
  )
    problems.push(`activity_id ${String(activityId)} is not an activity of ${definition.name}`);
  if (event['category_uid'] !== definition.categoryUid)
    problems.push('category_uid does not match the class');
  if (typeof activityId === 'number' && event['type_uid'] !== definition.uid * 100 + activityId)
    problems.push('type_uid is not class_uid * 100 + activity_id');
  if (valueAt(event, 'metadata.version') !== OCSF_VERSION)
    problems.push(`metadata.version is not ${OCSF_VERSION}`);
  if (!Number.isSafeInteger(event['time'])) problems.push('time is not an integer of milliseconds');
  return problems;
};
