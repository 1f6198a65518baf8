import { DomainError } from '@mandate/kernel';
import { createHash, randomBytes } from 'node:crypto';
import { type DataSource } from 'typeorm';

export const LOGIN_TICKET_TTL_MS = 5 * 60_000;

const hash = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

/**
 * One-time login tickets: how a person signs in at Mandate's authorization endpoint until their
 * organization's SSO connection does it (and how operators and tests sign someone in). Issued
 * through the management API, kept hashed, valid five minutes, used once.
 */
export class LoginTickets {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => Date,
  ) {}

  async issue(orgId: string, userId: string): Promise<{ ticket: string; expiresAt: string }> {
    const [user] = await this.dataSource.query<{ status: string }[]>(
      'select status from authn.users where user_id = $1 and org_id = $2',
      [userId, orgId],
    );
    if (!user)
      throw new DomainError('not_found', 'AUTHN_USER_NOT_FOUND', 'The organization has no such user');
    if (user.status !== 'active')
      throw new DomainError('precondition_failed', 'AUTHN_USER_INACTIVE', 'The user is not active');
    const ticket = `mlt_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(this.clock().getTime() + LOGIN_TICKET_TTL_MS);
    await this.dataSource.query(
      'insert into authn.login_tickets (ticket_hash, org_id, user_id, expires_at) values ($1, $2, $3, $4)',
      [hash(ticket), orgId, userId, expiresAt],
    );
    return { ticket, expiresAt: expiresAt.toISOString() };
  }

  /** Uses the ticket up; the person it signs in (active, of `orgId`), or null. */
  async redeem(ticket: string, orgId: string): Promise<string | null> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      `with used as (
         update authn.login_tickets t set used_at = $3
           from authn.users u
          where t.ticket_hash = $1 and t.org_id = $2 and t.used_at is null and t.expires_at > $3
            and u.user_id = t.user_id and u.status = 'active'
         returning t.user_id)
       select user_id from used`,
      [hash(ticket), orgId, this.clock()],
    );
    return rows[0]?.user_id ?? null;
  }
}
