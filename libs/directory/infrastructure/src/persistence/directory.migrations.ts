import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateDirectoryReadModels1767312000000 implements MigrationInterface {
  readonly name = 'CreateDirectoryReadModels1767312000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('create schema if not exists directory');
    await queryRunner.query(`
      create table directory.organizations (
        org_id     text primary key,
        name       text not null,
        status     text not null check (status in ('active', 'deleted')),
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    await queryRunner.query(
      'create index organizations_created_idx on directory.organizations (created_at, org_id)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('drop table directory.organizations');
  }
}

/**
 * Directories, their SCIM tokens, every provisioned resource (users, groups, agents) as a SCIM
 * document, group memberships, domains, uniqueness reservations and the HRIS inbox.
 */
export class CreateDirectorySyncReadModels1767398400000 implements MigrationInterface {
  readonly name = 'CreateDirectorySyncReadModels1767398400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      create table directory.directories (
        directory_id     text primary key,
        org_id           text not null,
        name             text not null,
        kind             text not null check (kind in ('scim', 'hris')),
        provider         text not null,
        linked_directory_id text,
        status           text not null check (status in ('active', 'deleted')),
        custom_schemas   jsonb not null default '[]',
        signing_secret   text,
        version          integer not null,
        created_at       timestamptz not null,
        updated_at       timestamptz not null
      )`);
    await queryRunner.query(
      'create index directories_org_idx on directory.directories (org_id, directory_id)',
    );
    await queryRunner.query(`
      create table directory.directory_tokens (
        token_id      text primary key,
        directory_id  text not null,
        org_id        text not null,
        secret_hash   text not null,
        last_four     text not null,
        created_at    timestamptz not null,
        revoked_at    timestamptz
      )`);
    await queryRunner.query(
      'create index directory_tokens_directory_idx on directory.directory_tokens (directory_id)',
    );
    await queryRunner.query(`
      create table directory.resources (
        id             text primary key,
        resource_type  text not null check (resource_type in ('User', 'Group', 'Agent')),
        org_id         text not null,
        directory_id   text,
        external_id    text,
        name           text not null,
        active         boolean not null,
        doc            jsonb not null,
        version        integer not null,
        created_at     timestamptz not null,
        updated_at     timestamptz not null,
        deleted_at     timestamptz
      )`);
    await queryRunner.query(
      `create index resources_directory_idx on directory.resources (directory_id, resource_type, id)
       where deleted_at is null`,
    );
    await queryRunner.query(
      `create index resources_name_idx on directory.resources (directory_id, resource_type, lower(name))
       where deleted_at is null`,
    );
    await queryRunner.query(
      `create index resources_external_idx on directory.resources (directory_id, resource_type, external_id)
       where deleted_at is null`,
    );
    await queryRunner.query(
      `create index resources_org_idx on directory.resources (org_id, resource_type, id) where deleted_at is null`,
    );
    await queryRunner.query(`
      create table directory.group_members (
        group_id      text not null,
        member_id     text not null,
        member_type   text not null check (member_type in ('user', 'group')),
        org_id        text not null,
        primary key (group_id, member_id)
      )`);
    await queryRunner.query('create index group_members_member_idx on directory.group_members (member_id)');
    await queryRunner.query(`
      create table directory.agent_owners (
        agent_id   text not null,
        owner_id   text not null,
        org_id     text not null,
        primary key (agent_id, owner_id)
      )`);
    await queryRunner.query('create index agent_owners_owner_idx on directory.agent_owners (owner_id)');
    await queryRunner.query(`
      create table directory.domains (
        org_id              text not null,
        domain              text not null,
        verification_token  text not null,
        verified_at         timestamptz,
        created_at          timestamptz not null,
        primary key (org_id, domain)
      )`);
    await queryRunner.query(`
      create table directory.reservations (
        scope  text not null,
        key    text not null,
        owner  text not null,
        primary key (scope, key)
      )`);
    await queryRunner.query(`
      create table directory.scheduled_deactivations (
        user_id       text primary key,
        org_id        text not null,
        effective_at  timestamptz not null
      )`);
    await queryRunner.query(
      'create index scheduled_deactivations_due_idx on directory.scheduled_deactivations (effective_at)',
    );
    await queryRunner.query(`
      create table directory.hris_deliveries (
        id            uuid not null unique,
        delivery_id   text not null,
        directory_id  text not null,
        org_id        text not null,
        provider      text not null,
        received_at   timestamptz not null,
        headers       jsonb not null,
        body          bytea not null,
        status        text not null check (status in ('pending', 'processed', 'failed')),
        error         text,
        attempts      integer not null default 0,
        processed_at  timestamptz,
        primary key (directory_id, delivery_id)
      )`);
    await queryRunner.query(
      `create index hris_deliveries_pending_idx on directory.hris_deliveries (received_at)
       where status = 'pending'`,
    );
    await queryRunner.query(`
      create table directory.hris_workers (
        directory_id     text not null,
        employee_id      text not null,
        user_id          text,
        source_updated_at timestamptz,
        primary key (directory_id, employee_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'hris_workers',
      'hris_deliveries',
      'scheduled_deactivations',
      'reservations',
      'domains',
      'agent_owners',
      'group_members',
      'resources',
      'directory_tokens',
      'directories',
    ])
      await queryRunner.query(`drop table directory.${table}`);
  }
}

export const directoryMigrations = [
  CreateDirectoryReadModels1767312000000,
  CreateDirectorySyncReadModels1767398400000,
];
