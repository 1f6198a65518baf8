import { z } from 'zod';

const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/;
// ISO 8601 date-time with a zone; the offset may be written `+hh:mm` or `+hhmm` (BambooHR uses the latter).
const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

const isCalendarDate = (value: string): boolean => {
  const match = dateOnly.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};

/** Parses an ISO 8601 date-time with a zone; `undefined` when it is not one. */
export const parseDateTime = (value: string): Date | undefined => {
  if (!dateTime.test(value)) return undefined;
  const date = new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(date.getTime()) ? undefined : date;
};

/**
 * Normalises a date to the shape `HrisChange` carries: a calendar date stays `YYYY-MM-DD`, a date-time
 * becomes UTC ISO 8601. `undefined` when the value is neither.
 */
export const normalizeDate = (value: string): string | undefined => {
  if (isCalendarDate(value)) return value;
  return parseDateTime(value)?.toISOString();
};

/** A required `YYYY-MM-DD` or zoned date-time, normalised. */
export const isoDateOrDateTime = z.string().transform((value, ctx) => {
  const normalized = normalizeDate(value);
  if (normalized === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected an ISO 8601 date (YYYY-MM-DD) or a date-time with a zone',
    });
    return z.NEVER;
  }
  return normalized;
});

/** A required zoned date-time, normalised to UTC ISO 8601. */
export const isoDateTime = z.string().transform((value, ctx) => {
  const date = parseDateTime(value);
  if (date === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 date-time with a zone' });
    return z.NEVER;
  }
  return date.toISOString();
});
