import { validateAuditRecord } from '../record/audit-record';
import { auditRecordFor } from '../record/derive';
import { approvedInvoice } from '../testing/audit-records';
import { agentId, oneEventOfEachType, userId } from '../testing/identity-events';
import { CSV_COLUMNS, csvField, csvHeader, toCsvRow } from './csv';
import { canonicalBytes } from '../verify/canonical-json';
import { canonicalRecord, toJsonLine } from './json-lines';

/** A strict RFC 4180 reader, to check what the writer produces can be read back. */
const readCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index += 1;
    } else field += char;
  }
  if (field !== '' || row.length > 0) throw new Error('the last record does not end with CRLF');
  return rows;
};

describe('exports', () => {
  describe('JSON Lines', () => {
    it('writes one canonical record per line, that reads back as the same valid record', () => {
      const record = approvedInvoice({ sequence: 3 });
      const line = toJsonLine(record);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      const parsed: unknown = JSON.parse(line);
      expect(validateAuditRecord(parsed)).toEqual({ ok: true, record: canonicalRecord(record) });
      expect(parsed).toEqual(record);
    });

    it('serializes equal records identically, whatever order their members were built in', () => {
      const record = approvedInvoice();
      const shuffled = Object.fromEntries(Object.entries(record).reverse()) as typeof record;
      expect(toJsonLine(shuffled)).toBe(toJsonLine(record));
      expect(Object.keys(JSON.parse(toJsonLine(shuffled)) as object)).toEqual([
        'action',
        'actor',
        'context',
        'id',
        'metadata',
        'occurredAt',
        'orgId',
        'outcome',
        'sequence',
        'source',
        'targets',
      ]);
      expect(Buffer.from(toJsonLine(record).slice(0, -1))).toEqual(Buffer.from(canonicalBytes(record)));
    });

    it('escapes line breaks inside values, so a record is always one line of JSON Lines', () => {
      const line = toJsonLine(approvedInvoice({ reason: 'one\ntwo\r\u2028three\u2029four' }));
      expect(line.split('\n')).toEqual([expect.any(String), '']);
      expect((JSON.parse(line) as { reason: string }).reason).toBe('one\ntwo\r\u2028three\u2029four');
    });
  });

  describe('CSV (RFC 4180)', () => {
    it('has a header of the flattened columns', () =>
      expect(csvHeader()).toBe(
        'id,sequence,occurredAt,orgId,actorType,actorId,actorChain,action,targets,outcome,reason,correlationId,causationId,mandateId,grantId,metadata\r\n',
      ));

    it('flattens a record: the chain joined with " > ", targets as type:id, metadata as JSON', () => {
      const [header, row] = readCsv(csvHeader() + toCsvRow(approvedInvoice({ sequence: 7 })));
      expect(Object.fromEntries(header!.map((column, index) => [column, row![index]]))).toEqual({
        id: 'rec_1',
        sequence: '7',
        occurredAt: '2026-03-02T09:00:00.000Z',
        orgId: approvedInvoice().orgId,
        actorType: 'agent',
        actorId: agentId,
        actorChain: `${userId} > ${agentId}`,
        action: 'invoice.approved',
        targets: 'invoice:INV-1',
        outcome: 'success',
        reason: '',
        correlationId: 'c-1',
        causationId: '',
        mandateId: 'mdt_1',
        grantId: 'grt_1',
        metadata: '{"amount":120}',
      });
    });

    it.each([
      ['plain', 'plain'],
      ['a, b', '"a, b"'],
      ['say "hi"', '"say ""hi"""'],
      ['two\r\nlines', '"two\r\nlines"'],
      ['lf\nonly', '"lf\nonly"'],
      ['', ''],
    ])('quotes %j as %j', (value, expected) => expect(csvField(value)).toBe(expected));

    it('given awkward values, then every row reads back with the right number of fields and the values intact', () => {
      const awkward = approvedInvoice({
        reason: 'refused, because "limits"\r\nsee policy',
        targets: [
          { type: 'invoice', id: 'INV,1' },
          { type: 'vendor', id: 'V"2' },
        ],
        metadata: { note: 'a,b\n"c"' },
      });
      const records = [...oneEventOfEachType().map((event) => auditRecordFor(event)!), awkward];
      const rows = readCsv(csvHeader() + records.map(toCsvRow).join(''));
      expect(rows).toHaveLength(records.length + 1);
      for (const row of rows) expect(row).toHaveLength(CSV_COLUMNS.length);
      const last = rows[rows.length - 1]!;
      expect(last[CSV_COLUMNS.indexOf('reason')]).toBe('refused, because "limits"\r\nsee policy');
      expect(last[CSV_COLUMNS.indexOf('targets')]).toBe('invoice:INV,1; vendor:V"2');
      expect(JSON.parse(last[CSV_COLUMNS.indexOf('metadata')]!)).toEqual({ note: 'a,b\n"c"' });
    });
  });
});
