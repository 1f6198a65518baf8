import {
  type GrantIssued,
  type GrantRevocationReason,
  type GrantRevoked,
  grantStream,
} from '@mandate/contracts';
import { WrongExpectedRevisionError } from '@mandate/eventstore';
import { type ContextWriter, type WriteCause } from '@mandate/platform';
import { type DataSource } from 'typeorm';

export type GrantFacts = GrantIssued['data'];

export interface GrantRow {
  grant_id: string;
  org_id: string;
  client_id: string;
  subject: string;
  actor: string | null;
  mandate_id: string | null;
  grant_type: string;
  scope: string;
  audience: string;
  issued_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

/** Which live grants a cascade revokes. */
export type GrantSelector =
  | { readonly subject: string }
  | { readonly actor: string }
  | { readonly mandateId: string }
  | { readonly clientId: string }
  | { readonly organization: true };

const selectorSql = (selector: GrantSelector): [string, string] => {
  if ('subject' in selector) return ['subject = $2', selector.subject];
  if ('actor' in selector) return ['actor = $2', selector.actor];
  if ('mandateId' in selector) return ['mandate_id = $2', selector.mandateId];
  if ('clientId' in selector) return ['client_id = $2', selector.clientId];
  return ['$2::text is null', null as unknown as string];
};

/**
 * Grants — token families — as events. Issuing one records `authn.grant.issued` (revision 0 of its
 * stream) before any token of it leaves; revoking appends `authn.grant.revoked` at revision 1, so a
 * revocation is stored once however many cascades race to make it, and only then are the grant's
 * protocol artifacts (refresh tokens, codes) deleted: a crash in between loses nothing.
 */
export class GrantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: ContextWriter,
    private readonly artifacts: { revokeByGrantId(grantId: string): Promise<void> },
  ) {}

  async record(grant: GrantFacts, cause?: WriteCause): Promise<void> {
    const event: GrantIssued = { type: 'authn.grant.issued', data: grant };
    await this.writer.appendExpecting(grantStream(grant.grantId), grant.orgId, [event], 'no_stream', cause);
  }

  async find(grantId: string): Promise<GrantRow | null> {
    const rows: GrantRow[] = await this.dataSource.query('select * from authn.grants where grant_id = $1', [
      grantId,
    ]);
    return rows[0] ?? null;
  }

  /** Revokes one grant; false when it was unknown or already revoked. */
  async revoke(grant: GrantRow, reason: GrantRevocationReason, cause?: WriteCause): Promise<boolean> {
    if (grant.revoked_at !== null) return false;
    const event: GrantRevoked = {
      type: 'authn.grant.revoked',
      data: {
        orgId: grant.org_id,
        grantId: grant.grant_id,
        subject: grant.subject,
        clientId: grant.client_id,
        actor: grant.actor,
        reason,
        revokedAt: this.writer.clock().toISOString(),
        expiresAt: grant.expires_at.toISOString(),
      },
    };
    try {
      await this.writer.appendExpecting(grantStream(grant.grant_id), grant.org_id, [event], 0, cause);
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return false;
      throw error;
    }
    await this.artifacts.revokeByGrantId(grant.grant_id);
    return true;
  }

  /** Revokes every live grant of the organization the selector picks (and `keep` does not spare). */
  async revokeWhere(
    orgId: string,
    selector: GrantSelector,
    reason: GrantRevocationReason,
    cause?: WriteCause,
    keep: (grant: GrantRow) => boolean = () => false,
  ): Promise<number> {
    const [where, value] = selectorSql(selector);
    const live: GrantRow[] = await this.dataSource.query(
      `select * from authn.grants where org_id = $1 and ${where} and revoked_at is null and expires_at > $3`,
      [orgId, value, this.writer.clock()],
    );
    const revoked = await Promise.all(
      live.filter((grant) => !keep(grant)).map((grant) => this.revoke(grant, reason, cause)),
    );
    return revoked.filter(Boolean).length;
  }
}
