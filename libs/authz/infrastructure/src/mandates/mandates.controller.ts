import { permissionSchema } from '@mandate/contracts';
import { CurrentPrincipal, type Principal, principalId, ZodBody, ZodQuery } from '@mandate/platform';
import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MandatesService } from './mandates.service';

const grant = z.strictObject({
  userId: z.string().regex(/^usr_[0-9a-z]{26}$/),
  agentId: z.string().regex(/^agt_[0-9a-z]{26}$/),
  permissions: z.array(permissionSchema).min(1).max(100),
  resources: z.array(z.string().max(300)).max(100).default([]),
  expiresAt: z.iso.datetime({ offset: true }).nullable().default(null),
  reason: z.string().trim().min(1).max(1000),
});
const listQuery = z.strictObject({
  userId: z
    .string()
    .regex(/^usr_[0-9a-z]{26}$/)
    .optional(),
  agentId: z
    .string()
    .regex(/^agt_[0-9a-z]{26}$/)
    .optional(),
  status: z.enum(['active', 'suspended', 'revoked']).optional(),
});

/**
 * Mandates: what a human delegates to an agent — permissions, on which resources (none: the whole
 * organization; `type:*`: every object of a type), until when, and why. A human can only delegate what
 * they hold; what the agent may do is, at every check, the mandate ∩ what the human holds then.
 */
@ApiTags('authz: mandates')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/mandates')
export class MandatesController {
  constructor(private readonly mandates: MandatesService) {}

  @Post()
  @ApiOperation({
    summary: 'Grant a mandate from a user to an agent',
    description: '403 AUTHZ_MANDATE_EXCEEDS_DELEGATOR names the permissions the user does not hold.',
  })
  grant(
    @Param('orgId') orgId: string,
    @ZodBody(grant) body: z.infer<typeof grant>,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.mandates.grant(
      orgId,
      { ...body, expiresAt: body.expiresAt === null ? null : new Date(body.expiresAt) },
      principalId(principal),
    );
  }

  @Get()
  @ApiOperation({ summary: "List the organization's mandates (optionally one user's or one agent's)" })
  async list(@Param('orgId') orgId: string, @ZodQuery(listQuery) query: z.infer<typeof listQuery>) {
    return { data: await this.mandates.list(orgId, query) };
  }

  @Get(':mandateId')
  @ApiOperation({ summary: 'Read a mandate' })
  get(@Param('orgId') orgId: string, @Param('mandateId') mandateId: string) {
    return this.mandates.get(orgId, mandateId);
  }

  @Delete(':mandateId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a mandate' })
  async revoke(@Param('orgId') orgId: string, @Param('mandateId') mandateId: string) {
    return { token: await this.mandates.revoke(orgId, mandateId) };
  }
}
