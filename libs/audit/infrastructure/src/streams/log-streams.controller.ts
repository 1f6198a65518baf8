import { SYSLOG_FACILITIES, type SyslogFacility } from '@mandate/audit-domain';
import { ZodBody } from '@mandate/platform';
import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { LogStreams } from './log-streams';

const pem = z.string().min(1).max(65_536);
const serverName = z.string().min(1).max(253);

/** The shape of a destination; what its values may be (hosts, ports, topics, plain text) is the domain's check. */
const create = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('http').optional().default('http'), url: z.string().min(1).max(2000) }),
  z.strictObject({
    kind: z.literal('kafka'),
    brokers: z.array(z.string().min(1).max(300)).max(16),
    topic: z.string().max(300),
    tls: z.boolean().optional(),
    ca: pem.optional(),
    serverName: serverName.optional(),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().max(255),
        password: z.string().max(1024),
      })
      .optional(),
  }),
  z.strictObject({
    kind: z.literal('syslog'),
    host: z.string().min(1).max(253),
    port: z.number().int(),
    tls: z.boolean(),
    ca: pem.optional(),
    serverName: serverName.optional(),
    facility: z.enum(Object.keys(SYSLOG_FACILITIES) as [SyslogFacility, ...SyslogFacility[]]).optional(),
  }),
]);
const redeliver = z.strictObject({ fromSequence: z.number().int().min(0) });

/** Streams of an organization's audit log to its SIEM, with their delivery state. */
@ApiTags('audit: streams')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/audit/streams')
export class LogStreamsController {
  constructor(private readonly streams: LogStreams) {}

  @Post()
  @ApiOperation({
    summary: 'Stream the log to an HTTPS endpoint, a Kafka topic or a syslog collector',
    description:
      '`http`: every record, in order, as `{type, timestamp, data}` with `webhook-id` (the record id), ' +
      '`webhook-timestamp` and `webhook-signature: v1,<HMAC-SHA256>`; the `whsec_` secret is in this answer only. ' +
      '`kafka`: the record JSON keyed by organization id, headers `mandate-record-id`, `mandate-sequence`, ' +
      '`mandate-org-id`. `syslog`: RFC 5424 over TCP (RFC 6587 octet counting) or TLS (RFC 5425). ' +
      'Plain text (http, TCP, Kafka without TLS) only to loopback.',
  })
  create(@Param('orgId') orgId: string, @ZodBody(create) body: z.infer<typeof create>) {
    return this.streams.create(orgId, body);
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
