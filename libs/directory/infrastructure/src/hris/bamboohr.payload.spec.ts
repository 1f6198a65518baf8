import { parseBambooHrPayload } from './bamboohr.payload';
import { HrisPayloadError } from './hris-payload.error';

const entry = (overrides: Record<string, unknown>) => ({
  id: '123',
  action: 'Updated',
  timestamp: '2026-01-31T18:42:00+0000',
  changedFields: [],
  fields: {},
  ...overrides,
});

const parse = (...employees: Record<string, unknown>[]) =>
  parseBambooHrPayload(Buffer.from(JSON.stringify({ employees })));

describe('BambooHR payload (field-based)', () => {
  it('maps Created to a hire starting on the hire date, with the posted fields', () => {
    const [change] = parse(
      entry({
        id: 1042,
        action: 'Created',
        changedFields: [],
        fields: {
          'First Name': 'Charlotte',
          'Last Name': 'Abbott',
          'Work Email': 'cabbott@example.com',
          'Job Title': 'Sr. HR Administrator',
          Department: 'Human Resources',
          Division: 'North America',
          Location: 'Lindon, Utah',
          'Employee #': '1',
          'Hire Date': '2026-02-16',
          supervisorEId: '40',
        },
      }),
    );
    expect(change).toEqual({
      kind: 'hire',
      employeeId: '1042',
      effectiveDate: '2026-02-16',
      sourceEventId: null,
      sourceUpdatedAt: '2026-01-31T18:42:00.000Z',
      profile: {
        email: 'cabbott@example.com',
        givenName: 'Charlotte',
        familyName: 'Abbott',
        department: 'Human Resources',
        title: 'Sr. HR Administrator',
        managerEmployeeId: '40',
        employeeNumber: '1',
        division: 'North America',
        location: 'Lindon, Utah',
      },
    });
  });

  it('maps a job change (department, title, supervisor) to an update, reading API aliases too', () => {
    const [change] = parse(
      entry({
        changedFields: ['department', 'jobTitle', 'supervisorEId'],
        fields: {
          department: 'Product',
          jobTitle: { value: 'Product Manager' },
          supervisorEId: 7,
          firstName: 'Ashley',
        },
      }),
    );
    expect(change).toMatchObject({
      kind: 'update',
      effectiveDate: null,
      profile: {
        department: 'Product',
        title: 'Product Manager',
        managerEmployeeId: '7',
        givenName: 'Ashley',
      },
    });
  });

  it('maps an Employment Status of leave to a leave of absence, and back to return from leave', () => {
    const [leave, back] = parse(
      entry({
        changedFields: ['Employment Status'],
        fields: { 'Employment Status': 'Leave of Absence', 'Employment Status: Date': '2026-03-01' },
      }),
      entry({
        changedFields: ['Employment Status'],
        fields: { 'Employment Status': 'Full-Time', 'Employment Status: Date': '2026-06-01' },
      }),
    );
    expect(leave).toMatchObject({ kind: 'leave_of_absence', effectiveDate: '2026-03-01' });
    expect(back).toMatchObject({ kind: 'return_from_leave', effectiveDate: '2026-06-01' });
  });

  it('maps a future termination date to a termination effective on that date, with its reason', () => {
    const [change] = parse(
      entry({
        changedFields: ['Termination Date', 'Employment Status'],
        fields: {
          'Employment Status': 'Full-Time',
          'Termination Date': '2026-12-31',
          'Termination Reason': 'Resignation',
        },
      }),
    );
    expect(change).toMatchObject({ kind: 'termination', effectiveDate: '2026-12-31', reason: 'Resignation' });
  });

  it('maps Employment Status Terminated, and Status Inactive, to a termination', () => {
    const [terminated, inactive] = parse(
      entry({
        changedFields: ['employmentHistoryStatus'],
        fields: { employmentHistoryStatus: 'Terminated', employmentStatusDate: '2026-02-27' },
      }),
      entry({ changedFields: ['Status'], fields: { Status: 'Inactive', 'Termination Date': '0000-00-00' } }),
    );
    expect(terminated).toMatchObject({ kind: 'termination', effectiveDate: '2026-02-27' });
    expect(inactive).toMatchObject({ kind: 'termination', effectiveDate: null });
  });

  it('maps Status back to Active to a rehire on the new hire date', () => {
    const [change] = parse(
      entry({
        changedFields: ['Status', 'Hire Date'],
        fields: { Status: 'Active', 'Hire Date': '2027-01-04' },
      }),
    );
    expect(change).toMatchObject({ kind: 'rehire', effectiveDate: '2027-01-04' });
  });

  it('reads a status value only when that field is among the changed ones', () => {
    const [change] = parse(
      entry({ changedFields: ['Job Title'], fields: { Status: 'Inactive', 'Job Title': 'Engineer' } }),
    );
    expect(change).toMatchObject({ kind: 'update', profile: { title: 'Engineer' } });
  });

  it('maps Deleted to a termination with a reason that says so', () => {
    expect(parse(entry({ action: 'Deleted' }))[0]).toMatchObject({
      kind: 'termination',
      effectiveDate: null,
      reason: 'bamboohr_employee_deleted',
      profile: {},
    });
  });

  it('reads an empty field list sent as [] on Created and Deleted', () => {
    expect(
      parse(entry({ action: 'Created', fields: [] }), entry({ action: 'Deleted', fields: [] })),
    ).toMatchObject([
      { kind: 'hire', effectiveDate: null, profile: {} },
      { kind: 'termination', profile: {} },
    ]);
  });

  it('maps every employee of a batched delivery', () => {
    expect(parse(entry({ id: '1' }), entry({ id: '2', action: 'Created' })).map((c) => c.employeeId)).toEqual(
      ['1', '2'],
    );
  });

  it.each([
    ['an entry without id', { employees: [entry({ id: undefined })] }, 'employees.0.id'],
    ['an unknown action', { employees: [entry({ action: 'Moved' })] }, 'employees.0.action'],
    [
      'changedFields that is not a list',
      { employees: [entry({ changedFields: 'Job Title' })] },
      'employees.0.changedFields',
    ],
    ['employees that is not a list', { employees: {} }, 'employees'],
    ['an event without data.employeeId', { type: 'employee.updated', data: {} }, 'data.employeeId'],
  ])('rejects %s, naming the field', (_, body, path) => {
    let error: unknown;
    try {
      parseBambooHrPayload(body);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HrisPayloadError);
    expect((error as HrisPayloadError).code).toBe('HRIS_PAYLOAD_INVALID');
    expect((error as HrisPayloadError).issues.some((issue) => issue.startsWith(`${path}:`))).toBe(true);
  });

  it('rejects a body that is not a JSON object', () => {
    expect(() => parseBambooHrPayload('[]')).toThrow(HrisPayloadError);
    expect(() => parseBambooHrPayload('type=employee.updated')).toThrow(/not valid JSON/);
  });
});

describe('BambooHR payload (event-based)', () => {
  const event = (type: string) => ({
    type,
    timestamp: '2026-01-31T18:42:00+0000',
    data: { companyId: '12345', employeeId: '67890', changedFields: ['firstName'] },
  });

  it('maps created, updated and deleted, with no field values (the API is read for them)', () => {
    expect(parseBambooHrPayload(event('employee.created'))).toEqual([
      {
        kind: 'hire',
        employeeId: '67890',
        effectiveDate: null,
        sourceEventId: null,
        sourceUpdatedAt: '2026-01-31T18:42:00.000Z',
        profile: {},
      },
    ]);
    expect(parseBambooHrPayload(event('employee.updated'))[0]).toMatchObject({ kind: 'update', profile: {} });
    expect(parseBambooHrPayload(event('employee.deleted'))[0]).toMatchObject({
      kind: 'termination',
      reason: 'bamboohr_employee_deleted',
    });
  });

  it('ignores event types it does not use', () => {
    expect(parseBambooHrPayload(event('employee_with_fields.updated'))).toEqual([]);
  });
});
