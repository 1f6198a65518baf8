import { type DataSource } from 'typeorm';
import { createTestDataSource, describeOnDatabases } from '../testing/test-data-source';
import { generateApiKey } from './api-key';
import { ApiKeyRepository, type ApiKeyRecord } from './api-key.repository';
import { StoredApiKeyVerifier } from './api-key.verifier';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-02T00:00:00.000Z');
const t2 = new Date('2026-01-03T00:00:00.000Z');

const apiKeyRepositoryBehaviour = (connectionString: () => string) => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let repository: ApiKeyRepository;

  beforeAll(async () => {
    ({ dataSource, drop } = await createTestDataSource(connectionString()));
    repository = new ApiKeyRepository(dataSource);
  });
  afterAll(() => drop());

  const issued = (overrides: Partial<ApiKeyRecord> = {}): { record: ApiKeyRecord; token: string } => {
    const key = generateApiKey();
    return {
      token: key.token,
      record: {
        keyId: key.keyId,
        orgId: 'org-1',
        name: 'CI',
        secretHash: key.hash,
        lastFour: key.lastFour,
        createdAt: t0,
        revokedAt: null,
        ...overrides,
      },
    };
  };

  it('stores an issued key once; a replayed issue changes nothing', async () => {
    const { record } = issued();
    await repository.upsertIssued(record);
    await repository.upsertIssued({ ...record, name: 'renamed by a replay' });
    expect(await repository.find(record.keyId)).toEqual(record);
    expect(await repository.find('0'.repeat(20))).toBeNull();
  });

  it('revokes from the earliest time it is told, and reports unknown keys', async () => {
    const { record } = issued();
    await repository.upsertIssued(record);
    expect(await repository.markRevoked(record.keyId, t2)).toBe(true);
    expect(await repository.markRevoked(record.keyId, t1)).toBe(true);
    expect(await repository.markRevoked(record.keyId, t2)).toBe(true);
    expect((await repository.find(record.keyId))?.revokedAt).toEqual(t1);
    expect(await repository.markRevoked('f'.repeat(20), t1)).toBe(false);
  });

  it('writes inside the caller’s transaction, so a rollback undoes it', async () => {
    const { record } = issued();
    await expect(
      dataSource.transaction(async (manager) => {
        await repository.upsertIssued(record, manager);
        expect(await repository.find(record.keyId, manager)).not.toBeNull();
        throw new Error('projection failed');
      }),
    ).rejects.toThrow('projection failed');
    expect(await repository.find(record.keyId)).toBeNull();
  });

  it('lists an organization’s keys only', async () => {
    const first = issued({ orgId: 'org-list', createdAt: t0 });
    const second = issued({ orgId: 'org-list', createdAt: t1 });
    await repository.upsertIssued(second.record);
    await repository.upsertIssued(first.record);
    await repository.upsertIssued(issued({ orgId: 'org-other' }).record);
    expect(await repository.listForOrg('org-list')).toEqual([first.record, second.record]);
  });

  it('verifies a key against the read model, revoked from its revocation time on', async () => {
    const { record, token } = issued({ orgId: 'org-verify' });
    await repository.upsertIssued(record);
    let now = t0;
    const verifier = new StoredApiKeyVerifier(repository, () => now);
    expect(await verifier.verify(token)).toEqual({
      ok: true,
      principal: { type: 'api_key', keyId: record.keyId, orgId: 'org-verify', name: 'CI' },
    });
    expect(await verifier.verify(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    await repository.markRevoked(record.keyId, t1);
    expect((await verifier.verify(token)).ok).toBe(true);
    now = t1;
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'revoked' });
  });
};

describeOnDatabases('ApiKeyRepository', apiKeyRepositoryBehaviour);
