import { ZodBody, ZodQuery } from '@mandate/platform';
import { Controller, Get, HttpCode, NotFoundException, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Request } from 'express';
import { z } from 'zod';
import { tupleSchema } from '../http/authz-schemas';
import { RelationshipsService } from './relationships.service';

const writeTuples = z.strictObject({
  writes: z.array(tupleSchema).max(1000).default([]),
  deletes: z.array(tupleSchema).max(1000).default([]),
});
const readTuples = z.strictObject({
  object: z.string().max(300).optional(),
  relation: z.string().max(50).optional(),
  subject: z.string().max(320).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().max(1000).optional(),
});

/** The organization's relationship model (docs/authz-model.md) and its relationship tuples. */
@ApiTags('authz: relationships')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/authz')
export class RelationshipsController {
  constructor(private readonly relationships: RelationshipsService) {}

  @Put('model')
  @ApiOperation({
    summary: 'Write the relationship model (a new version)',
    description: '400 AUTHZ_MODEL_INVALID lists every problem with its path.',
  })
  writeModel(@Param('orgId') orgId: string, @Req() request: Request) {
    return this.relationships.writeModel(orgId, request.body);
  }

  @Get('model')
  @ApiOperation({ summary: 'Read the current relationship model' })
  async model(@Param('orgId') orgId: string) {
    const model = await this.relationships.model(orgId);
    if (!model) throw new NotFoundException('The organization has no relationship model yet');
    return model;
  }

  @Post('tuples')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Write and delete relationship tuples (validated against the model), up to 1,000 per request',
    description:
      'Answers with a consistency token: pass it as consistency.atLeastAsFresh to read your write.',
  })
  write(@Param('orgId') orgId: string, @ZodBody(writeTuples) body: z.infer<typeof writeTuples>) {
    return this.relationships.write(orgId, body.writes, body.deletes);
  }

  @Get('tuples')
  @ApiOperation({ summary: 'Read tuples (filter by object, relation or subject), with cursor pagination' })
  read(@Param('orgId') orgId: string, @ZodQuery(readTuples) query: z.infer<typeof readTuples>) {
    return this.relationships.read(orgId, query, query.limit, query.after);
  }
}
