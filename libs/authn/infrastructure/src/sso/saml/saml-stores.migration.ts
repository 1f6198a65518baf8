import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** SAML SP state shared by every authn instance: AuthnRequest IDs awaiting an answer, and accepted assertion IDs. */
export class CreateAuthnSamlStores1796169600000 implements MigrationInterface {
  readonly name = 'CreateAuthnSamlStores1796169600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('create schema if not exists authn');
    await queryRunner.query(`
      create table authn.saml_requests (
        connection_id text not null,
        request_id    text not null,
        expires_at    timestamptz not null,
        primary key (connection_id, request_id)
      )`);
    await queryRunner.query('create index saml_requests_expiry_idx on authn.saml_requests (expires_at)');
    await queryRunner.query(`
      create table authn.saml_seen_assertions (
        connection_id text not null,
        assertion_id  text not null,
        keep_until    timestamptz not null,
        primary key (connection_id, assertion_id)
      )`);
    await queryRunner.query(
      'create index saml_seen_assertions_expiry_idx on authn.saml_seen_assertions (keep_until)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['saml_seen_assertions', 'saml_requests'])
      await queryRunner.query(`drop table authn.${table}`);
  }
}
