import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The SSO sign-in: attempts sent to IdPs (one use, bound to a browser, ten minutes), identities
 * linked to users (`authn.identity.linked`), and the roles each user's last SSO login mapped.
 */
export class CreateAuthnSsoLogin1796342400000 implements MigrationInterface {
  readonly name = 'CreateAuthnSsoLogin1796342400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('create schema if not exists authn');
    await queryRunner.query(`
      create table authn.login_attempts (
        attempt_id         text primary key,
        interaction_uid    text,
        org_id             text not null,
        connection_id      text not null,
        method             text not null check (method in ('saml', 'oidc')),
        browser_hash       text not null,
        oidc_state         text,
        oidc_nonce         text,
        oidc_code_verifier text,
        saml_request_id    text,
        status             text not null check (status in ('started', 'verified', 'completed')),
        outcome            jsonb,
        expires_at         timestamptz not null,
        used_at            timestamptz,
        created_at         timestamptz not null
      )`);
    await queryRunner.query(
      'create unique index login_attempts_state_idx on authn.login_attempts (oidc_state) where oidc_state is not null',
    );
    await queryRunner.query(
      `create unique index login_attempts_saml_idx on authn.login_attempts (connection_id, saml_request_id)
         where saml_request_id is not null`,
    );
    await queryRunner.query(
      'create index login_attempts_interaction_idx on authn.login_attempts (interaction_uid)',
    );
    await queryRunner.query(
      `create index login_attempts_unsolicited_idx on authn.login_attempts (browser_hash, org_id)
         where interaction_uid is null`,
    );
    await queryRunner.query('create index login_attempts_expiry_idx on authn.login_attempts (expires_at)');
    await queryRunner.query(`
      create table authn.sso_identities (
        connection_id text not null,
        subject       text not null,
        org_id        text not null,
        user_id       text not null,
        via           text not null,
        linked_at     timestamptz not null,
        primary key (connection_id, subject)
      )`);
    await queryRunner.query('create index sso_identities_user_idx on authn.sso_identities (user_id)');
    await queryRunner.query(`
      create table authn.sso_user_roles (
        user_id       text primary key,
        org_id        text not null,
        connection_id text not null,
        roles         jsonb not null,
        updated_at    timestamptz not null
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['sso_user_roles', 'sso_identities', 'login_attempts'])
      await queryRunner.query(`drop table authn.${table}`);
  }
}
