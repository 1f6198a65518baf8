import { AdminOnly, ZodBody, ZodQuery } from '@mandate/platform';
import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import {
  type ApiKeyView,
  type IssuedApiKeyView,
  type OrganizationView,
  OrganizationsService,
} from './organizations.service';

const organizationName = z.string().trim().min(1).max(200);
const createOrganization = z.strictObject({ name: organizationName });
const renameOrganization = z.strictObject({ name: organizationName });
const listOrganizations = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().max(40).optional(),
});
const issueApiKey = z.strictObject({ name: z.string().trim().min(1).max(100) });

@ApiTags('organizations')
@ApiBearerAuth()
@Controller('api/v1/organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @AdminOnly()
  @ApiOperation({ summary: 'Create an organization (admin key)' })
  create(@ZodBody(createOrganization) body: z.infer<typeof createOrganization>): Promise<OrganizationView> {
    return this.organizations.create(body.name);
  }

  @Get()
  @AdminOnly()
  @ApiOperation({ summary: 'List active organizations, oldest first, with cursor pagination (admin key)' })
  list(@ZodQuery(listOrganizations) query: z.infer<typeof listOrganizations>) {
    return this.organizations.list(query.limit, query.after);
  }

  @Get(':orgId')
  @ApiOperation({ summary: 'Read an organization' })
  get(@Param('orgId') orgId: string): Promise<OrganizationView> {
    return this.organizations.get(orgId);
  }

  @Patch(':orgId')
  @ApiOperation({ summary: 'Rename an organization' })
  rename(
    @Param('orgId') orgId: string,
    @ZodBody(renameOrganization) body: z.infer<typeof renameOrganization>,
  ): Promise<OrganizationView> {
    return this.organizations.rename(orgId, body.name);
  }

  @Delete(':orgId')
  @AdminOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an organization and revoke its API keys (admin key)' })
  delete(@Param('orgId') orgId: string): Promise<void> {
    return this.organizations.delete(orgId);
  }

  @Post(':orgId/api-keys')
  @ApiOperation({ summary: 'Issue an organization API key; the key is in this response only' })
  issueApiKey(
    @Param('orgId') orgId: string,
    @ZodBody(issueApiKey) body: z.infer<typeof issueApiKey>,
  ): Promise<IssuedApiKeyView> {
    return this.organizations.issueApiKey(orgId, body.name);
  }

  @Get(':orgId/api-keys')
  @ApiOperation({ summary: "List an organization's API keys (never the secrets)" })
  async listApiKeys(@Param('orgId') orgId: string): Promise<{ data: ApiKeyView[] }> {
    return { data: await this.organizations.listApiKeys(orgId) };
  }

  @Post(':orgId/api-keys/:keyId/rotate')
  @ApiOperation({ summary: 'Replace an API key with a new one; the old one stops working at once' })
  rotateApiKey(@Param('orgId') orgId: string, @Param('keyId') keyId: string): Promise<IssuedApiKeyView> {
    return this.organizations.rotateApiKey(orgId, keyId);
  }

  @Delete(':orgId/api-keys/:keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key' })
  revokeApiKey(@Param('orgId') orgId: string, @Param('keyId') keyId: string): Promise<void> {
    return this.organizations.revokeApiKey(orgId, keyId);
  }
}
