import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Sessions listed per person (oidc-provider's `Session` artifacts, keyed by their account), the
 * revocations of sessions (the sign-in is refused from the first step; `completed_at` once its grants
 * are revoked and its applications told, so a crash in between is finished on the next attempt), and
 * the back-channel logout endpoint a client may register.
 */
export class CreateAuthnSessions1796256000000 implements MigrationInterface {
  readonly name = 'CreateAuthnSessions1796256000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `alter table authn.clients add column backchannel_logout_uri text,
         add column backchannel_logout_session_required boolean not null default false`,
    );
    await queryRunner.query(
      `create index oauth_artifacts_session_account_idx on authn.oauth_artifacts ((payload->>'accountId'))
        where model = 'Session'`,
    );
    await queryRunner.query(`
      create table authn.session_revocations (
        session_id   text primary key,
        org_id       text not null,
        user_id      text not null,
        reason       text not null,
        clients      jsonb not null,
        revoked_at   timestamptz not null,
        completed_at timestamptz
      )`);
    await queryRunner.query(
      'create index session_revocations_pending_idx on authn.session_revocations (org_id, user_id) where completed_at is null',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('drop table authn.session_revocations');
    await queryRunner.query('drop index authn.oauth_artifacts_session_account_idx');
    await queryRunner.query(
      'alter table authn.clients drop column backchannel_logout_uri, drop column backchannel_logout_session_required',
    );
  }
}

export const sessionsMigrations = [CreateAuthnSessions1796256000000];
