import { type CustomAttributeDefinition, type DirectoryProvider, directoryStream } from '@mandate/contracts';
import { directoryDecider, directoryNotFound, kindOfProvider } from '@mandate/directory-domain';
import { DomainError } from '@mandate/kernel';
import { schemaExtensionProblems } from '@mandate/scim';
import { randomBytes } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { newId } from '../ids';
import { type DirectoryWriter, type WriteCause } from '../persistence/directory-writer';
import { type SecretBox } from '@mandate/platform';
import { generateHrisSecret, type HrisProvider, isHrisProvider, issuesHrisSecret } from '../hris';
import { generateScimToken } from './scim-token';

export interface DirectoryRow {
  readonly directory_id: string;
  readonly org_id: string;
  readonly name: string;
  readonly kind: 'scim' | 'hris';
  readonly provider: DirectoryProvider;
  readonly status: 'active' | 'deleted';
  readonly custom_schemas: CustomSchema[];
  readonly signing_secret: string | null;
  readonly linked_directory_id: string | null;
  readonly version: number;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export interface CustomSchema {
  readonly resourceType: 'User' | 'Group';
  readonly schemaUrn: string;
  readonly attributes: CustomAttributeDefinition[];
}

export interface TokenView {
  readonly id: string;
  readonly lastFour: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface DirectoryView {
  readonly id: string;
  readonly organizationId: string;
  readonly name: string;
  readonly kind: 'scim' | 'hris';
  readonly provider: DirectoryProvider;
  /** SCIM: the base URL an IdP provisions to. HRIS: the URL the HR system posts its webhooks to. */
  readonly endpoint: string;
  readonly customSchemas: CustomSchema[];
  readonly signingSecretSet: boolean;
  /** HRIS: the SCIM directory whose users this source's lifecycle changes apply to, if any. */
  readonly linkedDirectoryId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CreatedDirectoryView extends DirectoryView {
  /** SCIM directories: the bearer token, shown in this response only. */
  readonly token?: string;
  /** HRIS directories whose secret Mandate issues (generic, Workday, Rippling): shown in this response only. */
  readonly signingSecret?: string;
}

/** A directory's custom attributes as the SCIM engine declares an extension schema. */
export const toDeclaration = (schema: CustomSchema) => ({
  resourceType: schema.resourceType,
  schema: schema.schemaUrn,
  attributes: schema.attributes.map(({ name, type, multiValued, required, caseExact, description }) => ({
    name,
    type,
    multiValued,
    required,
    caseExact,
    ...(description && { description }),
  })),
});

/** The HRIS provider of a directory (its webhook path and verification scheme). */
export const hrisProviderOf = (provider: DirectoryProvider): HrisProvider | null => {
  const name = provider === 'generic_hris' ? 'generic' : provider;
  return isHrisProvider(name) ? name : null;
};

/** Whether the HR system generates the secret (you paste it in); for the others Mandate issues one. */
const providerIssuesSecret = (provider: DirectoryProvider): boolean => {
  const hris = hrisProviderOf(provider);
  return hris !== null && !issuesHrisSecret(hris);
};

const newSigningSecret = (provider: DirectoryProvider): string => {
  const hris = hrisProviderOf(provider);
  if (hris === null || !issuesHrisSecret(hris)) throw new Error(`${provider} issues its own secret`);
  return generateHrisSecret(hris);
};

export const endpointOf = (baseUrl: string, row: Pick<DirectoryRow, 'directory_id' | 'kind' | 'provider'>) =>
  row.kind === 'scim'
    ? `${baseUrl}/scim/v2/${row.directory_id}`
    : `${baseUrl}/hris/${hrisPathOf(row.provider)}/${row.directory_id}`;

export const hrisPathOf = (provider: DirectoryProvider): string => hrisProviderOf(provider) ?? provider;

const toView = (row: DirectoryRow, baseUrl: string): DirectoryView => ({
  id: row.directory_id,
  organizationId: row.org_id,
  name: row.name,
  kind: row.kind,
  provider: row.provider,
  endpoint: endpointOf(baseUrl, row),
  customSchemas: row.custom_schemas,
  signingSecretSet: row.signing_secret !== null,
  linkedDirectoryId: row.linked_directory_id,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

interface TokenRow {
  token_id: string;
  last_four: string;
  created_at: Date;
  revoked_at: Date | null;
}

const toTokenView = (row: TokenRow): TokenView => ({
  id: row.token_id,
  lastFour: row.last_four,
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

/** Directory use cases of the management API: SCIM and HRIS sources of an organization. */
export class DirectoriesService {
  private readonly execute;

  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: DirectoryWriter,
    private readonly secrets: SecretBox,
  ) {
    this.execute = writer.handlerFor(directoryDecider);
  }

  async create(
    orgId: string,
    input: {
      name: string;
      provider: DirectoryProvider;
      signingSecret?: string | undefined;
      linkedDirectoryId?: string | undefined;
    },
    baseUrl: string,
  ): Promise<CreatedDirectoryView> {
    await this.assertOrganizationActive(orgId);
    const kind = kindOfProvider(input.provider);
    if (kind === 'scim' && input.signingSecret !== undefined) {
      throw new DomainError(
        'invalid',
        'DIRECTORY_SIGNING_SECRET_UNEXPECTED',
        'SCIM directories use bearer tokens',
      );
    }
    if (kind === 'hris' && providerIssuesSecret(input.provider) && input.signingSecret === undefined) {
      throw new DomainError(
        'invalid',
        'DIRECTORY_SIGNING_SECRET_REQUIRED',
        `Paste the webhook secret ${input.provider} shows you as signingSecret`,
      );
    }
    if (input.linkedDirectoryId !== undefined) {
      const linked = await this.row(orgId, input.linkedDirectoryId).catch(() => null);
      if (linked?.kind !== 'scim') {
        throw new DomainError(
          'invalid',
          'DIRECTORY_LINK_INVALID',
          'linkedDirectoryId must name an active SCIM directory of this organization',
        );
      }
    }
    const directoryId = newId('dir');
    const stream = directoryStream(directoryId);
    await this.execute(stream, orgId, 'CreateDirectory', {
      orgId,
      directoryId,
      name: input.name,
      provider: input.provider,
      linkedDirectoryId: input.linkedDirectoryId ?? null,
    });
    if (kind === 'scim') {
      const token = generateScimToken();
      await this.execute(stream, orgId, 'IssueDirectoryToken', {
        tokenId: token.tokenId,
        secretHash: token.secretHash,
        lastFour: token.lastFour,
      });
      return { ...(await this.get(orgId, directoryId, baseUrl)), token: token.token };
    }
    const signingSecret = input.signingSecret ?? newSigningSecret(input.provider);
    await this.setSigningSecret(orgId, directoryId, signingSecret);
    return {
      ...(await this.get(orgId, directoryId, baseUrl)),
      ...(input.signingSecret === undefined && { signingSecret }),
    };
  }

  async get(orgId: string, directoryId: string, baseUrl: string): Promise<DirectoryView> {
    return toView(await this.row(orgId, directoryId), baseUrl);
  }

  async list(
    orgId: string,
    baseUrl: string,
    limit: number,
    after?: string,
  ): Promise<{ data: DirectoryView[]; nextCursor: string | null }> {
    const rows: DirectoryRow[] = await this.dataSource.query(
      `select * from directory.directories where org_id = $1 and status = 'active' and directory_id > $2
       order by directory_id limit $3`,
      [orgId, after ?? '', limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      data: page.map((row) => toView(row, baseUrl)),
      nextCursor: rows.length > limit ? page[page.length - 1]!.directory_id : null,
    };
  }

  async rename(orgId: string, directoryId: string, name: string, baseUrl: string): Promise<DirectoryView> {
    await this.row(orgId, directoryId);
    await this.execute(directoryStream(directoryId), orgId, 'RenameDirectory', { name });
    return this.get(orgId, directoryId, baseUrl);
  }

  async delete(orgId: string, directoryId: string): Promise<void> {
    await this.row(orgId, directoryId);
    await this.execute(directoryStream(directoryId), orgId, 'DeleteDirectory', {});
  }

  /** Deletes a directory as the consequence of another event (its organization's deletion). */
  async deleteAs(orgId: string, directoryId: string, cause: WriteCause): Promise<void> {
    await this.execute(directoryStream(directoryId), orgId, 'DeleteDirectory', {}, { cause });
  }

  async listTokens(orgId: string, directoryId: string): Promise<TokenView[]> {
    await this.row(orgId, directoryId);
    const rows: TokenRow[] = await this.dataSource.query(
      'select * from directory.directory_tokens where directory_id = $1 order by created_at, token_id',
      [directoryId],
    );
    return rows.map(toTokenView);
  }

  async issueToken(orgId: string, directoryId: string): Promise<TokenView & { token: string }> {
    await this.row(orgId, directoryId);
    const token = generateScimToken();
    await this.execute(directoryStream(directoryId), orgId, 'IssueDirectoryToken', {
      tokenId: token.tokenId,
      secretHash: token.secretHash,
      lastFour: token.lastFour,
    });
    return { ...(await this.token(directoryId, token.tokenId)), token: token.token };
  }

  async rotateToken(
    orgId: string,
    directoryId: string,
    tokenId: string,
  ): Promise<TokenView & { token: string }> {
    await this.row(orgId, directoryId);
    const token = generateScimToken();
    await this.execute(directoryStream(directoryId), orgId, 'RotateDirectoryToken', {
      tokenId,
      newToken: { tokenId: token.tokenId, secretHash: token.secretHash, lastFour: token.lastFour },
    });
    return { ...(await this.token(directoryId, token.tokenId)), token: token.token };
  }

  async revokeToken(orgId: string, directoryId: string, tokenId: string): Promise<void> {
    await this.row(orgId, directoryId);
    await this.execute(directoryStream(directoryId), orgId, 'RevokeDirectoryToken', { tokenId });
  }

  /** Replaces the HRIS webhook secret; returns a new Mandate-issued one when none is given. */
  async rotateSigningSecret(
    orgId: string,
    directoryId: string,
    signingSecret: string | undefined,
  ): Promise<{ signingSecret?: string }> {
    const row = await this.row(orgId, directoryId);
    if (signingSecret === undefined && providerIssuesSecret(row.provider)) {
      throw new DomainError(
        'invalid',
        'DIRECTORY_SIGNING_SECRET_REQUIRED',
        `Paste the webhook secret ${row.provider} shows you as signingSecret`,
      );
    }
    const secret = signingSecret ?? newSigningSecret(row.provider);
    await this.setSigningSecret(orgId, directoryId, secret);
    return signingSecret === undefined ? { signingSecret: secret } : {};
  }

  async declareAttributes(
    orgId: string,
    directoryId: string,
    schema: CustomSchema,
    baseUrl: string,
  ): Promise<DirectoryView> {
    await this.row(orgId, directoryId);
    const problems = schemaExtensionProblems([toDeclaration(schema)]);
    if (problems.length > 0) {
      throw new DomainError('invalid', 'DIRECTORY_SCHEMA_INVALID', problems.join('; '), { problems });
    }
    await this.execute(directoryStream(directoryId), orgId, 'DeclareAttributes', schema);
    return this.get(orgId, directoryId, baseUrl);
  }

  /** The directory's row, or 404 when it does not exist, was deleted, or belongs to another organization. */
  async row(orgId: string, directoryId: string): Promise<DirectoryRow> {
    const rows: DirectoryRow[] = await this.dataSource.query(
      "select * from directory.directories where directory_id = $1 and org_id = $2 and status = 'active'",
      [directoryId, orgId],
    );
    if (!rows[0]) throw directoryNotFound();
    return rows[0];
  }

  private async setSigningSecret(orgId: string, directoryId: string, secret: string): Promise<void> {
    await this.execute(directoryStream(directoryId), orgId, 'SetSigningSecret', {
      secretId: randomBytes(8).toString('hex'),
      encryptedSecret: this.secrets.seal(secret, directoryId),
    });
  }

  private async token(directoryId: string, tokenId: string): Promise<TokenView> {
    const rows: TokenRow[] = await this.dataSource.query(
      'select * from directory.directory_tokens where directory_id = $1 and token_id = $2',
      [directoryId, tokenId],
    );
    return toTokenView(rows[0]!);
  }

  private async assertOrganizationActive(orgId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query(
      "select 1 from directory.organizations where org_id = $1 and status = 'active'",
      [orgId],
    );
    if (rows.length === 0) {
      throw new DomainError(
        'not_found',
        'DIRECTORY_ORGANIZATION_NOT_FOUND',
        'The organization does not exist',
      );
    }
  }
}
