import {
  type GrantIssued,
  GrantIssuedV1,
  type GrantRevocationReason,
  type GrantRevoked,
  GrantRevokedV1,
  grantStream,
} from '@mandate/contracts';
import { type EventStore, WrongExpectedRevisionError } from '@mandate/eventstore';
import { type ContextWriter, type ReadModelProgress, type WriteCause } from '@mandate/platform';
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

/** How long a cascade waits for the grants read model to include every grant issued before it began. */
const CASCADE_CATCH_UP_MS = 15_000;

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
    private readonly store: EventStore,
    private readonly readModel: ReadModelProgress,
  ) {}

  /**
   * Stores the grant once (recording it again changes nothing); the token may leave at once. Its read-model row follows: `find` falls back to
   * the grant's stream, and a cascade first waits for the read model to catch up.
   */
  async record(grant: GrantFacts, cause?: WriteCause): Promise<void> {
    const event: GrantIssued = { type: 'authn.grant.issued', data: grant };
    try {
      await this.store.append(grantStream(grant.grantId), [event], {
        expectedRevision: 'no_stream',
        metadata: this.writer.metadata(grant.orgId, cause),
      });
    } catch (error) {
      // Already recorded: a code-flow grant's later tokens (a refresh after a restart) are of the same grant.
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }

  async find(grantId: string): Promise<GrantRow | null> {
    const rows: GrantRow[] = await this.dataSource.query('select * from authn.grants where grant_id = $1', [
      grantId,
    ]);
    return rows[0] ?? this.fromStream(grantId);
  }

  /** A grant issued a moment ago whose row the projection has not written yet. */
  private async fromStream(grantId: string): Promise<GrantRow | null> {
    const { events } = await this.store.readStream(grantStream(grantId));
    const issued = events.find((event) => GrantIssuedV1.is(event));
    if (!issued || !GrantIssuedV1.is(issued)) return null;
    const revoked = events.find((event) => GrantRevokedV1.is(event));
    const d = issued.data;
    return {
      grant_id: d.grantId,
      org_id: d.orgId,
      client_id: d.clientId,
      subject: d.subject,
      actor: d.actor,
      mandate_id: d.mandateId,
      grant_type: d.grantType,
      scope: d.scope,
      audience: d.audience,
      issued_at: new Date(d.issuedAt),
      expires_at: new Date(d.expiresAt),
      revoked_at: revoked && GrantRevokedV1.is(revoked) ? new Date(revoked.data.revokedAt) : null,
      revoked_reason: revoked && GrantRevokedV1.is(revoked) ? revoked.data.reason : null,
    };
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
    // Every grant stored before now must be in the read model, or the cascade would miss it.
    const head = await this.store.headPosition();
    if (head) await this.readModel.waitFor(head, CASCADE_CATCH_UP_MS);
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
