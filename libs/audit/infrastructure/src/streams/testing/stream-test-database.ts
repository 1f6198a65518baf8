import { type AuditRecord } from '@mandate/audit-domain';
import { SecretBox } from '@mandate/platform';
import { throwawayDatabase } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { appendToLog } from '../../persistence/audit-log.store';
import { AuditRetentionAndRoles1768003200000 } from '../../persistence/audit-retention.migration';
import { auditMigrations } from '../../persistence/audit.migrations';

/** A database of its own for one spec file, with the audit migrations run; `drop` removes it. */
export const createStreamTestDatabase = async (serverUrl: string) => {
  const database = await throwawayDatabase(serverUrl, 'audit_streams');
  const dataSources: DataSource[] = [];
  /** A pool of its own, as another replica would have. */
  const connect = async (): Promise<DataSource> => {
    const dataSource = new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: [...auditMigrations, AuditRetentionAndRoles1768003200000],
      migrationsTableName: 'migrations',
      poolSize: 3,
    });
    await dataSource.initialize();
    dataSources.push(dataSource);
    return dataSource;
  };
  const first = await connect();
  await first.runMigrations();
  return {
    dataSource: first,
    connect,
    secrets: new SecretBox(randomBytes(32)),
    drop: async () => {
      for (const dataSource of dataSources) if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    },
  };
};

let counter = 0;

/** Appends `count` records (a failure every fifth) to the organization's log, recorded `recordedAt`. */
export const appendRecords = async (
  dataSource: DataSource,
  orgId: string,
  count: number,
  recordedAt = new Date(),
): Promise<void> => {
  const records = Array.from({ length: count }, (): AuditRecord => ({
    id: `rec_${String(++counter).padStart(6, '0')}_${randomBytes(4).toString('hex')}`,
    orgId,
    occurredAt: new Date(Date.UTC(2026, 2, 2, 9, 0, 0, counter)).toISOString(),
    actor: { type: 'user', id: 'usr_ada', chain: ['usr_ada'] },
    action: counter % 5 === 0 ? 'user.login_failed' : 'invoice.approved',
    targets: [{ type: 'invoice', id: `INV-${counter}`, name: 'say "hi" ]' }],
    outcome: counter % 5 === 0 ? 'failure' : 'success',
    context: {},
    metadata: { note: 'Grüße' },
    source: 'application',
  }));
  await dataSource.transaction((manager) => appendToLog(manager, orgId, records, recordedAt));
};

/** Runs `pass` until `done` holds, at most `timeoutMs`. */
export const until = async (
  pass: () => Promise<unknown>,
  done: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('Timed out');
    await pass();
    await sleep(20);
  }
};
