import { directoryProviderSchema } from '@mandate/contracts';
import { ZodBody, ZodQuery } from '@mandate/platform';
import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Request } from 'express';
import { z } from 'zod';
import { baseUrlOf } from '../http/base-url';
import { DirectoriesService } from './directories.service';

const name = z.string().trim().min(1).max(200);
const createDirectory = z.strictObject({
  name,
  provider: directoryProviderSchema,
  /** BambooHR and Rippling: the webhook secret they show you. */
  signingSecret: z.string().min(16).max(512).optional(),
  /** HRIS only: apply this source's lifecycle changes to that SCIM directory's users (matched by employee number). */
  linkedDirectoryId: z
    .string()
    .regex(/^dir_[0-9a-z]{26}$/)
    .optional(),
});
const renameDirectory = z.strictObject({ name });
const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().max(40).optional(),
});
const rotateSecret = z.strictObject({ signingSecret: z.string().min(16).max(512).optional() });
const customAttribute = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/),
  type: z.enum(['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference']).default('string'),
  multiValued: z.boolean().default(false),
  required: z.boolean().default(false),
  caseExact: z.boolean().default(false),
  description: z.string().max(500).default(''),
});
const declareAttributes = z.strictObject({
  resourceType: z.enum(['User', 'Group']),
  schemaUrn: z.string().min(1).max(300),
  attributes: z.array(customAttribute).max(100),
});

@ApiTags('directories')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/directories')
export class DirectoriesController {
  constructor(private readonly directories: DirectoriesService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a SCIM or HRIS directory',
    description:
      'A SCIM directory answers with its SCIM base URL and a bearer token (shown only here); an HRIS directory ' +
      'with its webhook URL and, for generic and Workday sources, the webhook signing secret (shown only here).',
  })
  create(
    @Param('orgId') orgId: string,
    @ZodBody(createDirectory) body: z.infer<typeof createDirectory>,
    @Req() request: Request,
  ) {
    return this.directories.create(orgId, body, baseUrlOf(request));
  }

  @Get()
  @ApiOperation({ summary: "List an organization's directories, oldest first, with cursor pagination" })
  list(
    @Param('orgId') orgId: string,
    @ZodQuery(listQuery) query: z.infer<typeof listQuery>,
    @Req() request: Request,
  ) {
    return this.directories.list(orgId, baseUrlOf(request), query.limit, query.after);
  }

  @Get(':directoryId')
  @ApiOperation({ summary: 'Read a directory' })
  get(@Param('orgId') orgId: string, @Param('directoryId') directoryId: string, @Req() request: Request) {
    return this.directories.get(orgId, directoryId, baseUrlOf(request));
  }

  @Patch(':directoryId')
  @ApiOperation({ summary: 'Rename a directory' })
  rename(
    @Param('orgId') orgId: string,
    @Param('directoryId') directoryId: string,
    @ZodBody(renameDirectory) body: z.infer<typeof renameDirectory>,
    @Req() request: Request,
  ) {
    return this.directories.rename(orgId, directoryId, body.name, baseUrlOf(request));
  }

  @Delete(':directoryId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a directory: its tokens stop working, and its users and groups are deleted',
  })
  delete(@Param('orgId') orgId: string, @Param('directoryId') directoryId: string): Promise<void> {
    return this.directories.delete(orgId, directoryId);
  }

  @Get(':directoryId/tokens')
  @ApiOperation({ summary: "List a SCIM directory's bearer tokens (never the secrets)" })
  async listTokens(@Param('orgId') orgId: string, @Param('directoryId') directoryId: string) {
    return { data: await this.directories.listTokens(orgId, directoryId) };
  }

  @Post(':directoryId/tokens')
  @ApiOperation({ summary: 'Issue another SCIM bearer token; it is in this response only' })
  issueToken(@Param('orgId') orgId: string, @Param('directoryId') directoryId: string) {
    return this.directories.issueToken(orgId, directoryId);
  }

  @Post(':directoryId/tokens/:tokenId/rotate')
  @ApiOperation({ summary: 'Replace a SCIM bearer token; the old one stops working at once' })
  rotateToken(
    @Param('orgId') orgId: string,
    @Param('directoryId') directoryId: string,
    @Param('tokenId') tokenId: string,
  ) {
    return this.directories.rotateToken(orgId, directoryId, tokenId);
  }

  @Delete(':directoryId/tokens/:tokenId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a SCIM bearer token' })
  revokeToken(
    @Param('orgId') orgId: string,
    @Param('directoryId') directoryId: string,
    @Param('tokenId') tokenId: string,
  ): Promise<void> {
    return this.directories.revokeToken(orgId, directoryId, tokenId);
  }

  @Post(':directoryId/signing-secret')
  @ApiOperation({
    summary: "Replace an HRIS directory's webhook signing secret",
    description: "Send the provider's new secret, or nothing to have Mandate issue one (returned only here).",
  })
  rotateSigningSecret(
    @Param('orgId') orgId: string,
    @Param('directoryId') directoryId: string,
    @ZodBody(rotateSecret) body: z.infer<typeof rotateSecret>,
  ) {
    return this.directories.rotateSigningSecret(orgId, directoryId, body.signingSecret);
  }

  @Put(':directoryId/schemas')
  @ApiOperation({
    summary: 'Declare custom SCIM attributes for Users or Groups',
    description: 'The attributes live in an extension schema of your own URN, advertised in /Schemas.',
  })
  declareAttributes(
    @Param('orgId') orgId: string,
    @Param('directoryId') directoryId: string,
    @ZodBody(declareAttributes) body: z.infer<typeof declareAttributes>,
    @Req() request: Request,
  ) {
    return this.directories.declareAttributes(orgId, directoryId, body, baseUrlOf(request));
  }
}
