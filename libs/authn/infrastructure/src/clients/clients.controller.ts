import { ZodBody, ZodQuery } from '@mandate/platform';
import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ClientsService } from './clients.service';

const jwks = z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) });
const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'a scope token (RFC 6749 §3.3)');
const audiences = z.array(z.url()).min(1).max(20);

const registerClient = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['application', 'service']).default('application'),
  redirectUris: z.array(z.string().max(2000)).max(20).default([]),
  grantTypes: z.array(z.string()).min(1).max(4),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'private_key_jwt', 'none']),
  jwks: jwks.nullable().default(null),
  scopes: z.array(scope).max(200).default([]),
  audiences,
  /** OpenID Connect Back-Channel Logout 1.0: where logout tokens are posted (https, or http on loopback). */
  backchannelLogoutUri: z.string().max(2000).nullable().default(null),
  backchannelLogoutSessionRequired: z.boolean().default(true),
});

const agentCredentials = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'private_key_jwt']).default('private_key_jwt'),
  jwks: jwks.nullable().default(null),
  scopes: z.array(scope).max(200).default([]),
  audiences,
});

const rotation = z.strictObject({ jwks: jwks.optional() });

const listQuery = z.strictObject({
  agentId: z
    .string()
    .regex(/^agt_[0-9a-z]{26}$/)
    .optional(),
});

/**
 * OAuth clients of an organization. A `client_secret_basic` client's secret is returned once, by
 * registration and rotation, and kept only as a hash; `private_key_jwt` clients register public keys.
 */
@ApiTags('authn: clients')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Post('clients')
  @ApiOperation({ summary: 'Register an application or service client' })
  register(@Param('orgId') orgId: string, @ZodBody(registerClient) body: z.infer<typeof registerClient>) {
    return this.clients.register(orgId, body);
  }

  @Post('agents/:agentId/credentials')
  @ApiOperation({
    summary: "Issue an agent's OAuth credentials",
    description:
      'The client authenticates with private_key_jwt (preferred: send the public jwks) or client_secret_basic ' +
      '(the secret is in the answer, once). Client credentials give tokens with `sub` = the agent; token ' +
      'exchange under a mandate gives tokens with `sub` = the human and `act.sub` = the agent.',
  })
  registerAgent(
    @Param('orgId') orgId: string,
    @Param('agentId') agentId: string,
    @ZodBody(agentCredentials) body: z.infer<typeof agentCredentials>,
  ) {
    return this.clients.registerAgentCredentials(orgId, agentId, body);
  }

  @Get('clients')
  @ApiOperation({ summary: "List the organization's clients (or one agent's)" })
  async list(@Param('orgId') orgId: string, @ZodQuery(listQuery) query: z.infer<typeof listQuery>) {
    return { data: await this.clients.list(orgId, query.agentId) };
  }

  @Get('clients/:clientId')
  @ApiOperation({ summary: 'Read a client' })
  get(@Param('orgId') orgId: string, @Param('clientId') clientId: string) {
    return this.clients.get(orgId, clientId);
  }

  @Post('clients/:clientId/rotate-credentials')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the client secret (shown once) or replace the public keys' })
  rotate(
    @Param('orgId') orgId: string,
    @Param('clientId') clientId: string,
    @ZodBody(rotation) body: z.infer<typeof rotation>,
  ) {
    return this.clients.rotate(orgId, clientId, body.jwks ?? null);
  }

  @Delete('clients/:clientId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a client; every grant issued to it is revoked' })
  async delete(@Param('orgId') orgId: string, @Param('clientId') clientId: string) {
    await this.clients.delete(orgId, clientId);
  }
}
