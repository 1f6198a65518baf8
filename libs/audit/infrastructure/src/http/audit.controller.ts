import { CurrentPrincipal, type Principal, principalId, ZodQuery } from '@mandate/platform';
import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { z } from 'zod';
import { AuditLogService } from '../log/audit-log.service';
import { CheckpointKeys } from '../log/checkpoint-keys';
import { verifierKey } from '../log/export-format';
import { auditOfAuditing } from '../log/self-audit';

const principalRef = z.string().min(1).max(300);
const recordsQuery = z.strictObject({
  actor: principalRef.optional(),
  onBehalfOf: principalRef.optional(),
  action: z.string().max(200).optional(),
  target: z
    .string()
    .regex(/^[a-z][a-z0-9_]*:.+$/, 'type:id')
    .max(300)
    .optional(),
  outcome: z.enum(['success', 'failure']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  after: z.coerce.number().int().min(-1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const size = z.coerce.number().int().min(0);
const inclusionQuery = z.strictObject({ sequence: size, treeSize: size.min(1) });
const consistencyQuery = z.strictObject({ from: size, to: size.min(1) });
const exportQuery = z.strictObject({ format: z.enum(['jsonl', 'csv', 'ocsf']).default('jsonl') });

/**
 * An organization's audit log: query, export (JSON Lines, CSV, OCSF), signed checkpoints and the
 * proofs that a record is in the log and that the log only grew. Reading and exporting are audited.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/audit')
export class AuditController {
  constructor(
    private readonly log: AuditLogService,
    private readonly keys: CheckpointKeys,
  ) {}

  @Get('records')
  @ApiOperation({
    summary: 'Query the audit records',
    description:
      '`actor` = everything this principal did; `onBehalfOf` = everything done for this human by agents. ' +
      'Cursor: pass `nextCursor` as `after`.',
  })
  async records(
    @Param('orgId') orgId: string,
    @ZodQuery(recordsQuery) query: z.infer<typeof recordsQuery>,
    @CurrentPrincipal() principal: Principal,
  ) {
    const page = await this.log.records(orgId, {
      ...query,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
    });
    await this.log.append(orgId, [auditOfAuditing(orgId, principal, 'audit_log.read', { query })]);
    return page;
  }

  @Get('checkpoints')
  @ApiOperation({ summary: 'Signed checkpoints of the log (C2SP signed notes), newest first' })
  async checkpoints(@Param('orgId') orgId: string) {
    return { origin: this.log.origin(orgId), data: await this.log.checkpoints(orgId) };
  }

  @Post('checkpoints')
  @HttpCode(200)
  @ApiOperation({ summary: "Sign the log's current head now" })
  async checkpoint(@Param('orgId') orgId: string) {
    return { origin: this.log.origin(orgId), checkpoint: await this.log.checkpoint(orgId) };
  }

  @Get('proofs/inclusion')
  @ApiOperation({ summary: 'RFC 9162 inclusion proof of one record in the tree of a given size' })
  inclusion(@Param('orgId') orgId: string, @ZodQuery(inclusionQuery) query: z.infer<typeof inclusionQuery>) {
    return this.log.inclusion(orgId, query.sequence, query.treeSize);
  }

  @Get('proofs/consistency')
  @ApiOperation({ summary: 'RFC 9162 consistency proof between two tree sizes' })
  consistency(
    @Param('orgId') orgId: string,
    @ZodQuery(consistencyQuery) query: z.infer<typeof consistencyQuery>,
  ) {
    return this.log.consistency(orgId, query.from, query.to);
  }

  @Get('export')
  @ApiOperation({
    summary: 'Export the whole log',
    description:
      'JSON Lines: a header (origin, the public keys), one line per record (its RFC 8785 canonical JSON: ' +
      'the bytes its leaf hash covers; records past retention as `{"redacted":true,…}` stubs), then the ' +
      'checkpoints and every leaf hash — verifiable offline with `mandate audit verify`. CSV and OCSF carry ' +
      'the same records (redacted ones left out).',
  })
  async export(
    @Param('orgId') orgId: string,
    @ZodQuery(exportQuery) query: z.infer<typeof exportQuery>,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    await this.log.append(orgId, [
      auditOfAuditing(orgId, principal, 'audit_log.exported', {
        format: query.format,
        by: principalId(principal),
      }),
    ]);
    const contentType = { jsonl: 'application/x-ndjson', csv: 'text/csv', ocsf: 'application/x-ndjson' };
    res.status(200).setHeader('Content-Type', `${contentType[query.format]}; charset=utf-8`);
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="audit-${orgId}.${query.format === 'csv' ? 'csv' : 'jsonl'}"`,
    );
    for await (const chunk of this.log.exportLines(orgId, query.format)) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  }
}

/** The public keys checkpoints are signed with: what a verifier trusts (`mandate audit verify --key`). */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit/keys')
export class AuditKeysController {
  constructor(private readonly keys: CheckpointKeys) {}

  @Get()
  @ApiOperation({ summary: 'The checkpoint-signing keys, newest last, as C2SP verifier keys' })
  list() {
    return {
      data: this.keys.all.map((key) => ({
        name: key.name,
        verifierKey: verifierKey(key),
        createdAt: key.createdAt.toISOString(),
      })),
    };
  }
}
