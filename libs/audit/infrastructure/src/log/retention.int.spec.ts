import { type AuditRecord, rootHash, verifyInclusion } from '@mandate/audit-domain';
import { EmbeddedPostgres, PostgresEventStore, uuidv7 } from '@mandate/eventstore';
import { ADMIN_PRINCIPAL, PublicUrl, SecretBox } from '@mandate/platform';
import { describeWithServices, throwawayDatabase } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { verifyExportLines } from '../cli/verify-export-file';
import { appendToLog } from '../persistence/audit-log.store';
import { AuditRetentionAndRoles1768003200000 } from '../persistence/audit-retention.migration';
import { auditMigrations } from '../persistence/audit.migrations';
import { AuditLogService } from './audit-log.service';
import { CheckpointKeys } from './checkpoint-keys';
import { AuditRetention } from './retention';

const DAY = 86_400_000;
const migrations = [...auditMigrations, AuditRetentionAndRoles1768003200000];

interface Database {
  readonly url: string;
  close(): Promise<void>;
}

const embedded = async (): Promise<Database> => {
  const pg = await EmbeddedPostgres.start();
  return { url: pg.connectionString, close: () => pg.stop() };
};

/** A throwaway database on the PostgreSQL server, so the `audit` schema starts empty. */
const throwaway = async (serverUrl: string): Promise<Database> => {
  const database = await throwawayDatabase(serverUrl, 'audit_retention');
  return { url: database.url, close: () => database.drop() };
};

const records = (orgId: string, count: number): AuditRecord[] =>
  Array.from({ length: count }, (_, i) => ({
    id: uuidv7(),
    orgId,
    occurredAt: new Date().toISOString(),
    actor: { type: 'agent', id: 'agt_1', chain: ['usr_1', 'agt_1'], onBehalfOf: 'usr_1' },
    action: 'invoice.approved',
    targets: [{ type: 'invoice', id: `INV-${i}` }],
    outcome: 'success',
    reason: `invoice ${i}`,
    context: {},
    metadata: {},
    source: 'application',
  }));

const retentionSuite = (name: string, open: () => Promise<Database>) =>
  describe(`audit retention on ${name}`, () => {
    let database: Database;
    let dataSource: DataSource;
    let store: PostgresEventStore;
    let log: AuditLogService;
    let retention: AuditRetention;
    const orgId = `org_${randomBytes(13).toString('hex')}`;

    beforeAll(async () => {
      database = await open();
      dataSource = new DataSource({
        type: 'postgres',
        url: database.url,
        migrations,
        migrationsRun: true,
        poolSize: 2,
      });
      await dataSource.initialize();
      store = await PostgresEventStore.create({
        connectionString: database.url,
        schema: 'audit_events',
        poolSize: 2,
      });
      const keys = new CheckpointKeys(
        store,
        new SecretBox(randomBytes(32)),
        'mandate-audit',
        () => new Date(),
      );
      await keys.load();
      log = new AuditLogService(dataSource, keys, new PublicUrl(), () => new Date());
      retention = new AuditRetention(dataSource, () => new Date());
      const append = (count: number, daysAgo: number) =>
        dataSource.transaction((manager) =>
          appendToLog(manager, orgId, records(orgId, count), new Date(Date.now() - daysAgo * DAY)),
        );
      await append(10, 500);
      await append(5, 10);
    }, 60_000);

    afterAll(async () => {
      await store?.close();
      await dataSource?.destroy();
      await database?.close();
    });

    const exportOf = async () => {
      const lines: string[] = [];
      for await (const chunk of log.exportLines(orgId, 'jsonl')) lines.push(chunk.slice(0, -1));
      return lines;
    };

    it('redacts what is past the default 400 days, keeping leaf hashes, and records the run', async () => {
      const before = await log.checkpoint(orgId);
      const leavesBefore = (
        await dataSource.query<{ leaf_hash: Buffer }[]>(
          'select leaf_hash from audit.records where org_id = $1 order by sequence',
          [orgId],
        )
      ).map((row) => row.leaf_hash);

      expect(await retention.enforceFor(orgId)).toEqual({ orgId, redacted: 10, through: 9 });

      const rows = await dataSource.query<
        { sequence: string; record: Record<string, unknown>; leaf_hash: Buffer }[]
      >('select sequence, record, leaf_hash from audit.records where org_id = $1 order by sequence', [orgId]);
      expect(rows).toHaveLength(16);
      expect(rows[0]!.record).toEqual({
        redacted: true,
        id: expect.any(String) as unknown,
        orgId,
        sequence: 0,
        occurredAt: expect.any(String) as unknown,
      });
      expect(JSON.stringify(rows.slice(0, 10))).not.toContain('invoice');
      expect(rows[10]!.record['reason']).toBe('invoice 0');
      expect(rows.slice(0, 15).map((row) => row.leaf_hash)).toEqual(leavesBefore);
      expect(rows[15]!.record).toMatchObject({
        action: 'audit_log.retention_enforced',
        actor: { type: 'system' },
        metadata: { redacted: 10, throughSequence: 9, retentionDays: 400 },
      });

      // A proof against the checkpoint signed before the redaction still holds for a redacted record.
      const proof = await log.inclusion(orgId, 3, before!.treeSize);
      expect(
        verifyInclusion(
          Buffer.from(proof.leafHash, 'base64'),
          3,
          before!.treeSize,
          proof.proof.map((hash) => Buffer.from(hash, 'base64')),
          Buffer.from(before!.rootHash, 'base64'),
        ),
      ).toBe(true);
      expect(rootHash(leavesBefore)).toEqual(Buffer.from(before!.rootHash, 'base64'));
    });

    it('runs again without redacting or recording anything more', async () => {
      expect(await retention.enforceFor(orgId)).toEqual({ orgId, redacted: 0, through: null });
      const [counted] = await dataSource.query<{ count: string }[]>(
        'select count(*) from audit.records where org_id = $1',
        [orgId],
      );
      expect(Number(counted?.count)).toBe(16);
    });

    it('exports the redacted log so that it verifies offline, saying how much was redacted', async () => {
      const lines = await exportOf();
      const { verification } = verifyExportLines(lines, 'from-export');
      expect(verification).toMatchObject({ ok: true, redacted: 10 });
      const edited = lines.map((line) => line.replace('invoice 3', 'invoice 9'));
      expect(verifyExportLines(edited, 'from-export').verification).toMatchObject({
        ok: false,
        reason: 'edited',
        firstBadIndex: 13,
      });
      const hidden = lines.map((line, i) =>
        i === 12 ? JSON.stringify({ redacted: true, sequence: 11, id: 'x', orgId, occurredAt: 'x' }) : line,
      );
      expect(verifyExportLines(hidden, 'from-export').verification).toMatchObject({
        ok: false,
        reason: 'redaction_invalid',
      });
    });

    it('refuses every other rewrite, whoever asks and however', async () => {
      const refused = (sql: string) => expect(dataSource.query(sql, [orgId])).rejects.toThrow(/append-only/);
      await refused(`update audit.records set record = '{}' where org_id = $1 and sequence = 12`);
      await refused(`delete from audit.records where org_id = $1 and sequence = 0`);
      // Even with the redaction switch on, a record within retention cannot be redacted.
      await expect(
        dataSource.transaction(async (manager) => {
          await manager.query(`select set_config('audit.redacting', 'on', true)`);
          await manager.query(
            `update audit.records set redacted_at = now(), actor_id = 'redacted', on_behalf_of = null,
               record = jsonb_build_object('redacted', true, 'id', record_id, 'orgId', org_id,
                 'sequence', sequence, 'occurredAt', record->'occurredAt')
             where org_id = $1 and sequence = 12`,
            [orgId],
          );
        }),
      ).rejects.toThrow(/append-only/);
      // …nor a redacted record rewritten again.
      await expect(
        dataSource.transaction(async (manager) => {
          await manager.query(`select set_config('audit.redacting', 'on', true)`);
          await manager.query(
            `update audit.records set record = jsonb_set(record, '{orgId}', '"x"') where org_id = $1 and sequence = 0`,
            [orgId],
          );
        }),
      ).rejects.toThrow(/append-only/);
    });

    it('audits a retention change, and keeps it between 30 days and 7 years', async () => {
      expect(await retention.policy(orgId)).toMatchObject({ days: 400, isDefault: true });
      expect(await retention.setPolicy(orgId, 90, ADMIN_PRINCIPAL)).toMatchObject({
        days: 90,
        isDefault: false,
        updatedBy: 'admin',
      });
      const [changed] = await dataSource.query<{ record: Record<string, unknown> }[]>(
        `select record from audit.records where org_id = $1 and action = 'audit_log.retention_changed'`,
        [orgId],
      );
      expect(changed!.record).toMatchObject({ metadata: { from: 400, to: 90, by: 'admin' } });
      for (const days of [29, 2558, 1.5])
        await expect(retention.setPolicy(orgId, days, ADMIN_PRINCIPAL)).rejects.toMatchObject({
          code: 'AUDIT_RETENTION_OUT_OF_RANGE',
        });
      // 90 days now: the records appended 10 days ago stay.
      expect(await retention.enforceFor(orgId)).toMatchObject({ redacted: 0 });
    });
  });

retentionSuite('PGlite', embedded);

describeWithServices(['postgres'], 'on PostgreSQL', ({ postgres }) => {
  retentionSuite('PostgreSQL', () => throwaway(postgres));

  describe('the role that serves the application', () => {
    let database: Database;
    let owner: DataSource;
    let app: Client;
    const role = `audit_app_${randomBytes(4).toString('hex')}`;
    const orgId = `org_${randomBytes(13).toString('hex')}`;

    beforeAll(async () => {
      database = await throwaway(postgres);
      owner = new DataSource({
        type: 'postgres',
        url: database.url,
        migrations,
        migrationsRun: true,
        poolSize: 2,
      });
      await owner.initialize();
      await owner.query(`create role ${role} login password 'app' in role mandate_audit_writer`);
      await owner.transaction((manager) =>
        appendToLog(manager, orgId, records(orgId, 3), new Date(Date.now() - 500 * DAY)),
      );
      const url = new URL(database.url);
      url.username = role;
      url.password = 'app';
      app = new Client({ connectionString: url.toString() });
      await app.connect();
    }, 60_000);

    afterAll(async () => {
      await app?.end();
      await owner?.query(`drop owned by ${role}`).catch(() => undefined);
      await owner?.destroy();
      await database?.close();
      const admin = new Client({ connectionString: postgres });
      await admin.connect();
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
    });

    it('may read and append records, never update, delete or truncate them (AUD-7)', async () => {
      expect(
        (await app.query<{ count: string }>('select count(*) from audit.records where org_id = $1', [orgId]))
          .rows[0]?.count,
      ).toBe('3');
      await app.query('begin');
      await appendToLog(
        {
          query: async (sql: string, params?: unknown[]): Promise<unknown[]> =>
            (await app.query<Record<string, unknown>>(sql, params)).rows,
        } as never,
        orgId,
        records(orgId, 1),
        new Date(),
      );
      await app.query('commit');
      const denied = /permission denied for table (records|checkpoints)/;
      await expect(
        app.query(`update audit.records set outcome = 'failure' where org_id = $1`, [orgId]),
      ).rejects.toThrow(denied);
      await expect(app.query('delete from audit.records where org_id = $1', [orgId])).rejects.toThrow(denied);
      await expect(app.query('truncate audit.records')).rejects.toThrow(denied);
      await expect(app.query('delete from audit.checkpoints')).rejects.toThrow(denied);
    });

    it('may redact what is past retention, only through the retention function', async () => {
      const { rows } = await app.query('select redacted, through from audit.redact_expired($1, 100)', [
        orgId,
      ]);
      expect(rows[0]).toEqual({ redacted: '3', through: '2' });
    });
  });
});
