import { type EventStore } from '@mandate/eventstore';
import { formatPosition, parsePosition, type RecordedEvent } from '@mandate/kernel';
import { ApiProblem, assertOrgAccess, CurrentPrincipal, type Principal, ZodQuery } from '@mandate/platform';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';

export const IDENTITY_EVENT_STORE = Symbol('IDENTITY_EVENT_STORE');

const eventsQuery = z.strictObject({
  after: z.string().max(50).optional(),
  /** Comma-separated event types; `directory.user.*` takes every type of that entity. */
  types: z.string().max(2000).optional(),
  orgId: z
    .string()
    .regex(/^org_[0-9a-z]{26}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Secrets travel in events only as hashes or sealed, and not even those leave through this API. */
const REDACTED_FIELDS = new Set(['secretHash', 'encryptedSecret', 'verificationToken']);

const redact = (data: unknown): unknown =>
  data && typeof data === 'object' && !Array.isArray(data)
    ? Object.fromEntries(Object.entries(data).filter(([key]) => !REDACTED_FIELDS.has(key)))
    : data;

const toWire = (event: RecordedEvent) => ({
  id: event.id,
  type: event.type,
  schemaVersion: event.schemaVersion,
  orgId: event.orgId,
  stream: event.stream,
  streamRevision: event.streamRevision,
  cursor: formatPosition(event.position),
  occurredAt: event.occurredAt.toISOString(),
  actor: event.actor,
  causationId: event.causationId,
  correlationId: event.correlationId,
  data: redact(event.data),
});

/** How many events one request reads at most while looking for matches, so a rare filter cannot scan forever. */
const SCAN_LIMIT = 10_000;
const PAGE = 1_000;

@ApiTags('events')
@ApiBearerAuth()
@Controller('api/v1/events')
export class EventsController {
  constructor(@Inject(IDENTITY_EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @ApiOperation({
    summary: 'The ordered identity event stream, for systems that poll',
    description:
      'Events in commit order after `after` (the `cursor` of the last event you processed, or `nextCursor`). ' +
      'An organization key sees its own organization only. The stream has no retention cliff: every event ' +
      'since the beginning can be read again. `nextCursor` is returned even when no event matched, so a ' +
      'sparse filter makes progress.',
  })
  async list(
    @ZodQuery(eventsQuery) query: z.infer<typeof eventsQuery>,
    @CurrentPrincipal() principal: Principal,
  ) {
    const orgId = principal.type === 'api_key' ? (query.orgId ?? principal.orgId) : query.orgId;
    if (orgId) assertOrgAccess(principal, orgId);
    let after = null;
    if (query.after !== undefined) {
      after = parsePosition(query.after);
      if (!after) throw new ApiProblem('PLATFORM_BAD_REQUEST', '`after` is not a cursor this API returned.');
    }
    const types =
      query.types
        ?.split(',')
        .map((type) => type.trim())
        .filter(Boolean) ?? [];
    const exact = types.filter((type) => !type.endsWith('*'));
    const prefixes = types.filter((type) => type.endsWith('*')).map((type) => type.slice(0, -1));
    // The store filters on exact types or on prefixes, not on a mix: a mix is filtered here.
    const storeFilter =
      types.length === 0 || (exact.length > 0 && prefixes.length > 0)
        ? undefined
        : prefixes.length === 0
          ? { types: exact }
          : { typePrefixes: prefixes };
    const wanted = (event: RecordedEvent) =>
      (orgId === undefined || event.orgId === orgId) &&
      (types.length === 0 || exact.includes(event.type) || prefixes.some((p) => event.type.startsWith(p)));
    const data: RecordedEvent[] = [];
    let scanned = 0;
    let cursor = after;
    while (data.length < query.limit && scanned < SCAN_LIMIT) {
      const page = await this.store.readAll({
        after: cursor,
        maxCount: PAGE,
        ...(storeFilter && { filter: storeFilter }),
      });
      for (const event of page) {
        cursor = event.position;
        scanned++;
        if (!wanted(event)) continue;
        data.push(event);
        if (data.length === query.limit) break;
      }
      if (page.length < PAGE) break;
    }
    return { data: data.map(toWire), nextCursor: cursor ? formatPosition(cursor) : (query.after ?? null) };
  }
}
