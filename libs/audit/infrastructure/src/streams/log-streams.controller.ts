import { ZodBody } from '@mandate/platform';
import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { LogStreams } from './log-streams';

const create = z.strictObject({ kind: z.literal('http').default('http'), url: z.string().min(1).max(2000) });
const redeliver = z.strictObject({ fromSequence: z.number().int().min(0) });

/** Streams of an organization's audit log to its SIEM, with their delivery state. */
@ApiTags('audit: streams')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/audit/streams')
export class LogStreamsController {
  constructor(private readonly streams: LogStreams) {}

  @Post()
  @ApiOperation({
    summary: 'Stream the log to an HTTPS endpoint (Standard Webhooks)',
    description:
      'Every record, in order, as `{type, timestamp, data}` with `webhook-id` (the record id), `webhook-timestamp` ' +
      'and `webhook-signature: v1,<HMAC-SHA256>`; the `whsec_` secret is in this answer only.',
  })
  create(@Param('orgId') orgId: string, @ZodBody(create) body: z.infer<typeof create>) {
    return this.streams.create(orgId, body.url);
  }

  @Get()
  @ApiOperation({ summary: 'The streams and where each one is: delivered through, failures, dead letters' })
  async list(@Param('orgId') orgId: string) {
    return { data: await this.streams.list(orgId) };
  }

  @Post(':streamId/redeliver')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send the log again from a sequence (dead letters included); re-enables the stream',
  })
  redeliver(
    @Param('orgId') orgId: string,
    @Param('streamId') streamId: string,
    @ZodBody(redeliver) body: z.infer<typeof redeliver>,
  ) {
    return this.streams.redeliver(orgId, streamId, body.fromSequence);
  }
}
