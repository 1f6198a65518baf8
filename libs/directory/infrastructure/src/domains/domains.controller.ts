import { ZodBody } from '@mandate/platform';
import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { type DomainView, DomainsService } from './domains.service';

const addDomain = z.strictObject({ domain: z.string().trim().min(1).max(253) });

@ApiTags('domains')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/domains')
export class DomainsController {
  constructor(private readonly domains: DomainsService) {}

  @Post()
  @ApiOperation({
    summary: 'Add a domain to verify',
    description:
      'The answer names the TXT record to publish; then call verify. A domain is verified by one organization only.',
  })
  add(
    @Param('orgId') orgId: string,
    @ZodBody(addDomain) body: z.infer<typeof addDomain>,
  ): Promise<DomainView> {
    return this.domains.add(orgId, body.domain);
  }

  @Get()
  @ApiOperation({ summary: "List an organization's domains" })
  async list(@Param('orgId') orgId: string): Promise<{ data: DomainView[] }> {
    return { data: await this.domains.list(orgId) };
  }

  @Get(':domain')
  @ApiOperation({ summary: 'Read a domain and its verification record' })
  get(@Param('orgId') orgId: string, @Param('domain') domain: string): Promise<DomainView> {
    return this.domains.get(orgId, domain.toLowerCase());
  }

  @Post(':domain/verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check the TXT record now and verify the domain',
    description:
      '412 DIRECTORY_DOMAIN_NOT_VERIFIED while the record is missing; 409 DIRECTORY_DOMAIN_CLAIMED when another organization verified it.',
  })
  verify(@Param('orgId') orgId: string, @Param('domain') domain: string): Promise<DomainView> {
    return this.domains.verify(orgId, domain);
  }

  @Delete(':domain')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a domain (a verified one is released for other organizations)' })
  remove(@Param('orgId') orgId: string, @Param('domain') domain: string): Promise<void> {
    return this.domains.remove(orgId, domain);
  }
}
