import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The authz read models: roles and group mappings, the relationship model, every relationship tuple
 * (written through the API, derived from role assignments and mappings, or from directory
 * memberships), the principals the directory told us about, and mandates.
 */
export class CreateAuthzReadModels1767484800000 implements MigrationInterface {
  readonly name = 'CreateAuthzReadModels1767484800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('create schema if not exists authz');
    await queryRunner.query(`
      create table authz.roles (
        role_id      text primary key,
        org_id       text not null,
        key          text not null,
        name         text not null,
        description  text not null,
        permissions  jsonb not null,
        includes     jsonb not null,
        system       boolean not null,
        updated_at   timestamptz not null,
        unique (org_id, key)
      )`);
    await queryRunner.query(`
      create table authz.group_mappings (
        mapping_id  text primary key,
        org_id      text not null,
        source      jsonb not null,
        role_id     text not null,
        resource    text,
        created_at  timestamptz not null
      )`);
    await queryRunner.query('create index group_mappings_org_idx on authz.group_mappings (org_id)');
    await queryRunner.query(`
      create table authz.models (
        org_id      text primary key,
        version     integer not null,
        model       jsonb not null,
        written_at  timestamptz not null
      )`);
    await queryRunner.query(`
      create table authz.tuples (
        org_id     text not null,
        object     text not null,
        relation   text not null,
        subject    text not null,
        condition  jsonb,
        origin     text not null check (origin in ('api', 'assignment', 'mapping', 'directory')),
        primary key (org_id, object, relation, subject)
      )`);
    await queryRunner.query('create index tuples_subject_idx on authz.tuples (org_id, subject)');
    await queryRunner.query(`
      create table authz.assignments (
        org_id      text not null,
        role_id     text not null,
        subject     text not null,
        resource    text not null default '',
        mapping_id  text,
        assigned_at timestamptz not null,
        primary key (org_id, role_id, subject, resource)
      )`);
    await queryRunner.query('create index assignments_subject_idx on authz.assignments (org_id, subject)');
    await queryRunner.query(`
      create table authz.principals (
        principal_id  text primary key,
        org_id        text not null,
        kind          text not null check (kind in ('user', 'agent')),
        status        text not null check (status in ('active', 'inactive', 'deleted')),
        updated_at    timestamptz not null
      )`);
    await queryRunner.query(`
      create table authz.mandates (
        mandate_id   text primary key,
        org_id       text not null,
        user_id      text not null,
        agent_id     text not null,
        permissions  jsonb not null,
        resources    jsonb not null,
        expires_at   timestamptz,
        status       text not null check (status in ('active', 'suspended', 'revoked')),
        reason       text not null,
        granted_by   text not null,
        granted_at   timestamptz not null,
        revoked_reason text,
        version      integer not null,
        updated_at   timestamptz not null
      )`);
    await queryRunner.query(`
      create table authz.announced_permissions (
        org_id       text not null,
        subject      text not null,
        permissions  jsonb not null,
        primary key (org_id, subject)
      )`);
    await queryRunner.query('create index mandates_user_idx on authz.mandates (org_id, user_id)');
    await queryRunner.query('create index mandates_agent_idx on authz.mandates (org_id, agent_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'announced_permissions',
      'mandates',
      'principals',
      'assignments',
      'tuples',
      'models',
      'group_mappings',
      'roles',
    ])
      await queryRunner.query(`drop table authz.${table}`);
  }
}

/**
 * An assignment may come from the organization's policy (source '') or from an SSO connection's
 * IdP (`sso:<connectionId>`); the same role held both ways is two rows, so ending one keeps the other.
 * `sso_role_logins` remembers the latest sign-in applied per user and connection.
 */
export class SsoSourcedAssignments1796083200000 implements MigrationInterface {
  readonly name = 'SsoSourcedAssignments1796083200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("alter table authz.assignments add column source text not null default ''");
    await queryRunner.query('alter table authz.assignments drop constraint assignments_pkey');
    await queryRunner.query(
      'alter table authz.assignments add primary key (org_id, role_id, subject, resource, source)',
    );
    await queryRunner.query(`
      create table authz.sso_role_logins (
        org_id        text not null,
        user_id       text not null,
        connection_id text not null,
        applied_at    timestamptz not null,
        primary key (org_id, user_id, connection_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('drop table authz.sso_role_logins');
    await queryRunner.query("delete from authz.assignments where source <> ''");
    await queryRunner.query('alter table authz.assignments drop constraint assignments_pkey');
    await queryRunner.query(
      'alter table authz.assignments add primary key (org_id, role_id, subject, resource)',
    );
    await queryRunner.query('alter table authz.assignments drop column source');
  }
}

export const authzMigrations = [CreateAuthzReadModels1767484800000, SsoSourcedAssignments1796083200000];
