/** Runtime representations: timestamps and durations are integer milliseconds; IP addresses are parsed. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: 4 | 6;
  readonly prefix: number;
  readonly network: bigint;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

const daysInMonth = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/** Parses an RFC 3339 timestamp (`2024-05-01T09:30:00Z`, `…+02:00`) to epoch milliseconds. */
export const parseTimestamp = (text: string): number | undefined => {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = match[7] ? Math.trunc(Number(`0${match[7]}`) * 1000) : 0;
  const zone = match[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMinutes * 60_000;
};

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** Parses a Go-style duration (`1h30m`, `90s`, `250ms`, `-15m`) to milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-')) {
    sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '') return undefined;
  if (rest === '0') return 0;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < rest.length) {
    const match = DURATION_PART.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  const ms = Math.round(sign * total);
  return Number.isSafeInteger(ms) ? ms : undefined;
};

const parseIpv4 = (text: string): bigint | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
};

const parseIpv6 = (input: string): bigint | undefined => {
  let text = input;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): bigint[] | undefined => {
    if (part === '') return [];
    const out: bigint[] = [];
    for (const piece of part.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
      out.push(BigInt(`0x${piece}`));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  let all: bigint[];
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    all = [...head, ...new Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    all = head;
  }
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
};

/** Parses an IPv4 or IPv6 address; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is read as IPv4. */
export const parseIp = (text: string): IpAddress | undefined => {
  if (text.length > 64) return undefined;
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : { family: 4, value: v4 };
  }
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
};

export const parseCidr = (text: string): Cidr | undefined => {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  const mapped = address.family === 4 && text.slice(0, slash).includes(':');
  if (mapped) prefix -= 96;
  const bits = address.family === 4 ? 32 : 128;
  if (prefix < 0 || prefix > bits) return undefined;
  const shift = BigInt(bits - prefix);
  return { family: address.family, prefix, network: (address.value >> shift) << shift };
};

export const ipInCidr = (ip: IpAddress, cidr: Cidr): boolean => {
  if (ip.family !== cidr.family) return false;
  const shift = BigInt((ip.family === 4 ? 32 : 128) - cidr.prefix);
  return (ip.value >> shift) << shift === cidr.network;
};

export const ipEquals = (a: IpAddress, b: IpAddress): boolean => a.family === b.family && a.value === b.value;
