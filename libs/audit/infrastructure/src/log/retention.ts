import { DomainError } from '@mandate/kernel';
import { type Principal, principalId } from '@mandate/platform';
import { type DataSource } from 'typeorm';
import { appendToLog } from '../persistence/audit-log.store';
import { auditOfAuditing } from './self-audit';

export const DEFAULT_RETENTION_DAYS = 400;
export const MIN_RETENTION_DAYS = 30;
/** Seven years, leap days included. */
export const MAX_RETENTION_DAYS = 2557;
/** Records redacted per statement, so one job run never holds a long transaction. */
const REDACTION_BATCH = 5_000;

export interface RetentionPolicy {
  readonly orgId: string;
  readonly days: number;
  /** True while the organization has never set one. */
  readonly isDefault: boolean;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

export interface RetentionRun {
  readonly orgId: string;
  readonly redacted: number;
  /** The last redacted sequence: records 0…through hold only their leaf hashes. */
  readonly through: number | null;
}

/**
 * Retention per organization (default 400 days, 30 days to 7 years). Past it, a record is redacted: its
 * content goes, its leaf hash stays, so checkpoints and proofs still hold and an export still verifies.
 * Changing the policy and every run that redacts something are audit records themselves, written in the
 * same transaction as what they describe.
 */
export class AuditRetention {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date,
  ) {}

  async policy(orgId: string): Promise<RetentionPolicy> {
    const [row] = await this.dataSource.query<{ days: number; updated_at: Date; updated_by: string }[]>(
      'select days, updated_at, updated_by from audit.retention_policies where org_id = $1',
      [orgId],
    );
    return row
      ? {
          orgId,
          days: row.days,
          isDefault: false,
          updatedAt: row.updated_at.toISOString(),
          updatedBy: row.updated_by,
        }
      : { orgId, days: DEFAULT_RETENTION_DAYS, isDefault: true, updatedAt: null, updatedBy: null };
  }

  async setPolicy(orgId: string, days: number, principal: Principal): Promise<RetentionPolicy> {
    if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS)
      throw new DomainError(
        'invalid',
        'AUDIT_RETENTION_OUT_OF_RANGE',
        `Retention is a whole number of days from ${MIN_RETENTION_DAYS} to ${MAX_RETENTION_DAYS} (7 years)`,
      );
    const before = await this.policy(orgId);
    const now = this.clock();
    const by = principalId(principal);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `insert into audit.retention_policies (org_id, days, updated_at, updated_by) values ($1, $2, $3, $4)
         on conflict (org_id) do update set days = excluded.days, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
        [orgId, days, now, by],
      );
      await appendToLog(
        manager,
        orgId,
        [
          auditOfAuditing(
            orgId,
            principal,
            'audit_log.retention_changed',
            { from: before.days, to: days, by },
            now,
          ),
        ],
        now,
      );
    });
    return this.policy(orgId);
  }

  /** Redacts what is past retention in every log; one audit record per log that lost records. */
  async enforce(): Promise<RetentionRun[]> {
    const logs = await this.dataSource.query<{ org_id: string }[]>('select org_id from audit.logs');
    const runs: RetentionRun[] = [];
    for (const { org_id: orgId } of logs) {
      const run = await this.enforceFor(orgId);
      if (run.redacted > 0) runs.push(run);
    }
    return runs;
  }

  async enforceFor(orgId: string): Promise<RetentionRun> {
    let redacted = 0;
    let through: number | null = null;
    for (;;) {
      const batch = await this.dataSource.transaction(async (manager) => {
        const [row] = await manager.query<{ redacted: string; through: string | null; days: number }[]>(
          'select redacted, through, audit.retention_days($1) as days from audit.redact_expired($1, $2)',
          [orgId, REDACTION_BATCH],
        );
        const count = Number(row?.redacted ?? 0);
        if (count > 0) {
          const now = this.clock();
          await appendToLog(
            manager,
            orgId,
            [
              auditOfAuditing(
                orgId,
                null,
                'audit_log.retention_enforced',
                { redacted: count, throughSequence: Number(row!.through), retentionDays: row!.days },
                now,
              ),
            ],
            now,
          );
        }
        return { count, through: row?.through === null || row === undefined ? null : Number(row.through) };
      });
      redacted += batch.count;
      through = batch.through ?? through;
      if (batch.count < REDACTION_BATCH) return { orgId, redacted, through };
    }
  }
}
