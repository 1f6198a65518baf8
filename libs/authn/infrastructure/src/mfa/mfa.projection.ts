import {
  MfaFactorRemovedV1,
  MfaFactorUsedV1,
  MfaRecoveryCodesGeneratedV1,
  MfaRecoveryCodeUsedV1,
  MfaTotpConfirmedV1,
  MfaTotpEnrolledV1,
  MfaWebauthnRegisteredV1,
} from '@mandate/contracts';
import { type EventStore, type Subscription } from '@mandate/eventstore';
import { type GlobalPosition, type RecordedEvent } from '@mandate/kernel';
import { type DataSource, type EntityManager } from 'typeorm';

const PROJECTION = 'authn.mfa-factors';

/**
 * Keeps `authn.mfa_factors` from the `mfa-…` streams, a batch per transaction. Each row records the
 * stream revision that last changed it, so a redelivered event changes nothing; secrets and code
 * hashes stay in the events.
 */
export class MfaProjection {
  private constructor(private readonly subscription: Subscription) {}

  static async start(store: EventStore, dataSource: DataSource): Promise<MfaProjection> {
    const subscription = await store.subscribe({
      subscriptionId: `projection:${PROJECTION}`,
      filter: { typePrefixes: ['authn.mfa.'] },
      batchSize: 500,
      handle: (events) =>
        dataSource.transaction(async (manager) => {
          for (const event of events) await apply(manager, event);
        }),
    });
    return new MfaProjection(subscription);
  }

  waitFor(position: GlobalPosition, timeoutMs = 5_000): Promise<void> {
    return this.subscription.waitFor(position, timeoutMs);
  }

  stop(): Promise<void> {
    return this.subscription.stop();
  }
}

const insert = (
  manager: EntityManager,
  event: RecordedEvent,
  row: {
    factorId: string;
    orgId: string;
    userId: string;
    kind: string;
    status: 'pending' | 'active';
    name?: string;
    credentialId?: string;
    transports?: readonly string[];
    details: Record<string, unknown>;
  },
) =>
  manager.query(
    `insert into authn.mfa_factors (factor_id, org_id, user_id, kind, status, name, credential_id, transports, details,
       created_at, version)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     on conflict (factor_id) do nothing`,
    [
      row.factorId,
      row.orgId,
      row.userId,
      row.kind,
      row.status,
      row.name ?? null,
      row.credentialId ?? null,
      JSON.stringify(row.transports ?? []),
      JSON.stringify(row.details),
      event.occurredAt,
      event.streamRevision,
    ],
  );

const apply = async (manager: EntityManager, event: RecordedEvent): Promise<void> => {
  if (MfaTotpEnrolledV1.is(event)) {
    const d = event.data;
    await insert(manager, event, {
      ...d,
      kind: 'totp',
      status: 'pending',
      details: { digits: d.digits, period: d.period },
    });
  } else if (MfaTotpConfirmedV1.is(event)) {
    await manager.query(
      `update authn.mfa_factors set status = 'active', confirmed_at = $2, version = $3
       where factor_id = $1 and version < $3`,
      [event.data.factorId, event.data.confirmedAt, event.streamRevision],
    );
  } else if (MfaWebauthnRegisteredV1.is(event)) {
    const d = event.data;
    await insert(manager, event, {
      ...d,
      kind: 'webauthn',
      status: 'active',
      details: {
        aaguid: d.aaguid,
        deviceType: d.deviceType,
        backedUp: d.backedUp,
        userVerified: d.userVerified,
        counter: d.counter,
      },
    });
  } else if (MfaRecoveryCodesGeneratedV1.is(event)) {
    const d = event.data;
    // A new set replaces the old one, which has no removal event of its own.
    await manager.query(
      "delete from authn.mfa_factors where org_id = $1 and user_id = $2 and kind = 'recovery_codes' and factor_id <> $3",
      [d.orgId, d.userId, d.factorId],
    );
    await insert(manager, event, {
      ...d,
      kind: 'recovery_codes',
      status: 'active',
      details: { remaining: d.codeHashes.length },
    });
  } else if (MfaRecoveryCodeUsedV1.is(event)) {
    await manager.query(
      `update authn.mfa_factors set details = jsonb_set(details, '{remaining}', to_jsonb($2::int)),
         last_used_at = $3, version = $4
       where factor_id = $1 and version < $4`,
      [event.data.factorId, event.data.remaining, event.data.usedAt, event.streamRevision],
    );
  } else if (MfaFactorUsedV1.is(event)) {
    const d = event.data;
    await manager.query(
      `update authn.mfa_factors
         set details = case when $2::int is null then details else jsonb_set(details, '{counter}', to_jsonb($2::int)) end,
             last_used_at = $3, version = $4
       where factor_id = $1 and version < $4`,
      [d.factorId, d.counter, d.usedAt, event.streamRevision],
    );
  } else if (MfaFactorRemovedV1.is(event)) {
    await manager.query('delete from authn.mfa_factors where factor_id = $1', [event.data.factorId]);
  }
};
