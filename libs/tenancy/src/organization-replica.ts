import {
  ApiKeyIssuedV1,
  ApiKeyRevokedV1,
  OrganizationCreatedV1,
  OrganizationDeletedV1,
  OrganizationRenamedV1,
} from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { type ApiKeyRepository } from '@mandate/platform';
import { type DataSource, type EntityManager } from 'typeorm';

export interface KnownOrganization {
  readonly orgId: string;
  readonly name: string;
  readonly status: 'active' | 'deleted';
  readonly createdAt: string;
  readonly updatedAt: string;
}

const quoteSchema = (schema: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid schema name "${schema}"`);
  return `"${schema}"`;
};

interface OrganizationRow {
  org_id: string;
  name: string;
  status: 'active' | 'deleted';
  created_at: Date;
  updated_at: Date;
}

/**
 * A service's own copy of the organizations the directory knows, kept from directory events: what
 * tenant checks ask ("does this organization exist, is it active?") without reading another
 * service's tables. The table lives in the service's schema.
 */
export class OrganizationReplica {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
  ) {
    this.table = `${quoteSchema(schema)}.known_organizations`;
  }

  async ensureCreated(): Promise<void> {
    await this.dataSource.query(`create schema if not exists ${quoteSchema(this.schema)}`);
    await this.dataSource.query(
      `create table if not exists ${this.table} (
         org_id text primary key,
         name text not null,
         status text not null check (status in ('active', 'deleted')),
         created_at timestamptz not null,
         updated_at timestamptz not null
       )`,
    );
  }

  /** Applies a directory event, in the caller's transaction; other events are ignored. */
  async apply(event: RecordedEvent, manager: EntityManager): Promise<void> {
    if (OrganizationCreatedV1.is(event)) {
      await manager.query(
        `insert into ${this.table} (org_id, name, status, created_at, updated_at) values ($1, $2, 'active', $3, $3)
         on conflict (org_id) do nothing`,
        [event.data.orgId, event.data.name, event.data.createdAt],
      );
    } else if (OrganizationRenamedV1.is(event)) {
      await manager.query(`update ${this.table} set name = $2, updated_at = $3 where org_id = $1`, [
        event.data.orgId,
        event.data.name,
        event.occurredAt,
      ]);
    } else if (OrganizationDeletedV1.is(event)) {
      await manager.query(`update ${this.table} set status = 'deleted', updated_at = $2 where org_id = $1`, [
        event.data.orgId,
        event.data.deletedAt,
      ]);
    }
  }

  async find(orgId: string): Promise<KnownOrganization | null> {
    const rows: OrganizationRow[] = await this.dataSource.query(
      `select org_id, name, status, created_at, updated_at from ${this.table} where org_id = $1`,
      [orgId],
    );
    const row = rows[0];
    return row
      ? {
          orgId: row.org_id,
          name: row.name,
          status: row.status,
          createdAt: row.created_at.toISOString(),
          updatedAt: row.updated_at.toISOString(),
        }
      : null;
  }
}

/** Applies the directory's API-key events to the platform's `api_keys` read model, in the caller's transaction. */
export const applyApiKeyEvent = async (
  apiKeys: ApiKeyRepository,
  event: RecordedEvent,
  manager: EntityManager,
): Promise<void> => {
  if (ApiKeyIssuedV1.is(event)) {
    const { keyId, orgId, name, secretHash, lastFour, issuedAt } = event.data;
    await apiKeys.upsertIssued(
      { keyId, orgId, name, secretHash, lastFour, createdAt: new Date(issuedAt), revokedAt: null },
      manager,
    );
  } else if (ApiKeyRevokedV1.is(event)) {
    await apiKeys.markRevoked(event.data.keyId, new Date(event.data.revokedAt), manager);
  }
};
