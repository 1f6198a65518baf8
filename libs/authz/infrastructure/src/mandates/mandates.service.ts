import { mandateStream } from '@mandate/contracts';
import { mandateDecider, mandateNotFound, type MandateRevocationReason } from '@mandate/authz-domain';
import { formatPosition } from '@mandate/kernel';
import { type ContextWriter, type WriteCause } from '@mandate/platform';
import { type DataSource } from 'typeorm';
import { newId } from '../ids';

export interface MandateView {
  readonly id: string;
  readonly userId: string;
  readonly agentId: string;
  readonly permissions: string[];
  readonly resources: string[];
  readonly expiresAt: string | null;
  /** `expired` once `expiresAt` has passed: the mandate grants nothing any more. */
  readonly status: 'active' | 'suspended' | 'revoked' | 'expired';
  readonly revokedReason: string | null;
  readonly reason: string;
  readonly grantedBy: string;
  readonly grantedAt: string;
  readonly updatedAt: string;
}

export interface MandateRow {
  mandate_id: string;
  org_id: string;
  user_id: string;
  agent_id: string;
  permissions: string[];
  resources: string[];
  expires_at: Date | null;
  status: 'active' | 'suspended' | 'revoked';
  revoked_reason: string | null;
  reason: string;
  granted_by: string;
  granted_at: Date;
  updated_at: Date;
}

export const toMandateView = (row: MandateRow, now: Date): MandateView => ({
  id: row.mandate_id,
  userId: row.user_id,
  agentId: row.agent_id,
  permissions: row.permissions,
  resources: row.resources,
  expiresAt: row.expires_at?.toISOString() ?? null,
  status:
    row.status === 'active' && row.expires_at !== null && row.expires_at <= now ? 'expired' : row.status,
  revokedReason: row.revoked_reason,
  reason: row.reason,
  grantedBy: row.granted_by,
  grantedAt: row.granted_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export interface GrantInput {
  readonly userId: string;
  readonly agentId: string;
  readonly permissions: readonly string[];
  readonly resources: readonly string[];
  readonly expiresAt: Date | null;
  readonly reason: string;
}

/** What a grant needs to know about the two principals and the human's current power. */
export interface DelegationFacts {
  isActive(orgId: string, principalId: string): Promise<boolean>;
  /** Which of `permissions` the user holds now on every one of `resources` (or organization-wide when empty). */
  heldPermissions(
    orgId: string,
    userId: string,
    permissions: readonly string[],
    resources: readonly string[],
  ): Promise<string[]>;
}

/** Mandates: a human's delegation of part of their power to an agent. */
export class MandatesService {
  private readonly execute;

  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: ContextWriter,
    private readonly facts: DelegationFacts,
  ) {
    this.execute = writer.handlerFor(mandateDecider);
  }

  async grant(
    orgId: string,
    input: GrantInput,
    grantedBy: string,
  ): Promise<{ mandate: MandateView; token: string }> {
    const mandateId = newId('mdt');
    const [delegatorActive, agentActive, heldPermissions] = await Promise.all([
      this.facts.isActive(orgId, input.userId),
      this.facts.isActive(orgId, input.agentId),
      this.facts.heldPermissions(orgId, input.userId, input.permissions, input.resources),
    ]);
    const { position } = await this.execute(mandateStream(mandateId), orgId, 'GrantMandate', {
      orgId,
      mandateId,
      ...input,
      grantedBy,
      delegatorActive,
      agentActive,
      heldPermissions,
    });
    return { mandate: await this.get(orgId, mandateId), token: formatPosition(position!) };
  }

  async revoke(
    orgId: string,
    mandateId: string,
    reason: MandateRevocationReason = 'revoked',
    cause?: WriteCause,
  ) {
    await this.get(orgId, mandateId);
    const { position } = await this.execute(
      mandateStream(mandateId),
      orgId,
      'RevokeMandate',
      { reason },
      { ...(cause && { cause }) },
    );
    return position && formatPosition(position);
  }

  async get(orgId: string, mandateId: string): Promise<MandateView> {
    const rows: MandateRow[] = await this.dataSource.query(
      'select * from authz.mandates where mandate_id = $1 and org_id = $2',
      [mandateId, orgId],
    );
    if (!rows[0]) throw mandateNotFound();
    return toMandateView(rows[0], this.writer.clock());
  }

  async list(
    orgId: string,
    filter: { userId?: string | undefined; agentId?: string | undefined; status?: string | undefined },
  ): Promise<MandateView[]> {
    const rows: MandateRow[] = await this.dataSource.query(
      `select * from authz.mandates where org_id = $1 and ($2::text is null or user_id = $2)
         and ($3::text is null or agent_id = $3) and ($4::text is null or status = $4)
       order by granted_at, mandate_id limit 1000`,
      [orgId, filter.userId ?? null, filter.agentId ?? null, filter.status ?? null],
    );
    return rows.map((row) => toMandateView(row, this.writer.clock()));
  }

  // ---- reactions to the directory ----

  /** A leaver: every mandate from them is revoked, caused by the directory event. */
  async revokeAllFrom(orgId: string, userId: string, reason: MandateRevocationReason, cause: WriteCause) {
    for (const mandate of await this.live(orgId, { userId })) {
      await this.execute(mandateStream(mandate.mandate_id), orgId, 'RevokeMandate', { reason }, { cause });
    }
  }

  async revokeAllOf(orgId: string, agentId: string, reason: MandateRevocationReason, cause: WriteCause) {
    for (const mandate of await this.live(orgId, { agentId })) {
      await this.execute(mandateStream(mandate.mandate_id), orgId, 'RevokeMandate', { reason }, { cause });
    }
  }

  async suspendAllOf(orgId: string, agentId: string, cause: WriteCause) {
    for (const mandate of await this.live(orgId, { agentId })) {
      await this.execute(
        mandateStream(mandate.mandate_id),
        orgId,
        'SuspendMandate',
        { reason: 'agent_suspended' },
        { cause },
      );
    }
  }

  async resumeAllOf(orgId: string, agentId: string, cause: WriteCause) {
    for (const mandate of await this.live(orgId, { agentId })) {
      await this.execute(mandateStream(mandate.mandate_id), orgId, 'ResumeMandate', {}, { cause });
    }
  }

  /** After a change to roles or groups: every live mandate keeps only what its human still holds. */
  async narrowAllIn(orgId: string, cause: WriteCause) {
    for (const mandate of await this.live(orgId, {})) {
      const stillHeld = await this.facts.heldPermissions(
        orgId,
        mandate.user_id,
        mandate.permissions,
        mandate.resources,
      );
      await this.execute(mandateStream(mandate.mandate_id), orgId, 'NarrowMandate', { stillHeld }, { cause });
    }
  }

  async revokeAllIn(orgId: string, reason: MandateRevocationReason, cause: WriteCause) {
    for (const mandate of await this.live(orgId, {})) {
      await this.execute(mandateStream(mandate.mandate_id), orgId, 'RevokeMandate', { reason }, { cause });
    }
  }

  /** A mover: each mandate from the user keeps only what the user still holds on its resources. */
  async narrowFrom(orgId: string, userId: string, cause: WriteCause) {
    for (const mandate of await this.live(orgId, { userId })) {
      const stillHeld = await this.facts.heldPermissions(
        orgId,
        userId,
        mandate.permissions,
        mandate.resources,
      );
      await this.execute(mandateStream(mandate.mandate_id), orgId, 'NarrowMandate', { stillHeld }, { cause });
    }
  }

  private live(orgId: string, by: { userId?: string; agentId?: string }): Promise<MandateRow[]> {
    return this.dataSource.query(
      `select * from authz.mandates where org_id = $1 and status <> 'revoked'
         and ($2::text is null or user_id = $2) and ($3::text is null or agent_id = $3)`,
      [orgId, by.userId ?? null, by.agentId ?? null],
    );
  }
}
