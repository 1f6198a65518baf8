import { parsePosition, type GlobalPosition } from '@mandate/kernel';
import { ApiProblem, CurrentPrincipal, type Principal, ZodQuery } from '@mandate/platform';
import { Controller, Get, Headers, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { z } from 'zod';
import { type FeedItem, isAfter, RevocationFeed } from './revocation-feed';

const HEARTBEAT_MS = 15_000;
const cursor = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'a cursor this feed returned');
const listQuery = z.strictObject({
  after: cursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const streamQuery = z.strictObject({ after: cursor.optional() });

const position = (value: string | undefined): GlobalPosition | null => {
  if (value === undefined || value === '') return null;
  const parsed = parsePosition(value);
  if (!parsed)
    throw new ApiProblem(
      'PLATFORM_VALIDATION_FAILED',
      'after / Last-Event-ID must be a cursor this feed returned',
    );
  return parsed;
};

const scopeOf = (principal: Principal): string | null =>
  principal.type === 'api_key' ? principal.orgId : null;

const sse = (item: FeedItem) =>
  `id: ${item.revocation.cursor}\nevent: grant.revoked\ndata: ${JSON.stringify(item.revocation)}\n\n`;

/**
 * The revocation feed of docs/revocation-feed.md: catch-up pages and a server-sent-events stream of
 * `grant.revoked`. An organization key sees its organization's revocations; the admin key sees all.
 */
@ApiTags('authn: revocations')
@ApiBearerAuth()
@Controller('api/v1/revocations')
export class RevocationsController {
  constructor(private readonly feed: RevocationFeed) {}

  @Get()
  @ApiOperation({
    summary: 'Revoked grants after a cursor, in cursor order',
    description: 'A page shorter than `limit` means caught up. `nextCursor` goes into `after` next time.',
  })
  async list(
    @ZodQuery(listQuery) query: z.infer<typeof listQuery>,
    @CurrentPrincipal() principal: Principal,
  ) {
    const items = await this.feed.page(position(query.after), query.limit, scopeOf(principal));
    return {
      data: items.map((item) => item.revocation),
      nextCursor: items.at(-1)?.revocation.cursor ?? query.after ?? null,
    };
  }

  @Get('stream')
  @ApiOperation({
    summary: 'Server-sent events: every revocation after the cursor, then each new one as it is committed',
  })
  async stream(
    @ZodQuery(streamQuery) query: z.infer<typeof streamQuery>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    let sent = position(query.after ?? lastEventId);
    const orgId = scopeOf(principal);
    const pending: FeedItem[] = [];
    let live = false;
    const send = (items: readonly FeedItem[]) => {
      for (const item of items) {
        if ((orgId !== null && item.revocation.orgId !== orgId) || !isAfter(item, sent)) continue;
        res.write(sse(item));
        sent = item.position;
      }
    };
    // Listen before catching up, so nothing committed in between is missed.
    const unlisten = this.feed.listen((items) => (live ? send(items) : pending.push(...items)));
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    const close = () => {
      clearInterval(heartbeat);
      unlisten();
    };
    req.on('close', close);
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 5000\n\n');
    try {
      for (;;) {
        const page = await this.feed.page(sent, 1000, orgId);
        send(page);
        if (page.length < 1000) break;
      }
      send(pending.splice(0));
      live = true;
    } catch {
      close();
      res.end();
    }
  }
}
