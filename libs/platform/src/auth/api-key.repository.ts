import { Inject, Injectable } from '@nestjs/common';
import { type DataSource, type EntityManager } from 'typeorm';
import { ApiKeyEntity } from '../persistence/platform.entities';
import { PLATFORM_DATA_SOURCE } from '../persistence/platform-data-source';

/** An API key as the read model knows it: everything but the secret, which only its creator ever saw. */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly orgId: string;
  readonly name: string;
  /** `hashApiKeySecret(secret)`. */
  readonly secretHash: string;
  readonly lastFour: string;
  readonly createdAt: Date;
  /** When the key stops working; may lie in the future while a rotated key is phased out. */
  readonly revokedAt: Date | null;
}

const toRecord = (row: ApiKeyEntity): ApiKeyRecord => ({
  keyId: row.keyId,
  orgId: row.orgId,
  name: row.name,
  secretHash: row.secretHash,
  lastFour: row.lastFour,
  createdAt: row.createdAt,
  revokedAt: row.revokedAt,
});

/**
 * The `api_keys` read model in the service's schema. A projection of the directory's API-key events
 * writes it — passing its transaction's `manager` so the row and the projection checkpoint commit
 * together — and the auth guard reads it. Both writes are idempotent, as at-least-once delivery needs.
 */
@Injectable()
export class ApiKeyRepository {
  constructor(@Inject(PLATFORM_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Records an issued key; a replayed event changes nothing (an issued key's fields never change). */
  async upsertIssued(record: ApiKeyRecord, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(ApiKeyEntity)
      .values({ ...record, revokedAt: record.revokedAt })
      .orIgnore()
      .execute();
  }

  /**
   * Revokes a key from `at` on (now, or later for a rotated key's grace period). The earliest revocation
   * wins, so replays and a later "revoke now" after a scheduled one both do the right thing.
   * Returns false when the key is unknown.
   */
  async markRevoked(
    keyId: string,
    at: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ revokedAt: () => 'least(revoked_at, :at)' })
      .setParameter('at', at)
      .where('key_id = :keyId', { keyId })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async find(keyId: string, manager: EntityManager = this.dataSource.manager): Promise<ApiKeyRecord | null> {
    const row = await manager.findOneBy(ApiKeyEntity, { keyId });
    return row ? toRecord(row) : null;
  }

  /** An organization's keys, oldest first. */
  async listForOrg(orgId: string, manager: EntityManager = this.dataSource.manager): Promise<ApiKeyRecord[]> {
    const rows = await manager.find(ApiKeyEntity, {
      where: { orgId },
      order: { createdAt: 'ASC', keyId: 'ASC' },
    });
    return rows.map(toRecord);
  }
}
