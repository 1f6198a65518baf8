import { z } from 'zod';
import { type HrisChange, type HrisChangeKind } from './hris.types';
import { decodeJsonBody, parseWith } from './hris-payload.error';
import { isoDateOrDateTime, isoDateTime } from './hris-dates';
import { compactProfile } from './hris-profile';

/** Mandate's own event types and the lifecycle change each one is. */
export const GENERIC_EVENT_TYPES = {
  'worker.hired': 'hire',
  'worker.updated': 'update',
  'worker.leave_started': 'leave_of_absence',
  'worker.leave_ended': 'return_from_leave',
  'worker.terminated': 'termination',
  'worker.rehired': 'rehire',
} as const satisfies Record<string, HrisChangeKind>;

type GenericEventType = keyof typeof GENERIC_EVENT_TYPES;

const text = z.string().max(1024);
const identifier = z.string().min(1).max(255);

const genericWorker = z.strictObject({
  id: identifier,
  email: z.email().max(320).optional(),
  userName: text.optional(),
  givenName: text.optional(),
  familyName: text.optional(),
  displayName: text.optional(),
  department: text.optional(),
  title: text.optional(),
  managerId: identifier.optional(),
  employeeNumber: text.optional(),
  costCenter: text.optional(),
  division: text.optional(),
  location: text.optional(),
});

const genericEvent = z.strictObject({
  id: identifier,
  type: z.enum(Object.keys(GENERIC_EVENT_TYPES) as [GenericEventType, ...GenericEventType[]]),
  occurredAt: isoDateTime,
  effectiveDate: isoDateOrDateTime.nullable().optional(),
  reason: text.optional(),
  worker: genericWorker,
});

/** The generic (Mandate) HRIS webhook body; documented in docs/hris-webhooks.md. */
export const genericPayload = z.strictObject({ events: z.array(genericEvent).min(1).max(1000) });

export const parseGenericPayload = (body: unknown): HrisChange[] =>
  parseWith('generic', genericPayload, decodeJsonBody('generic', body)).events.map(
    ({ worker, ...event }): HrisChange => ({
      kind: GENERIC_EVENT_TYPES[event.type],
      employeeId: worker.id,
      effectiveDate: event.effectiveDate ?? null,
      sourceEventId: event.id,
      sourceUpdatedAt: event.occurredAt,
      profile: compactProfile({
        email: worker.email,
        userName: worker.userName,
        givenName: worker.givenName,
        familyName: worker.familyName,
        displayName: worker.displayName,
        department: worker.department,
        title: worker.title,
        managerEmployeeId: worker.managerId,
        employeeNumber: worker.employeeNumber,
        costCenter: worker.costCenter,
        division: worker.division,
        location: worker.location,
      }),
      ...(event.reason === undefined ? {} : { reason: event.reason }),
    }),
  );
