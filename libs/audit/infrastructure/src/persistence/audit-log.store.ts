import { type AuditRecord, canonicalBytes, leafHash, MerkleTree } from '@mandate/audit-domain';
import { type EntityManager } from 'typeorm';

/** A record as the log holds it: its sequence assigned, and the leaf hash of its canonical bytes. */
export interface LoggedRecord {
  readonly record: AuditRecord & { readonly sequence: number };
  readonly leafHash: Uint8Array;
}

interface LogRow {
  size: string;
  frontier: string[];
}

/**
 * Appends records to their organization's Merkle log: the log head (size and frontier) is locked,
 * each record gets the next sequence and its leaf hash, and the head moves on — all in the caller's
 * transaction, so a record is in the log exactly when its cause is marked handled. A record whose id
 * is already in the log is not appended twice.
 */
export const appendToLog = async (
  manager: EntityManager,
  orgId: string,
  records: readonly AuditRecord[],
  recordedAt: Date,
  sourceEventIds: readonly (string | null)[] = records.map(() => null),
): Promise<LoggedRecord[]> => {
  if (records.length === 0) return [];
  await manager.query(
    `insert into audit.logs (org_id, size, frontier, updated_at) values ($1, 0, '[]', $2) on conflict do nothing`,
    [orgId, recordedAt],
  );
  const [head] = await manager.query<LogRow[]>(
    'select size, frontier from audit.logs where org_id = $1 for update',
    [orgId],
  );
  const tree = MerkleTree.fromFrontier(
    Number(head!.size),
    head!.frontier.map((hash) => Buffer.from(hash, 'base64')),
  );
  const known = new Set(
    (
      await manager.query<{ record_id: string }[]>(
        'select record_id from audit.records where org_id = $1 and record_id = any($2::text[])',
        [orgId, records.map((record) => record.id)],
      )
    ).map((row) => row.record_id),
  );
  const logged: LoggedRecord[] = [];
  const sources: (string | null)[] = [];
  for (const [i, candidate] of records.entries()) {
    if (known.has(candidate.id)) continue;
    known.add(candidate.id);
    const record = { ...candidate, sequence: tree.size };
    const hash = leafHash(canonicalBytes(record));
    tree.append(hash);
    logged.push({ record, leafHash: hash });
    sources.push(sourceEventIds[i] ?? null);
  }
  if (logged.length === 0) return [];
  // One statement for the whole batch: a row per record, in sequence order.
  await manager.query(
    `insert into audit.records (org_id, sequence, record_id, source_event_id, occurred_at, recorded_at, actor_id,
       on_behalf_of, action, outcome, record, leaf_hash)
     select $1, r.sequence, r.record_id, r.source_event_id, r.occurred_at, $2, r.actor_id, r.on_behalf_of,
            r.action, r.outcome, r.record, r.leaf_hash
       from unnest($3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[],
                   $10::text[], $11::jsonb[], $12::bytea[])
         as r(sequence, record_id, source_event_id, occurred_at, actor_id, on_behalf_of, action, outcome, record,
              leaf_hash)`,
    [
      orgId,
      recordedAt,
      logged.map(({ record }) => record.sequence),
      logged.map(({ record }) => record.id),
      sources,
      logged.map(({ record }) => record.occurredAt),
      logged.map(({ record }) => record.actor.id),
      logged.map(({ record }) => record.actor.onBehalfOf ?? null),
      logged.map(({ record }) => record.action),
      logged.map(({ record }) => record.outcome),
      logged.map(({ record }) => JSON.stringify(record)),
      logged.map(({ leafHash: hash }) => Buffer.from(hash)),
    ],
  );
  await manager.query('update audit.logs set size = $2, frontier = $3, updated_at = $4 where org_id = $1', [
    orgId,
    tree.size,
    JSON.stringify(tree.frontier.map((hash) => Buffer.from(hash).toString('base64'))),
    recordedAt,
  ]);
  return logged;
};
