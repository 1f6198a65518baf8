import { z } from 'zod';

/**
 * The HTTP revocation feed's wire format (docs/revocation-feed.md): what Mandate serves at
 * `GET /api/v1/revocations` and `GET /api/v1/revocations/stream`, and what the SDK accepts.
 *
 * Objects may gain members (they are ignored), and `reason` is any string: a follower must never
 * drop a revocation because it does not know why it happened.
 */
export const REVOCATION_EVENT = 'grant.revoked';
export const MAX_REVOCATION_PAGE_SIZE = 1000;

/** Opaque to clients; URL-safe, totally ordered by the server. */
export const revocationCursorSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._~:-]+$/);

export const feedRevocationSchema = z.object({
  cursor: revocationCursorSchema,
  grantId: z.string().min(8).max(64),
  orgId: z.string().min(1).max(64),
  subject: z.string().max(300),
  clientId: z.string().max(300),
  actor: z.string().max(300).nullable(),
  reason: z.string().max(100),
  revokedAt: z.iso.datetime({ offset: true }),
  expiresAt: z.iso.datetime({ offset: true }),
});
export type FeedRevocation = z.infer<typeof feedRevocationSchema>;

/** One page of `GET /api/v1/revocations?after=<cursor>&limit=<n>`, in cursor order. */
export const revocationPageSchema = z.object({
  data: z.array(z.unknown()).max(MAX_REVOCATION_PAGE_SIZE),
  /**
   * Where the next page starts: the cursor of the last item of `data`, or the `after` the request
   * gave when `data` is empty (null only for an empty feed read from its beginning).
   */
  nextCursor: revocationCursorSchema.nullable(),
});
export type RevocationPage = { data: FeedRevocation[]; nextCursor: string | null };
