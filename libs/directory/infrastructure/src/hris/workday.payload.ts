import { z } from 'zod';
import { type HrisChange, type HrisChangeKind } from './hris.types';
import { decodeJsonBody, parseWith } from './hris-payload.error';
import { isoDateOrDateTime, isoDateTime } from './hris-dates';
import { compactProfile } from './hris-profile';

/**
 * Workday has no signed webhook of its own: the customer's integration (Studio, an EIB, or a business
 * process "Integration" step) posts this Mandate-defined shape, named after Workday's business processes
 * and worker fields, signed like the generic format. Documented in docs/hris-webhooks.md.
 */
export const WORKDAY_BUSINESS_PROCESSES = {
  Hire: 'hire',
  'Change Job': 'update',
  'Change Organization Assignments': 'update',
  'Change Business Title': 'update',
  'Change Legal Name': 'update',
  'Change Preferred Name': 'update',
  'Change Work Contact Information': 'update',
  'Leave of Absence': 'leave_of_absence',
  'Return from Leave': 'return_from_leave',
  Termination: 'termination',
} as const satisfies Record<string, HrisChangeKind>;

type WorkdayBusinessProcess = keyof typeof WORKDAY_BUSINESS_PROCESSES;

const text = z.string().max(1024);
const reference = z.string().min(1).max(255);

const workdayWorker = z.strictObject({
  Worker_ID: reference,
  Employee_ID: text.optional(),
  User_Name: text.optional(),
  Email_Address: z.email().max(320).optional(),
  Legal_First_Name: text.optional(),
  Legal_Last_Name: text.optional(),
  Preferred_Name: text.optional(),
  Business_Title: text.optional(),
  Supervisory_Organization: text.optional(),
  Manager_Worker_ID: reference.optional(),
  Cost_Center: text.optional(),
  Division: text.optional(),
  Location: text.optional(),
});

const workdayEvent = z.strictObject({
  Event_ID: reference,
  Business_Process_Type: z.enum(
    Object.keys(WORKDAY_BUSINESS_PROCESSES) as [WorkdayBusinessProcess, ...WorkdayBusinessProcess[]],
  ),
  Is_Rehire: z.boolean().optional(),
  Effective_Date: isoDateOrDateTime,
  Completed_On: isoDateTime.optional(),
  Reason: text.optional(),
  Worker: workdayWorker,
});

export const workdayPayload = z.strictObject({
  Business_Process_Events: z.array(workdayEvent).min(1).max(1000),
});

const kindOf = (event: z.output<typeof workdayEvent>): HrisChangeKind =>
  event.Business_Process_Type === 'Hire' && event.Is_Rehire === true
    ? 'rehire'
    : WORKDAY_BUSINESS_PROCESSES[event.Business_Process_Type];

export const parseWorkdayPayload = (body: unknown): HrisChange[] =>
  parseWith('workday', workdayPayload, decodeJsonBody('workday', body)).Business_Process_Events.map(
    (event): HrisChange => {
      const worker = event.Worker;
      return {
        kind: kindOf(event),
        employeeId: worker.Worker_ID,
        effectiveDate: event.Effective_Date,
        sourceEventId: event.Event_ID,
        sourceUpdatedAt: event.Completed_On ?? null,
        profile: compactProfile({
          email: worker.Email_Address,
          userName: worker.User_Name,
          givenName: worker.Legal_First_Name,
          familyName: worker.Legal_Last_Name,
          displayName: worker.Preferred_Name,
          department: worker.Supervisory_Organization,
          title: worker.Business_Title,
          managerEmployeeId: worker.Manager_Worker_ID,
          employeeNumber: worker.Employee_ID,
          costCenter: worker.Cost_Center,
          division: worker.Division,
          location: worker.Location,
        }),
        ...(event.Reason === undefined ? {} : { reason: event.Reason }),
      };
    },
  );
