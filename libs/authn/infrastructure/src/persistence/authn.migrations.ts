import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** OAuth clients, grants (token families) with their revocation, and oidc-provider's protocol state. */
export class CreateAuthnReadModels1767571200000 implements MigrationInterface {
  readonly name = 'CreateAuthnReadModels1767571200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('create schema if not exists authn');
    await queryRunner.query(`
      create table authn.clients (
        client_id     text primary key,
        org_id        text not null,
        name          text not null,
        kind          text not null,
        agent_id      text,
        redirect_uris jsonb not null,
        grant_types   jsonb not null,
        auth_method   text not null,
        secret_hash   text,
        jwks          jsonb,
        scopes        jsonb not null,
        audiences     jsonb not null,
        status        text not null check (status in ('active', 'deleted')),
        version       integer not null,
        created_at    timestamptz not null,
        updated_at    timestamptz not null
      )`);
    await queryRunner.query('create index clients_org_idx on authn.clients (org_id, client_id)');
    await queryRunner.query(`
      create table authn.grants (
        grant_id     text primary key,
        org_id       text not null,
        client_id    text not null,
        subject      text not null,
        actor        text,
        mandate_id   text,
        grant_type   text not null,
        scope        text not null,
        audience     text not null,
        issued_at    timestamptz not null,
        expires_at   timestamptz not null,
        revoked_at   timestamptz,
        revoked_reason text
      )`);
    await queryRunner.query(
      'create index grants_subject_idx on authn.grants (org_id, subject) where revoked_at is null',
    );
    await queryRunner.query(
      'create index grants_actor_idx on authn.grants (org_id, actor) where revoked_at is null',
    );
    await queryRunner.query(
      'create index grants_mandate_idx on authn.grants (mandate_id) where revoked_at is null',
    );
    await queryRunner.query(`
      create table authn.oauth_artifacts (
        model       text not null,
        id          text not null,
        payload     jsonb not null,
        grant_id    text,
        uid         text,
        user_code   text,
        expires_at  timestamptz,
        consumed_at timestamptz,
        primary key (model, id)
      )`);
    await queryRunner.query('create index oauth_artifacts_grant_idx on authn.oauth_artifacts (grant_id)');
    await queryRunner.query('create index oauth_artifacts_uid_idx on authn.oauth_artifacts (uid)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['oauth_artifacts', 'grants', 'clients'])
      await queryRunner.query(`drop table authn.${table}`);
  }
}

/** What tokens depend on, learnt from directory and authz events: people, agents, mandates, permissions. */
export class CreateAuthnPrincipalViews1767657600000 implements MigrationInterface {
  readonly name = 'CreateAuthnPrincipalViews1767657600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      create table authn.users (
        user_id    text primary key,
        org_id     text not null,
        user_name  text not null,
        email      text,
        name       text,
        status     text not null check (status in ('active', 'inactive', 'deleted')),
        updated_at timestamptz not null
      )`);
    await queryRunner.query(`
      create table authn.agents (
        agent_id   text primary key,
        org_id     text not null,
        name       text not null,
        status     text not null check (status in ('active', 'suspended', 'deleted')),
        updated_at timestamptz not null
      )`);
    await queryRunner.query(`
      create table authn.mandates (
        mandate_id  text primary key,
        org_id      text not null,
        user_id     text not null,
        agent_id    text not null,
        permissions jsonb not null,
        resources   jsonb not null,
        expires_at  timestamptz,
        status      text not null check (status in ('active', 'suspended', 'revoked')),
        updated_at  timestamptz not null
      )`);
    await queryRunner.query('create index mandates_agent_idx on authn.mandates (agent_id, user_id)');
    await queryRunner.query(`
      create table authn.principal_permissions (
        subject     text primary key,
        org_id      text not null,
        permissions jsonb not null,
        updated_at  timestamptz not null
      )`);
    await queryRunner.query(`
      create table authn.login_tickets (
        ticket_hash text primary key,
        org_id      text not null,
        user_id     text not null,
        expires_at  timestamptz not null,
        used_at     timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['login_tickets', 'principal_permissions', 'mandates', 'agents', 'users'])
      await queryRunner.query(`drop table authn.${table}`);
  }
}

/** SSO connections per organization, and the organizations' verified domains learnt from the directory. */
export class CreateAuthnSsoConnections1780000000000 implements MigrationInterface {
  readonly name = 'CreateAuthnSsoConnections1780000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      create table authn.sso_connections (
        org_id           text not null,
        connection_id    text not null,
        kind             text not null check (kind in ('saml', 'oidc')),
        name             text not null,
        status           text not null check (status in ('disabled', 'enabled', 'deleted')),
        saml             jsonb,
        oidc             jsonb,
        policy           jsonb not null,
        domains          text[] not null,
        settings_version integer not null,
        last_test        jsonb,
        version          integer not null,
        created_at       timestamptz not null,
        updated_at       timestamptz not null,
        primary key (org_id, connection_id)
      )`);
    await queryRunner.query(
      'create unique index sso_connections_id_idx on authn.sso_connections (connection_id)',
    );
    await queryRunner.query(`
      create table authn.org_domains (
        org_id      text not null,
        domain      text not null,
        verified_at timestamptz not null,
        primary key (org_id, domain)
      )`);
    await queryRunner.query('create unique index org_domains_domain_idx on authn.org_domains (domain)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['org_domains', 'sso_connections'])
      await queryRunner.query(`drop table authn.${table}`);
  }
}

export const authnMigrations = [
  CreateAuthnReadModels1767571200000,
  CreateAuthnPrincipalViews1767657600000,
  CreateAuthnSsoConnections1780000000000,
];
