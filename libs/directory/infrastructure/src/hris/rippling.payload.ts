import { z } from 'zod';
import { type HrisChange, type HrisChangeKind } from './hris.types';
import { bodyText, HrisPayloadError, parseWith } from './hris-payload.error';

/**
 * Rippling partner webhook events about a worker, and the change each is. Every event is thin — the body
 * holds `event_name`, `company_id`, `company_primary_email` and the resource `id` — so each change is a
 * prompt to read the worker from the Rippling API; `profile` is always empty.
 */
export const RIPPLING_EMPLOYEE_EVENTS = {
  // Provisioned to the app by the customer's access rules: the event Rippling recommends for user management.
  'employee.created': { kind: 'hire' },
  'employee.hired': { kind: 'hire' },
  'employee.updated': { kind: 'update' },
  'employee.terminated': { kind: 'termination' },
  // Access removed from the app: termination, an access-rule change, or removal by an admin.
  'employee.deleted': { kind: 'termination', reason: 'rippling_access_removed' },
} as const satisfies Record<string, { kind: HrisChangeKind; reason?: string }>;

type RipplingEmployeeEvent = keyof typeof RIPPLING_EMPLOYEE_EVENTS;

const isEmployeeEvent = (name: string): name is RipplingEmployeeEvent =>
  Object.hasOwn(RIPPLING_EMPLOYEE_EVENTS, name);

const ripplingEvent = z.looseObject({
  event_name: z.string().min(1).max(255),
  company_id: z.string().max(255).optional(),
  id: z.string().max(255).optional(),
});

const employeeEvent = ripplingEvent.extend({ id: z.string().min(1).max(255) });

// Rippling posts `application/x-www-form-urlencoded`; a JSON body (or already-decoded fields) is read too.
const decodeRipplingBody = (body: unknown): unknown => {
  const text = bodyText(body);
  if (text === undefined) return body;
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HrisPayloadError('rippling', ['body: not valid JSON']);
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
};

export const parseRipplingPayload = (body: unknown): HrisChange[] => {
  const decoded = decodeRipplingBody(body);
  const { event_name: eventName } = parseWith('rippling', ripplingEvent, decoded);
  // Group, company, leave-request and other events say nothing about a worker's lifecycle by themselves.
  if (!isEmployeeEvent(eventName)) return [];
  const event = parseWith('rippling', employeeEvent, decoded);
  return [
    {
      ...RIPPLING_EMPLOYEE_EVENTS[eventName],
      employeeId: event.id,
      effectiveDate: null,
      sourceEventId: null,
      sourceUpdatedAt: null,
      profile: {},
    },
  ];
};
