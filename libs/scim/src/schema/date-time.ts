const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):(\d{2}))$/i;

/**
 * Microseconds since the epoch for an xsd:dateTime with an explicit offset (`Z` or `±hh:mm`);
 * undefined for anything else. An offset is required so that comparisons never depend on a time zone
 * setting; microseconds match PostgreSQL's timestamptz precision (finer digits are rounded).
 */
export const parseDateTime = (text: string): number | undefined => {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone, sign, offsetHours, offsetMinutes] = match;
  const numbers = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = numbers;
  const epochMs = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(epochMs);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi
  ) {
    return undefined;
  }
  let offsetMinutesTotal = 0;
  if (zone?.toUpperCase() !== 'Z') {
    const oh = Number(offsetHours);
    const om = Number(offsetMinutes);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutesTotal = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const micros = fraction ? Math.round(Number(`0.${fraction}`) * 1_000_000) : 0;
  return (epochMs - offsetMinutesTotal * 60_000) * 1000 + micros;
};

export const isDateTime = (text: string): boolean => parseDateTime(text) !== undefined;
