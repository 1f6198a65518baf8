import { z } from 'zod';
import { type HrisChange, type HrisChangeKind } from './hris.types';
import { decodeJsonBody, HrisPayloadError, parseWith } from './hris-payload.error';
import { normalizeDate } from './hris-dates';
import { compactProfile } from './hris-profile';

/**
 * The BambooHR fields Mandate reads, each under the names it may be posted as: the API alias (API-created
 * "permissioned" webhooks and event payloads) and the English field name (the default for webhooks set up
 * in Account Settings). A webhook can also post a field under a custom name; those are not recognised.
 */
export const BAMBOOHR_FIELDS = {
  firstName: ['firstName', 'First Name'],
  lastName: ['lastName', 'Last Name'],
  displayName: ['displayName'],
  workEmail: ['workEmail', 'Work Email'],
  department: ['department', 'Department'],
  division: ['division', 'Division'],
  jobTitle: ['jobTitle', 'Job Title'],
  location: ['location', 'Location'],
  employeeNumber: ['employeeNumber', 'Employee #'],
  // Read as the supervisor's BambooHR id (`supervisor` is a name); sources disagree on `supervisorId` vs
  // `supervisorEId`, see docs/hris-webhooks.md.
  supervisorEId: ['supervisorEId'],
  costCenter: ['costCenter', 'Cost Center'],
  status: ['status', 'Status'],
  employmentStatus: ['employmentHistoryStatus', 'employmentStatus', 'Employment Status'],
  employmentStatusDate: ['employmentStatusDate', 'Employment Status: Date'],
  terminationDate: ['terminationDate', 'Termination Date'],
  terminationReason: ['terminationReason', 'Termination Reason'],
  hireDate: ['hireDate', 'Hire Date'],
} as const satisfies Record<string, readonly string[]>;

type BambooField = keyof typeof BAMBOOHR_FIELDS;

const id = z.union([z.string().min(1).max(255), z.number().int().nonnegative()]).transform(String);
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
// Posted field values are plain; some integrations see `{ "value": … }`, which is read the same way.
const fieldValue = z.union([scalar, z.looseObject({ value: scalar.optional() })]);

const fieldBasedEmployee = z.looseObject({
  id,
  action: z.enum(['Created', 'Updated', 'Deleted']),
  timestamp: z.string().optional(),
  changedFields: z.array(z.string()).optional(),
  // An empty `fields` may arrive as `[]` (a PHP empty array), e.g. on Created and Deleted.
  fields: z
    .preprocess(
      (value) => (Array.isArray(value) && value.length === 0 ? {} : value),
      z.record(z.string(), fieldValue),
    )
    .optional(),
});

const fieldBasedPayload = z.looseObject({ employees: z.array(fieldBasedEmployee).max(1000) });

const eventBasedPayload = z.looseObject({
  type: z.string().min(1),
  timestamp: z.string().optional(),
  data: z.looseObject({
    companyId: id.optional(),
    employeeId: id,
    changedFields: z.array(z.string()).optional(),
  }),
});

type FieldBasedEmployee = z.output<typeof fieldBasedEmployee>;

const textOf = (value: z.output<typeof fieldValue> | undefined): string | undefined => {
  const plain = value !== null && typeof value === 'object' ? value.value : value;
  if (plain === null || plain === undefined) return undefined;
  const text = String(plain).trim();
  return text === '' ? undefined : text;
};

// BambooHR writes an unset date as 0000-00-00.
const dateOf = (value: string | undefined): string | undefined =>
  value === undefined || /^0000-00-00/.test(value) ? undefined : normalizeDate(value);

const fieldReader = (employee: FieldBasedEmployee) => {
  const fields = employee.fields ?? {};
  const changed = new Set((employee.changedFields ?? []).map((name) => name.trim()));
  return {
    get: (field: BambooField): string | undefined => {
      for (const name of BAMBOOHR_FIELDS[field]) {
        const value = textOf(fields[name]);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    changed: (field: BambooField): boolean => BAMBOOHR_FIELDS[field].some((name) => changed.has(name)),
  };
};

type Lifecycle = {
  readonly kind: HrisChangeKind;
  readonly effectiveDate: string | null;
  readonly reason?: string;
};

/**
 * What an `Updated` entry means for the worker's lifecycle, judged only from the fields it carries (a
 * webhook does not say what a value was before). Checked in this order:
 *  1. `Status` changed to Inactive → termination; to Active → rehire (BambooHR reactivates on rehire).
 *  2. `Termination Date` changed to a date → termination, effective on that date (possibly in the future).
 *  3. `Employment Status` changed: "Terminated" → termination; a status naming a leave → leave of absence;
 *     any other status → return from leave (the domain treats it as "no longer on leave", a no-op otherwise).
 *  4. Anything else → update.
 */
const updatedLifecycle = (fields: ReturnType<typeof fieldReader>): Lifecycle => {
  const terminationDate = dateOf(fields.get('terminationDate')) ?? null;
  const statusDate = dateOf(fields.get('employmentStatusDate')) ?? null;
  const reason = fields.get('terminationReason');
  const termination = (effectiveDate: string | null): Lifecycle => ({
    kind: 'termination',
    effectiveDate,
    ...(reason === undefined ? {} : { reason }),
  });

  const status = fields.get('status')?.toLowerCase();
  if (fields.changed('status') && status === 'inactive') return termination(terminationDate);
  if (fields.changed('status') && status === 'active') {
    return { kind: 'rehire', effectiveDate: dateOf(fields.get('hireDate')) ?? null };
  }
  if (fields.changed('terminationDate') && terminationDate !== null) return termination(terminationDate);

  const employmentStatus = fields.get('employmentStatus');
  if (fields.changed('employmentStatus') && employmentStatus !== undefined) {
    if (/^terminated$/i.test(employmentStatus)) return termination(terminationDate ?? statusDate);
    if (/\bleave\b/i.test(employmentStatus)) return { kind: 'leave_of_absence', effectiveDate: statusDate };
    return { kind: 'return_from_leave', effectiveDate: statusDate };
  }
  return { kind: 'update', effectiveDate: null };
};

const lifecycleOf = (employee: FieldBasedEmployee, fields: ReturnType<typeof fieldReader>): Lifecycle => {
  switch (employee.action) {
    case 'Created':
      return { kind: 'hire', effectiveDate: dateOf(fields.get('hireDate')) ?? null };
    case 'Deleted':
      return { kind: 'termination', effectiveDate: null, reason: 'bamboohr_employee_deleted' };
    case 'Updated':
      return updatedLifecycle(fields);
  }
};

const fromFieldBased = (employee: FieldBasedEmployee): HrisChange => {
  const fields = fieldReader(employee);
  return {
    ...lifecycleOf(employee, fields),
    employeeId: employee.id,
    sourceEventId: null,
    sourceUpdatedAt: employee.timestamp === undefined ? null : (normalizeDate(employee.timestamp) ?? null),
    profile: compactProfile({
      email: fields.get('workEmail'),
      userName: undefined,
      givenName: fields.get('firstName'),
      familyName: fields.get('lastName'),
      displayName: fields.get('displayName'),
      department: fields.get('department'),
      title: fields.get('jobTitle'),
      managerEmployeeId: fields.get('supervisorEId'),
      employeeNumber: fields.get('employeeNumber'),
      costCenter: fields.get('costCenter'),
      division: fields.get('division'),
      location: fields.get('location'),
    }),
  };
};

// Event-based webhooks carry no field values: the change is a prompt to read the employee from the API.
const EVENT_TYPES: Readonly<Record<string, Lifecycle>> = {
  'employee.created': { kind: 'hire', effectiveDate: null },
  'employee.updated': { kind: 'update', effectiveDate: null },
  'employee.deleted': { kind: 'termination', effectiveDate: null, reason: 'bamboohr_employee_deleted' },
};

const fromEventBased = (event: z.output<typeof eventBasedPayload>): HrisChange[] => {
  const lifecycle = EVENT_TYPES[event.type];
  // Event types Mandate does not use (BambooHR adds them over time) are acknowledged and ignored.
  if (lifecycle === undefined) return [];
  return [
    {
      ...lifecycle,
      employeeId: event.data.employeeId,
      sourceEventId: null,
      sourceUpdatedAt: event.timestamp === undefined ? null : (normalizeDate(event.timestamp) ?? null),
      profile: {},
    },
  ];
};

/** Maps a BambooHR webhook body, in either the field-based (`employees[]`) or the event-based format. */
export const parseBambooHrPayload = (body: unknown): HrisChange[] => {
  const decoded = decodeJsonBody('bamboohr', body);
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new HrisPayloadError('bamboohr', ['body: expected a JSON object']);
  }
  if ('employees' in decoded) {
    return parseWith('bamboohr', fieldBasedPayload, decoded).employees.map(fromFieldBased);
  }
  return fromEventBased(parseWith('bamboohr', eventBasedPayload, decoded));
};
