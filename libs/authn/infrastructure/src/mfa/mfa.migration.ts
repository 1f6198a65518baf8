import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Second factors: the factor list (a projection of the `mfa-…` streams), and two tables of
 * operational state that no event carries — single-use WebAuthn challenges and failed-attempt counts.
 */
export class CreateAuthnMfa1768262400000 implements MigrationInterface {
  readonly name = 'CreateAuthnMfa1768262400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('create schema if not exists authn');
    await queryRunner.query(`
      create table authn.mfa_factors (
        factor_id     text primary key,
        org_id        text not null,
        user_id       text not null,
        kind          text not null check (kind in ('totp', 'webauthn', 'recovery_codes')),
        status        text not null check (status in ('pending', 'active')),
        name          text,
        credential_id text,
        transports    jsonb not null default '[]',
        details       jsonb not null default '{}',
        created_at    timestamptz not null,
        confirmed_at  timestamptz,
        last_used_at  timestamptz,
        version       integer not null
      )`);
    await queryRunner.query('create index mfa_factors_user_idx on authn.mfa_factors (org_id, user_id, kind)');
    await queryRunner.query(
      'create unique index mfa_factors_credential_idx on authn.mfa_factors (credential_id) where credential_id is not null',
    );
    await queryRunner.query(`
      create table authn.mfa_challenges (
        challenge   text primary key,
        org_id      text not null,
        user_id     text not null,
        purpose     text not null check (purpose in ('registration', 'authentication')),
        rp_id       text not null,
        origin      text not null,
        expires_at  timestamptz not null
      )`);
    await queryRunner.query('create index mfa_challenges_expiry_idx on authn.mfa_challenges (expires_at)');
    await queryRunner.query(`
      create table authn.mfa_attempts (
        org_id       text not null,
        user_id      text not null,
        failures     integer not null,
        locked_until timestamptz,
        primary key (org_id, user_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['mfa_attempts', 'mfa_challenges', 'mfa_factors'])
      await queryRunner.query(`drop table authn.${table}`);
  }
}
