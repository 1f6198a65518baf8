import { AdminOnly, CurrentPrincipal, type Principal, ZodBody } from '@mandate/platform';
import { Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AuditRetention, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from '../log/retention';

const policy = z.strictObject({ days: z.number().int().min(MIN_RETENTION_DAYS).max(MAX_RETENTION_DAYS) });

/** How long an organization's audit records keep their content (they keep their place in the log forever). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/audit/retention')
export class AuditRetentionController {
  constructor(private readonly retention: AuditRetention) {}

  @Get()
  @ApiOperation({ summary: 'The retention policy (400 days unless set)' })
  get(@Param('orgId') orgId: string) {
    return this.retention.policy(orgId);
  }

  @Put()
  @ApiOperation({
    summary: 'Set the retention, from 30 days to 7 years (2557 days)',
    description:
      'Records older than this are redacted by the retention job: their content goes, their leaf hash ' +
      'stays, so checkpoints, proofs and exports still verify. The change is an audit record.',
  })
  set(
    @Param('orgId') orgId: string,
    @ZodBody(policy) body: z.infer<typeof policy>,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.retention.setPolicy(orgId, body.days, principal);
  }

  @Post('enforce')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Run the retention job for this organization now (it also runs every hour)' })
  enforce(@Param('orgId') orgId: string) {
    return this.retention.enforceFor(orgId);
  }
}
