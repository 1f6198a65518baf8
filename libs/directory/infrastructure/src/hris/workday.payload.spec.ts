import { HrisPayloadError } from './hris-payload.error';
import { parseWorkdayPayload } from './workday.payload';

const worker = {
  Worker_ID: '21003',
  Employee_ID: 'E-21003',
  User_Name: 'lmcneil',
  Email_Address: 'logan.mcneil@example.com',
  Legal_First_Name: 'Logan',
  Legal_Last_Name: 'McNeil',
  Preferred_Name: 'Logan McNeil',
  Business_Title: 'Vice President, Human Resources',
  Supervisory_Organization: 'Human Resources',
  Manager_Worker_ID: '21001',
  Cost_Center: '41600 Human Resources',
  Location: 'San Francisco',
};

const event = (overrides: Record<string, unknown>) => ({
  Event_ID: 'HIRE-000123',
  Business_Process_Type: 'Hire',
  Effective_Date: '2026-04-01',
  Completed_On: '2026-03-10T17:04:11-07:00',
  Worker: worker,
  ...overrides,
});

const parse = (...events: Record<string, unknown>[]) =>
  parseWorkdayPayload(Buffer.from(JSON.stringify({ Business_Process_Events: events })));

describe('Workday payload', () => {
  it('maps a Hire with its effective date and the worker fields', () => {
    expect(parse(event({}))).toEqual([
      {
        kind: 'hire',
        employeeId: '21003',
        effectiveDate: '2026-04-01',
        sourceEventId: 'HIRE-000123',
        sourceUpdatedAt: '2026-03-11T00:04:11.000Z',
        profile: {
          email: 'logan.mcneil@example.com',
          userName: 'lmcneil',
          givenName: 'Logan',
          familyName: 'McNeil',
          displayName: 'Logan McNeil',
          department: 'Human Resources',
          title: 'Vice President, Human Resources',
          managerEmployeeId: '21001',
          employeeNumber: 'E-21003',
          costCenter: '41600 Human Resources',
          location: 'San Francisco',
        },
      },
    ]);
  });

  it('maps Change Job to an update carrying only the fields sent', () => {
    const [change] = parse(
      event({
        Event_ID: 'CJ-1',
        Business_Process_Type: 'Change Job',
        Worker: { Worker_ID: '21003', Business_Title: 'Chief People Officer', Manager_Worker_ID: '20000' },
      }),
    );
    expect(change).toMatchObject({
      kind: 'update',
      profile: { title: 'Chief People Officer', managerEmployeeId: '20000' },
    });
    expect(Object.keys(change!.profile)).toEqual(['title', 'managerEmployeeId']);
  });

  it('maps leave, return, a future-dated termination and a rehire', () => {
    const changes = parse(
      event({
        Event_ID: 'LOA-1',
        Business_Process_Type: 'Leave of Absence',
        Effective_Date: '2026-05-04',
        Reason: 'Parental Leave',
      }),
      event({ Event_ID: 'RFL-1', Business_Process_Type: 'Return from Leave', Effective_Date: '2026-08-03' }),
      event({
        Event_ID: 'TERM-1',
        Business_Process_Type: 'Termination',
        Effective_Date: '2026-12-31',
        Reason: 'Resignation',
      }),
      event({
        Event_ID: 'HIRE-2',
        Business_Process_Type: 'Hire',
        Is_Rehire: true,
        Effective_Date: '2027-02-01',
      }),
    );
    expect(
      changes.map(({ kind, effectiveDate, sourceEventId, reason }) => ({
        kind,
        effectiveDate,
        sourceEventId,
        reason,
      })),
    ).toEqual([
      {
        kind: 'leave_of_absence',
        effectiveDate: '2026-05-04',
        sourceEventId: 'LOA-1',
        reason: 'Parental Leave',
      },
      { kind: 'return_from_leave', effectiveDate: '2026-08-03', sourceEventId: 'RFL-1', reason: undefined },
      { kind: 'termination', effectiveDate: '2026-12-31', sourceEventId: 'TERM-1', reason: 'Resignation' },
      { kind: 'rehire', effectiveDate: '2027-02-01', sourceEventId: 'HIRE-2', reason: undefined },
    ]);
  });

  it.each([
    [
      'a business process it does not know',
      event({ Business_Process_Type: 'Promote Employee' }),
      'Business_Process_Events.0.Business_Process_Type',
    ],
    [
      'a missing Effective_Date',
      event({ Effective_Date: undefined }),
      'Business_Process_Events.0.Effective_Date',
    ],
    [
      'a worker without Worker_ID',
      event({ Worker: { Email_Address: 'x@example.com' } }),
      'Business_Process_Events.0.Worker.Worker_ID',
    ],
    [
      'a field Workday does not send',
      event({ Worker: { ...worker, Worker_Id: '1' } }),
      'Business_Process_Events.0.Worker',
    ],
  ])('rejects %s, naming the field', (_, bad, path) => {
    let error: unknown;
    try {
      parse(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HrisPayloadError);
    expect((error as HrisPayloadError).code).toBe('HRIS_PAYLOAD_INVALID');
    expect((error as HrisPayloadError).issues.some((issue) => issue.startsWith(`${path}:`))).toBe(true);
  });
});
