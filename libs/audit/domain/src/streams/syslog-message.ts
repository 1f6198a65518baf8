import { isRedactedStub, type StreamedRecord, streamedJson } from './streamed-record';

/** The facilities of RFC 5424 §6.2.1, table 1, by the names syslog daemons give them. */
export const SYSLOG_FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;

export type SyslogFacility = keyof typeof SYSLOG_FACILITIES;

/** RFC 5424 §6.2.1, table 2 (only the two an audit record maps to are named). */
export const SYSLOG_SEVERITY = { warning: 4, informational: 6 } as const;

/** `[id name="value" …]`: an SD-ELEMENT of RFC 5424 §6.3. */
export interface SyslogStructuredElement {
  readonly id: string;
  readonly params: readonly (readonly [name: string, value: string])[];
}

export interface SyslogMessage {
  /** 0–23 (RFC 5424 §6.2.1). */
  readonly facility: number;
  /** 0–7. */
  readonly severity: number;
  /** An RFC 3339 time as RFC 5424 §6.2.3 restricts it (upper-case `T` and `Z`, at most 6 fraction digits); null for NILVALUE. */
  readonly timestamp: string | null;
  readonly hostname: string | null;
  readonly appName: string | null;
  readonly procId: string | null;
  readonly msgId: string | null;
  readonly structuredData: readonly SyslogStructuredElement[];
  /** The MSG part; `utf8` prefixes it with the BOM, which RFC 5424 §6.4 asks for when MSG is UTF-8. */
  readonly message?: { readonly text: string; readonly utf8: boolean };
}

const NILVALUE = '-';
const BOM = '\uFEFF';

/** The header fields' maximum lengths, RFC 5424 §6 (ABNF). */
export const SYSLOG_FIELD_LIMITS = {
  hostname: 255,
  appName: 48,
  procId: 128,
  msgId: 32,
  sdName: 32,
} as const;

/**
 * A header field as RFC 5424 allows it: PRINTUSASCII only (33–126), so anything else becomes `_`,
 * truncated to its limit; empty becomes NILVALUE. (A lone `-` is NILVALUE too: same bytes.)
 */
export const syslogHeaderField = (value: string | null, limit: number): string => {
  if (value === null || value === '') return NILVALUE;
  return [...value]
    .slice(0, limit)
    .map((char) => (char >= '!' && char <= '~' ? char : '_'))
    .join('');
};

/** An SD-NAME (SD-ID or PARAM-NAME): 1–32 PRINTUSASCII except `=`, space, `]` and `"`. */
const SD_NAME = /^[!#-<>-\\^-~]{1,32}$/;

/** PARAM-VALUE escaping, RFC 5424 §6.3.3: `"`, `\` and `]` are preceded by a backslash. */
export const escapeSdParamValue = (value: string): string => value.replace(/["\\\]]/g, (char) => `\\${char}`);

const structuredData = (elements: readonly SyslogStructuredElement[]): string => {
  if (elements.length === 0) return NILVALUE;
  return elements
    .map(({ id, params }) => {
      if (!SD_NAME.test(id)) throw new RangeError(`"${id}" is not a valid SD-ID`);
      const rendered = params.map(([name, value]) => {
        if (!SD_NAME.test(name)) throw new RangeError(`"${name}" is not a valid PARAM-NAME`);
        return ` ${name}="${escapeSdParamValue(value)}"`;
      });
      return `[${id}${rendered.join('')}]`;
    })
    .join('');
};

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** One syslog message as RFC 5424 §6 lays it out, without transport framing. */
export const formatSyslogMessage = (message: SyslogMessage): string => {
  const { facility, severity } = message;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23)
    throw new RangeError(`Facility ${facility} is not 0–23`);
  if (!Number.isInteger(severity) || severity < 0 || severity > 7)
    throw new RangeError(`Severity ${severity} is not 0–7`);
  if (message.timestamp !== null && !TIMESTAMP.test(message.timestamp))
    throw new RangeError(`${message.timestamp} is not an RFC 5424 TIMESTAMP`);
  const header = [
    `<${facility * 8 + severity}>1`,
    message.timestamp ?? NILVALUE,
    syslogHeaderField(message.hostname, SYSLOG_FIELD_LIMITS.hostname),
    syslogHeaderField(message.appName, SYSLOG_FIELD_LIMITS.appName),
    syslogHeaderField(message.procId, SYSLOG_FIELD_LIMITS.procId),
    syslogHeaderField(message.msgId, SYSLOG_FIELD_LIMITS.msgId),
  ].join(' ');
  const body = message.message ? ` ${message.message.utf8 ? BOM : ''}${message.message.text}` : '';
  return `${header} ${structuredData(message.structuredData)}${body}`;
};

/** Octet-counting framing, RFC 6587 §3.4.1 (and RFC 5425 §4.3): `MSG-LEN SP SYSLOG-MSG`, the length in octets. */
export const octetCountedFrame = (syslogMessage: string): string =>
  `${new TextEncoder().encode(syslogMessage).length} ${syslogMessage}`;

/**
 * The SD-ID of an audit record's parameters. 32473 is the private enterprise number RFC 5612 reserves
 * for documentation; a receiver matches on the whole SD-ID, so it only has to be stable.
 */
export const AUDIT_SD_ID = 'mandate@32473';
export const AUDIT_APP_NAME = 'mandate';

/**
 * An audit record as an RFC 5424 message: severity warning for a failure and informational for a
 * success, MSGID the action, the record's identity in `[mandate@32473 …]`, and MSG the record's export
 * line (its JSON, the bytes a JSON Lines export holds) as UTF-8 with the BOM. A record redacted by
 * retention goes as its stub, MSGID `redacted`.
 */
export const auditSyslogMessage = (
  entry: StreamedRecord,
  options: { readonly facility: number; readonly hostname: string | null },
): string => {
  const redacted = isRedactedStub(entry);
  const params: (readonly [string, string])[] = [
    ['org', entry.orgId],
    ...(entry.sequence === undefined ? [] : [['sequence', String(entry.sequence)] as const]),
    ['id', entry.id],
    ...(redacted
      ? [['redacted', 'true'] as const]
      : [
          ['actor', entry.actor.id] as const,
          ...(entry.actor.onBehalfOf === undefined ? [] : [['onBehalfOf', entry.actor.onBehalfOf] as const]),
          ['outcome', entry.outcome] as const,
        ]),
  ];
  return formatSyslogMessage({
    facility: options.facility,
    severity:
      !redacted && entry.outcome === 'failure' ? SYSLOG_SEVERITY.warning : SYSLOG_SEVERITY.informational,
    timestamp: entry.occurredAt,
    hostname: options.hostname,
    appName: AUDIT_APP_NAME,
    procId: null,
    msgId: redacted ? 'redacted' : entry.action,
    structuredData: [{ id: AUDIT_SD_ID, params }],
    message: { text: streamedJson(entry), utf8: true },
  });
};
