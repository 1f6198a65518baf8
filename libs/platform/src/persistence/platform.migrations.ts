import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The DataSource's schema (one per service), quoted; the tables follow the entities into it. */
const schemaOf = (queryRunner: QueryRunner): string => {
  const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
  return `"${schema.replace(/"/g, '""')}"`;
};

export class CreatePlatformTables1767225600000 implements MigrationInterface {
  readonly name = 'CreatePlatformTables1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      create table ${s}.api_keys (
        key_id      text primary key,
        org_id      text not null,
        name        text not null,
        secret_hash text not null,
        last_four   text not null,
        created_at  timestamptz not null,
        revoked_at  timestamptz
      )`);
    await queryRunner.query(`create index api_keys_org_idx on ${s}.api_keys (org_id, created_at)`);
    await queryRunner.query(`
      create table ${s}.idempotency_keys (
        principal        text not null,
        key              text not null,
        method           text not null,
        path             text not null,
        request_hash     text not null,
        status_code      integer,
        response_body    json,
        response_headers jsonb,
        created_at       timestamptz not null,
        completed_at     timestamptz,
        primary key (principal, key)
      )`);
    await queryRunner.query(
      `create index idempotency_keys_created_idx on ${s}.idempotency_keys (created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`drop table ${s}.idempotency_keys`);
    await queryRunner.query(`drop table ${s}.api_keys`);
  }
}

/** Register these in the DataSource's `migrations` of every app that uses `PlatformModule`. */
export const platformMigrations = [CreatePlatformTables1767225600000];
