import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** A record removed by retention keeps this much: where it was in the log, and nothing about anyone. */
const REDACTED_STUB = `jsonb_build_object('redacted', true, 'id', old.record_id, 'orgId', old.org_id,
  'sequence', old.sequence, 'occurredAt', old.record->'occurredAt')`;

/**
 * Retention per organization, enforced as redaction: a record older than its organization's retention
 * loses its content but keeps its leaf hash, so every root, checkpoint and proof stays valid. The only
 * UPDATE the records table still accepts is that redaction, of the oldest records, once, and only from
 * `audit.redact_expired` (the trigger checks every column, and the age against the database's own clock).
 *
 * The role that serves the application (`mandate_audit_writer`, when the migrating role may create roles)
 * may read and append, never update, delete or truncate: a second wall besides the triggers.
 */
export class AuditRetentionAndRoles1768003200000 implements MigrationInterface {
  readonly name = 'AuditRetentionAndRoles1768003200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('alter table audit.records add column redacted_at timestamptz');
    await queryRunner.query(`
      create table audit.retention_policies (
        org_id     text primary key,
        days       integer not null check (days between 30 and 2557),
        updated_at timestamptz not null,
        updated_by text not null
      )`);
    await queryRunner.query(`
      create function audit.retention_days(p_org text) returns integer language sql stable as $$
        select coalesce((select days from audit.retention_policies where org_id = p_org), 400)
      $$`);
    await queryRunner.query(`
      create function audit.guard_record_update() returns trigger language plpgsql as $$
      begin
        if current_setting('audit.redacting', true) = 'on'
           and old.redacted_at is null and new.redacted_at is not null
           and new.org_id = old.org_id and new.sequence = old.sequence and new.record_id = old.record_id
           and new.leaf_hash = old.leaf_hash and new.occurred_at = old.occurred_at
           and new.recorded_at = old.recorded_at and new.action = old.action and new.outcome = old.outcome
           and new.source_event_id is not distinct from old.source_event_id
           and new.actor_id = 'redacted' and new.on_behalf_of is null
           and new.record = ${REDACTED_STUB}
           and old.recorded_at < now() - make_interval(days => audit.retention_days(old.org_id))
        then
          return new;
        end if;
        raise exception 'audit records are append-only: only retention may redact a record past its retention'
          using errcode = 'insufficient_privilege';
      end $$`);
    await queryRunner.query('drop trigger records_append_only on audit.records');
    await queryRunner.query(
      `create trigger records_no_delete before delete on audit.records
         for each row execute function audit.refuse_rewrite()`,
    );
    await queryRunner.query(
      `create trigger records_redaction_only before update on audit.records
         for each row execute function audit.guard_record_update()`,
    );
    // The oldest records first, and never past a younger one: what is redacted is always a prefix.
    await queryRunner.query(`
      create function audit.redact_expired(p_org text, p_limit integer)
        returns table (redacted bigint, through bigint)
        language plpgsql security definer set search_path = audit, pg_temp as $$
      declare
        cutoff timestamptz := now() - make_interval(days => audit.retention_days(p_org));
        young  bigint;
      begin
        select min(r.sequence) into young from audit.records r
         where r.org_id = p_org and r.recorded_at >= cutoff;
        perform set_config('audit.redacting', 'on', true);
        with chosen as (
          select r.sequence from audit.records r
           where r.org_id = p_org and r.redacted_at is null and r.recorded_at < cutoff
             and (young is null or r.sequence < young)
           order by r.sequence limit p_limit
        ), done as (
          update audit.records r
             set redacted_at = now(), actor_id = 'redacted', on_behalf_of = null,
                 record = jsonb_build_object('redacted', true, 'id', r.record_id, 'orgId', r.org_id,
                   'sequence', r.sequence, 'occurredAt', r.record->'occurredAt')
            from chosen where r.org_id = p_org and r.sequence = chosen.sequence
          returning r.sequence
        )
        select count(*), max(done.sequence) into redacted, through from done;
        perform set_config('audit.redacting', 'off', true);
        return next;
      end $$`);
    await queryRunner.query(`
      do $$
      begin
        if not exists (select 1 from pg_roles where rolname = 'mandate_audit_writer') then
          create role mandate_audit_writer nologin;
        end if;
      exception when insufficient_privilege then
        raise notice 'mandate_audit_writer not created: the migrating role may not create roles';
      end $$`);
    await queryRunner.query(`
      do $$
      begin
        if exists (select 1 from pg_roles where rolname = 'mandate_audit_writer') then
          grant usage on schema audit to mandate_audit_writer;
          grant select, insert, update, delete on all tables in schema audit to mandate_audit_writer;
          alter default privileges in schema audit
            grant select, insert, update, delete on tables to mandate_audit_writer;
          revoke update, delete, truncate on audit.records, audit.checkpoints from mandate_audit_writer;
          grant execute on function audit.redact_expired(text, integer) to mandate_audit_writer;
        end if;
      end $$`);
    await queryRunner.query('revoke all on function audit.redact_expired(text, integer) from public');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('drop function audit.redact_expired(text, integer)');
    await queryRunner.query('drop trigger records_redaction_only on audit.records');
    await queryRunner.query('drop trigger records_no_delete on audit.records');
    await queryRunner.query(
      `create trigger records_append_only before update or delete on audit.records
         for each row execute function audit.refuse_rewrite()`,
    );
    await queryRunner.query('drop function audit.guard_record_update()');
    await queryRunner.query('drop function audit.retention_days(text)');
    await queryRunner.query('drop table audit.retention_policies');
    await queryRunner.query('alter table audit.records drop column redacted_at');
  }
}
