import { toJsonLine } from '../export/json-lines';
import { type AuditRecord } from '../record/audit-record';
import {
  auditSyslogMessage,
  escapeSdParamValue,
  formatSyslogMessage,
  octetCountedFrame,
  type SyslogMessage,
  syslogHeaderField,
} from './syslog-message';

const BOM = '\uFEFF';
const message = (overrides: Partial<SyslogMessage>): SyslogMessage => ({
  facility: 4,
  severity: 2,
  timestamp: '2003-10-11T22:14:15.003Z',
  hostname: 'mymachine.example.com',
  appName: 'su',
  procId: null,
  msgId: 'ID47',
  structuredData: [],
  ...overrides,
});

describe('RFC 5424 messages', () => {
  it('writes example 1 of §6.5 (no structured data, a UTF-8 MSG with its BOM)', () => {
    expect(
      formatSyslogMessage(
        message({ message: { text: "'su root' failed for lonvick on /dev/pts/8", utf8: true } }),
      ),
    ).toBe(
      `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
    );
  });

  it('writes example 2 of §6.5 (a time offset, a PROCID, no MSGID, a MSG of unknown encoding)', () => {
    expect(
      formatSyslogMessage(
        message({
          facility: 20,
          severity: 5,
          timestamp: '2003-08-24T05:14:15.000003-07:00',
          hostname: '192.0.2.1',
          appName: 'myproc',
          procId: '8710',
          msgId: null,
          message: { text: "%% It's time to make the do-nuts.", utf8: false },
        }),
      ),
    ).toBe(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    );
  });

  const exampleSd = {
    id: 'exampleSDID@32473',
    params: [
      ['iut', '3'],
      ['eventSource', 'Application'],
      ['eventID', '1011'],
    ],
  } as const;

  it('writes example 3 of §6.5 (one SD-ELEMENT, then the MSG)', () => {
    expect(
      formatSyslogMessage(
        message({
          facility: 20,
          severity: 5,
          appName: 'evntslog',
          structuredData: [exampleSd],
          message: { text: 'An application event log entry...', utf8: true },
        }),
      ),
    ).toBe(
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
    );
  });

  it('writes example 4 of §6.5 (two SD-ELEMENTs and no MSG)', () => {
    expect(
      formatSyslogMessage(
        message({
          facility: 20,
          severity: 5,
          appName: 'evntslog',
          structuredData: [exampleSd, { id: 'examplePriority@32473', params: [['class', 'high']] }],
        }),
      ),
    ).toBe(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
  });

  it('escapes ", \\ and ] in a PARAM-VALUE and nothing else (§6.3.3)', () => {
    expect(escapeSdParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
    expect(
      formatSyslogMessage(message({ structuredData: [{ id: 'x@32473', params: [['v', 'say "hi"]']] }] })),
    ).toContain('[x@32473 v="say \\"hi\\"\\]"]');
  });

  it('refuses an SD-ID or PARAM-NAME RFC 5424 does not allow', () => {
    for (const id of ['', 'a b', 'a=b', 'a]b', 'a"b', 'x'.repeat(33)])
      expect(() => formatSyslogMessage(message({ structuredData: [{ id, params: [] }] }))).toThrow(
        RangeError,
      );
    expect(() =>
      formatSyslogMessage(message({ structuredData: [{ id: 'ok@1', params: [['bad name', 'v']] }] })),
    ).toThrow(RangeError);
  });

  it('keeps header fields to printable US-ASCII within their limits, NILVALUE when empty', () => {
    expect(syslogHeaderField('user.dé activated', 32)).toBe('user.d__activated');
    expect(syslogHeaderField('a'.repeat(40), 32)).toBe('a'.repeat(32));
    expect(syslogHeaderField('', 32)).toBe('-');
    expect(formatSyslogMessage(message({ hostname: 'h'.repeat(300) })).split(' ')[2]).toHaveLength(255);
  });

  it('refuses a PRI or TIMESTAMP outside RFC 5424', () => {
    expect(() => formatSyslogMessage(message({ facility: 24 }))).toThrow(RangeError);
    expect(() => formatSyslogMessage(message({ severity: 8 }))).toThrow(RangeError);
    expect(() => formatSyslogMessage(message({ timestamp: '2003-10-11 22:14:15Z' }))).toThrow(RangeError);
    expect(() => formatSyslogMessage(message({ timestamp: '2003-10-11T22:14:15.0000003Z' }))).toThrow(
      RangeError,
    );
    expect(formatSyslogMessage(message({ timestamp: null })).split(' ')[1]).toBe('-');
  });
});

describe('octet-counting framing (RFC 6587 §3.4.1)', () => {
  it('prefixes the length in octets, not characters', () => {
    expect(octetCountedFrame('<34>1 - - - - - -')).toBe('17 <34>1 - - - - - -');
    // The BOM is 3 octets and "é" 2.
    expect(octetCountedFrame(`${BOM}é`)).toBe(`5 ${BOM}é`);
  });
});

describe('an audit record as a syslog message', () => {
  const record: AuditRecord = {
    id: '01963c5e-0000-7000-8000-000000000001',
    orgId: 'org_acme',
    sequence: 41,
    occurredAt: '2026-01-31T09:15:00.000Z',
    actor: { type: 'agent', id: 'agt_7', chain: ['usr_ada', 'agt_7'], onBehalfOf: 'usr_ada' },
    action: 'invoice.approved',
    targets: [{ type: 'invoice', id: 'inv_1', name: 'Q1 "big" ]one[' }],
    outcome: 'success',
    context: {},
    metadata: {},
    source: 'application',
  };

  it('carries the record in the SD-ELEMENT and MSG, as informational under auth for a success', () => {
    const line = auditSyslogMessage(record, { facility: 4, hostname: 'mandate.example' });
    expect(line).toBe(
      '<38>1 2026-01-31T09:15:00.000Z mandate.example mandate - invoice.approved ' +
        '[mandate@32473 org="org_acme" sequence="41" id="01963c5e-0000-7000-8000-000000000001" actor="agt_7" ' +
        `onBehalfOf="usr_ada" outcome="success"] ${BOM}${toJsonLine(record).slice(0, -1)}`,
    );
  });

  it('is a warning for a failure, and truncates a long action to the 32 octets of a MSGID', () => {
    const line = auditSyslogMessage(
      { ...record, outcome: 'failure', action: 'invoice.approval.escalated.to.finance' },
      { facility: 13, hostname: null },
    );
    expect(
      line.startsWith('<108>1 2026-01-31T09:15:00.000Z - mandate - invoice.approval.escalated.to.fi ['),
    ).toBe(true);
  });
});

describe('a record redacted by retention as a syslog message', () => {
  it('goes as its stub: MSGID redacted, no actor, the stub JSON as MSG', () => {
    const stub = {
      redacted: true,
      id: 'rec_9',
      orgId: 'org_acme',
      sequence: 3,
      occurredAt: '2025-01-01T00:00:00.000Z',
    } as const;
    expect(auditSyslogMessage(stub, { facility: 4, hostname: 'h' })).toBe(
      '<38>1 2025-01-01T00:00:00.000Z h mandate - redacted [mandate@32473 org="org_acme" sequence="3" id="rec_9" redacted="true"] ' +
        `${BOM}{"id":"rec_9","occurredAt":"2025-01-01T00:00:00.000Z","orgId":"org_acme","redacted":true,"sequence":3}`,
    );
  });
});
