import { organizationStream } from '@mandate/contracts';
import {
  type CreateOrganization,
  type DeleteOrganization,
  type IssueApiKey,
  organizationDecider,
  type OrganizationCommand,
  type RenameOrganization,
  type RevokeApiKey,
  type RotateApiKey,
} from '@mandate/directory-domain';
import { type AppendMetadata, commandHandler, type EventStore, uuidv7 } from '@mandate/eventstore';
import { DomainError } from '@mandate/kernel';
import {
  type ApiKeyRecord,
  type ApiKeyRepository,
  currentRequestContext,
  generateApiKey,
  principalActor,
} from '@mandate/platform';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DataSource } from 'typeorm';
import { newOrganizationId } from '../ids';
import { OrganizationEntity } from './organization.entity';
import { type OrganizationsProjection } from './organizations.projection';

export interface OrganizationView {
  readonly id: string;
  readonly name: string;
  readonly status: 'active' | 'deleted';
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly lastFour: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface IssuedApiKeyView extends ApiKeyView {
  /** The whole key: shown in this response only, never again. */
  readonly key: string;
}

const toView = (row: OrganizationEntity): OrganizationView => ({
  id: row.orgId,
  name: row.name,
  status: row.status,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const toKeyView = (record: ApiKeyRecord): ApiKeyView => ({
  id: record.keyId,
  name: record.name,
  lastFour: record.lastFour,
  createdAt: record.createdAt.toISOString(),
  revokedAt: record.revokedAt?.toISOString() ?? null,
});

const organizationNotFound = () =>
  new DomainError('not_found', 'DIRECTORY_ORGANIZATION_NOT_FOUND', 'The organization does not exist');

const READ_YOUR_WRITES_TIMEOUT_MS = 5_000;

/** Organization and API-key use cases: command in, events appended, the answer read back from the read model. */
export class OrganizationsService {
  private readonly handle;

  constructor(
    store: EventStore,
    private readonly dataSource: DataSource,
    private readonly projection: OrganizationsProjection,
    private readonly apiKeys: ApiKeyRepository,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.handle = commandHandler(store, organizationDecider);
  }

  async create(name: string): Promise<OrganizationView> {
    const orgId = newOrganizationId();
    await this.execute<CreateOrganization>(orgId, 'CreateOrganization', { orgId, name });
    return this.get(orgId);
  }

  async rename(orgId: string, name: string): Promise<OrganizationView> {
    await this.execute<RenameOrganization>(orgId, 'RenameOrganization', { name });
    return this.get(orgId);
  }

  async delete(orgId: string): Promise<void> {
    await this.execute<DeleteOrganization>(orgId, 'DeleteOrganization', {});
  }

  async get(orgId: string): Promise<OrganizationView> {
    const row = await this.dataSource.manager.findOneBy(OrganizationEntity, { orgId });
    if (!row || row.status === 'deleted') throw organizationNotFound();
    return toView(row);
  }

  /** Active organizations by creation, `limit` at a time after the cursor (the last id of the previous page). */
  async list(
    limit: number,
    after?: string,
  ): Promise<{ data: OrganizationView[]; nextCursor: string | null }> {
    const query = this.dataSource.manager
      .createQueryBuilder(OrganizationEntity, 'o')
      .where("o.status = 'active'")
      .orderBy('o.org_id', 'ASC')
      .limit(limit + 1);
    if (after) query.andWhere('o.org_id > :after', { after });
    const rows = await query.getMany();
    const page = rows.slice(0, limit);
    return { data: page.map(toView), nextCursor: rows.length > limit ? page[page.length - 1]!.orgId : null };
  }

  async issueApiKey(orgId: string, name: string): Promise<IssuedApiKeyView> {
    const key = generateApiKey();
    await this.execute<IssueApiKey>(orgId, 'IssueApiKey', {
      keyId: key.keyId,
      name,
      secretHash: key.hash,
      lastFour: key.lastFour,
    });
    return { ...toKeyView(await this.awaitApiKey(key.keyId)), key: key.token };
  }

  async rotateApiKey(orgId: string, keyId: string): Promise<IssuedApiKeyView> {
    const key = generateApiKey();
    await this.execute<RotateApiKey>(orgId, 'RotateApiKey', {
      keyId,
      newKeyId: key.keyId,
      secretHash: key.hash,
      lastFour: key.lastFour,
    });
    return { ...toKeyView(await this.awaitApiKey(key.keyId)), key: key.token };
  }

  async revokeApiKey(orgId: string, keyId: string): Promise<void> {
    await this.execute<RevokeApiKey>(orgId, 'RevokeApiKey', { keyId });
    await this.awaitApiKey(keyId, (record) => record.revokedAt !== null);
  }

  async listApiKeys(orgId: string): Promise<ApiKeyView[]> {
    await this.get(orgId);
    return (await this.apiKeys.listForOrg(orgId)).map(toKeyView);
  }

  private async execute<C extends OrganizationCommand>(
    orgId: string,
    type: C['type'],
    data: C['data'],
  ): Promise<void> {
    const command = { type, data, now: this.clock() } as C;
    const result = await this.handle(organizationStream(orgId), command, this.metadata(orgId));
    if (result.position) await this.projection.waitFor(result.position, READ_YOUR_WRITES_TIMEOUT_MS);
  }

  private metadata(orgId: string): AppendMetadata {
    const context = currentRequestContext();
    return {
      orgId,
      actor: context?.principal ? principalActor(context.principal) : { type: 'system', id: 'directory' },
      correlationId: context?.correlationId ?? uuidv7(),
      causationId: context?.requestId ?? null,
    };
  }

  /**
   * The API-key read model is kept by a consumer of the transport (as in every service); a key is
   * answered only once the guard can verify it, so it works for the very next request.
   */
  private async awaitApiKey(
    keyId: string,
    ready: (record: ApiKeyRecord) => boolean = () => true,
  ): Promise<ApiKeyRecord> {
    const deadline = Date.now() + READ_YOUR_WRITES_TIMEOUT_MS;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const record = await this.apiKeys.find(keyId);
      if (record && ready(record)) return record;
      if (Date.now() > deadline) {
        throw new Error(
          `API key ${keyId} did not reach the key read model within ${READ_YOUR_WRITES_TIMEOUT_MS} ms`,
        );
      }
      await sleep(delay);
    }
  }
}
