import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The per-organization audit logs: records in log order with their Merkle leaf hashes, the log heads,
 * and signed checkpoints. Records and checkpoints are append-only — a trigger refuses UPDATE, DELETE
 * and TRUNCATE whoever asks, so even the role that owns the tables cannot rewrite history in place.
 */
export class CreateAuditLog1767744000000 implements MigrationInterface {
  readonly name = 'CreateAuditLog1767744000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('create schema if not exists audit');
    await queryRunner.query(`
      create table audit.logs (
        org_id     text primary key,
        size       bigint not null,
        frontier   jsonb not null,
        updated_at timestamptz not null
      )`);
    await queryRunner.query(`
      create table audit.records (
        org_id          text not null,
        sequence        bigint not null,
        record_id       text not null,
        source_event_id text,
        occurred_at     timestamptz not null,
        recorded_at     timestamptz not null,
        actor_id        text not null,
        on_behalf_of    text,
        action          text not null,
        outcome         text not null,
        record          jsonb not null,
        leaf_hash       bytea not null,
        primary key (org_id, sequence)
      )`);
    await queryRunner.query(
      'create unique index records_source_idx on audit.records (org_id, source_event_id) where source_event_id is not null',
    );
    await queryRunner.query('create unique index records_id_idx on audit.records (org_id, record_id)');
    await queryRunner.query('create index records_actor_idx on audit.records (org_id, actor_id, sequence)');
    await queryRunner.query(
      'create index records_behalf_idx on audit.records (org_id, on_behalf_of, sequence) where on_behalf_of is not null',
    );
    await queryRunner.query('create index records_action_idx on audit.records (org_id, action, sequence)');
    await queryRunner.query('create index records_time_idx on audit.records (org_id, occurred_at)');
    await queryRunner.query(`
      create table audit.checkpoints (
        org_id     text not null,
        tree_size  bigint not null,
        root_hash  bytea not null,
        key_id     text not null,
        signed     text not null,
        created_at timestamptz not null,
        primary key (org_id, tree_size)
      )`);
    await queryRunner.query(`
      create function audit.refuse_rewrite() returns trigger language plpgsql as $$
      begin
        raise exception 'audit % rows are append-only: % refused', tg_table_name, tg_op
          using errcode = 'insufficient_privilege';
      end $$`);
    for (const table of ['records', 'checkpoints']) {
      await queryRunner.query(
        `create trigger ${table}_append_only before update or delete on audit.${table}
           for each row execute function audit.refuse_rewrite()`,
      );
      await queryRunner.query(
        `create trigger ${table}_no_truncate before truncate on audit.${table}
           for each statement execute function audit.refuse_rewrite()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['checkpoints', 'records', 'logs'])
      await queryRunner.query(`drop table audit.${table}`);
    await queryRunner.query('drop function audit.refuse_rewrite()');
  }
}

/** Log streams to SIEMs (HTTP endpoints signed per Standard Webhooks): where each one is, and its dead letters. */
export class CreateAuditStreams1767830400000 implements MigrationInterface {
  readonly name = 'CreateAuditStreams1767830400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      create table audit.streams (
        stream_id         text primary key,
        org_id            text not null,
        kind              text not null check (kind in ('http')),
        url               text not null,
        sealed_secret     text not null,
        status            text not null check (status in ('active', 'disabled')),
        delivered_through bigint not null,
        attempts          integer not null,
        next_attempt_at   timestamptz not null,
        last_status       integer,
        last_error        text,
        created_at        timestamptz not null,
        updated_at        timestamptz not null
      )`);
    await queryRunner.query('create index streams_org_idx on audit.streams (org_id)');
    await queryRunner.query(`
      create table audit.stream_dead_letters (
        stream_id  text not null,
        sequence   bigint not null,
        attempts   integer not null,
        last_error text not null,
        dead_at    timestamptz not null,
        primary key (stream_id, sequence)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('drop table audit.stream_dead_letters');
    await queryRunner.query('drop table audit.streams');
  }
}

/**
 * Streams to Kafka and syslog besides HTTP: the destination as JSON (never a secret: the HTTP signing
 * secret or a SASL password is sealed in `sealed_secret`, absent for syslog), and a lease so that one
 * replica at a time delivers a stream (`leased_by` until `lease_until`, by the database's clock).
 */
export class AuditStreamDestinationsAndLeases1768089600000 implements MigrationInterface {
  readonly name = 'AuditStreamDestinationsAndLeases1768089600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('alter table audit.streams add column destination jsonb');
    await queryRunner.query(
      "update audit.streams set destination = jsonb_build_object('kind', 'http', 'url', url)",
    );
    await queryRunner.query('alter table audit.streams alter column destination set not null');
    await queryRunner.query('alter table audit.streams drop column url');
    await queryRunner.query('alter table audit.streams alter column sealed_secret drop not null');
    await queryRunner.query('alter table audit.streams drop constraint streams_kind_check');
    await queryRunner.query(
      "alter table audit.streams add constraint streams_kind_check check (kind in ('http', 'kafka', 'syslog') and destination ->> 'kind' = kind)",
    );
    await queryRunner.query('alter table audit.streams add column leased_by text');
    await queryRunner.query('alter table audit.streams add column lease_until timestamptz');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("delete from audit.streams where kind <> 'http'");
    await queryRunner.query('alter table audit.streams drop column lease_until');
    await queryRunner.query('alter table audit.streams drop column leased_by');
    await queryRunner.query('alter table audit.streams drop constraint streams_kind_check');
    await queryRunner.query(
      "alter table audit.streams add constraint streams_kind_check check (kind in ('http'))",
    );
    await queryRunner.query('alter table audit.streams alter column sealed_secret set not null');
    await queryRunner.query('alter table audit.streams add column url text');
    await queryRunner.query("update audit.streams set url = destination ->> 'url'");
    await queryRunner.query('alter table audit.streams alter column url set not null');
    await queryRunner.query('alter table audit.streams drop column destination');
  }
}

export const auditMigrations = [
  CreateAuditLog1767744000000,
  CreateAuditStreams1767830400000,
  AuditStreamDestinationsAndLeases1768089600000,
];
