import { type UserProfile } from '@mandate/contracts';

export const CORE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

type Document = Record<string, unknown>;

const text = (value: unknown, max = 256): string | null =>
  typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;

const objectAt = (doc: Document, key: string): Document => {
  const value = doc[key];
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Document) : {};
};

/** The primary value of a multi-valued attribute (`emails`), else its first. */
const primaryValue = (values: unknown): string | null => {
  if (!Array.isArray(values)) return null;
  const list = values.filter((v): v is Document => typeof v === 'object' && v !== null);
  const chosen = list.find((v) => v['primary'] === true) ?? list.find((v) => v['type'] === 'work') ?? list[0];
  return text(chosen?.['value'], 320);
};

/** The profile downstream services act on, read off a SCIM User document (canonical attribute names). */
export const profileOf = (doc: Document): UserProfile => {
  const name = objectAt(doc, 'name');
  const enterprise = objectAt(doc, ENTERPRISE_USER_SCHEMA);
  return {
    email: primaryValue(doc['emails']),
    givenName: text(name['givenName']),
    familyName: text(name['familyName']),
    displayName: text(doc['displayName']) ?? text(name['formatted']),
    title: text(doc['title']),
    department: text(enterprise['department']),
    division: text(enterprise['division']),
    organization: text(enterprise['organization']),
    costCenter: text(enterprise['costCenter']),
    employeeNumber: text(enterprise['employeeNumber']),
    managerExternalId: text(objectAt(enterprise, 'manager')['value']),
  };
};

/** What an HRIS record says about a worker; absent fields are left as they are. */
export interface WorkerFields {
  readonly email?: string;
  readonly userName?: string;
  readonly givenName?: string;
  readonly familyName?: string;
  readonly displayName?: string;
  readonly title?: string;
  readonly department?: string;
  readonly division?: string;
  readonly costCenter?: string;
  readonly employeeNumber?: string;
  readonly managerEmployeeId?: string;
}

/** The fields an HRIS owns when it feeds a SCIM directory's users: employment, not identity. */
const EMPLOYMENT_FIELDS = [
  'title',
  'department',
  'division',
  'costCenter',
  'employeeNumber',
  'managerEmployeeId',
] as const;

/**
 * Writes HRIS fields into a SCIM User document. `scope: 'employment'` (an HRIS feeding a SCIM
 * directory) touches only employment fields; identity stays the IdP's.
 */
export const withWorkerFields = (
  doc: Document,
  fields: WorkerFields,
  scope: 'all' | 'employment',
): Document => {
  const allowed = (key: keyof WorkerFields) =>
    fields[key] !== undefined && (scope === 'all' || (EMPLOYMENT_FIELDS as readonly string[]).includes(key));
  const next: Document = { ...doc };
  const schemas = new Set(Array.isArray(doc['schemas']) ? (doc['schemas'] as string[]) : [CORE_USER_SCHEMA]);
  if (allowed('userName')) next['userName'] = fields.userName;
  if (allowed('displayName')) next['displayName'] = fields.displayName;
  if (allowed('title')) next['title'] = fields.title;
  if (allowed('givenName') || allowed('familyName')) {
    next['name'] = {
      ...objectAt(doc, 'name'),
      ...(allowed('givenName') && { givenName: fields.givenName }),
      ...(allowed('familyName') && { familyName: fields.familyName }),
    };
  }
  if (allowed('email')) {
    const others = (Array.isArray(doc['emails']) ? (doc['emails'] as Document[]) : []).filter(
      (email) => email['type'] !== 'work',
    );
    next['emails'] = [
      { value: fields.email, type: 'work', primary: true },
      ...others.map((e) => ({ ...e, primary: false })),
    ];
  }
  const enterprise: Document = { ...objectAt(doc, ENTERPRISE_USER_SCHEMA) };
  let enterpriseChanged = false;
  for (const key of ['department', 'division', 'costCenter', 'employeeNumber'] as const) {
    if (allowed(key)) {
      enterprise[key] = fields[key];
      enterpriseChanged = true;
    }
  }
  if (allowed('managerEmployeeId')) {
    enterprise['manager'] = { value: fields.managerEmployeeId };
    enterpriseChanged = true;
  }
  if (enterpriseChanged) {
    next[ENTERPRISE_USER_SCHEMA] = enterprise;
    schemas.add(ENTERPRISE_USER_SCHEMA);
  }
  next['schemas'] = [...schemas];
  return next;
};
