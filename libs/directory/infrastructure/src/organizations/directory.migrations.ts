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

export const directoryMigrations = [CreateDirectoryReadModels1767312000000];
