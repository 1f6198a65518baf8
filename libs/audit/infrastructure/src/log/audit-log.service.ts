import {
  type AuditRecord,
  consistencyProof,
  csvHeader,
  inclusionProof,
  InMemoryTreeNodes,
  MerkleTree,
  noteKeyId,
  type PerfectSubtreeHash,
  signCheckpoint,
  toCsvRow,
  toJsonLine,
  toOcsf,
} from '@mandate/audit-domain';
import { DomainError } from '@mandate/kernel';
import { type PublicUrl } from '@mandate/platform';
import { type DataSource } from 'typeorm';
import { appendToLog } from '../persistence/audit-log.store';
import { type CheckpointKeys } from './checkpoint-keys';
import { exportHeader } from './export-format';

export interface RecordFilter {
  /** Records whose actor is this principal (`usr_…`, `agt_…`, a client id). */
  readonly actor?: string | undefined;
  /** Records of actions done on behalf of this human (by their agents). */
  readonly onBehalfOf?: string | undefined;
  readonly action?: string | undefined;
  /** `type:id` of a target. */
  readonly target?: string | undefined;
  readonly outcome?: 'success' | 'failure' | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  /** Records after this sequence (the cursor). */
  readonly after?: number | undefined;
  readonly limit: number;
}

export interface StoredCheckpoint {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly keyId: string;
  readonly signed: string;
  readonly createdAt: string;
}

/** How many organizations' tree nodes are kept in memory (about 64 bytes per record each). */
const CACHED_LOGS = 16;

const noSuchRecord = () =>
  new DomainError('not_found', 'AUDIT_RECORD_NOT_FOUND', 'The log has no such record');

const toCheckpoint = (row: {
  tree_size: string;
  root_hash: Buffer;
  key_id: string;
  signed: string;
  created_at: Date;
}): StoredCheckpoint => ({
  treeSize: Number(row.tree_size),
  rootHash: row.root_hash.toString('base64'),
  keyId: row.key_id,
  signed: row.signed,
  createdAt: row.created_at.toISOString(),
});

/**
 * An organization's tamper-evident audit log: appending records, signed checkpoints of its head, the
 * inclusion and consistency proofs a verifier asks for, and queries over the records.
 */
export class AuditLogService {
  private readonly nodes = new Map<string, InMemoryTreeNodes>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: CheckpointKeys,
    private readonly publicUrl: PublicUrl,
    private readonly clock: () => Date,
  ) {}

  /** The log's C2SP origin: this installation's host and the organization. */
  origin(orgId: string): string {
    const host = this.publicUrl.known ? new URL(this.publicUrl.value).host : 'mandate';
    return `${host}/audit/${orgId}`;
  }

  async append(orgId: string, records: readonly AuditRecord[]): Promise<number[]> {
    const logged = await this.dataSource.transaction((manager) =>
      appendToLog(manager, orgId, records, this.clock()),
    );
    return logged.map(({ record }) => record.sequence);
  }

  /** Signs the log's current head (once per size); null for an empty log. */
  async checkpoint(orgId: string): Promise<StoredCheckpoint | null> {
    const [head] = await this.dataSource.query<{ size: string; frontier: string[] }[]>(
      'select size, frontier from audit.logs where org_id = $1',
      [orgId],
    );
    if (!head || Number(head.size) === 0) return null;
    const tree = MerkleTree.fromFrontier(
      Number(head.size),
      head.frontier.map((hash) => Buffer.from(hash, 'base64')),
    );
    const key = this.keys.current;
    const rootHash = tree.root();
    const signed = signCheckpoint(
      { origin: this.origin(orgId), treeSize: tree.size, rootHash, extensions: [] },
      { name: key.name, privateKey: key.privateKey },
    );
    await this.dataSource.query(
      `insert into audit.checkpoints (org_id, tree_size, root_hash, key_id, signed, created_at)
       values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
      [orgId, tree.size, Buffer.from(rootHash), noteKeyId(key.name, key.publicKey), signed, this.clock()],
    );
    const [row] = await this.dataSource.query<Parameters<typeof toCheckpoint>[0][]>(
      'select * from audit.checkpoints where org_id = $1 and tree_size = $2',
      [orgId, tree.size],
    );
    return toCheckpoint(row!);
  }

  /** Checkpoints every log that grew since its last checkpoint (the cadence job). */
  async checkpointGrownLogs(): Promise<number> {
    const grown = await this.dataSource.query<{ org_id: string }[]>(
      `select l.org_id from audit.logs l
        where l.size > coalesce((select max(tree_size) from audit.checkpoints c where c.org_id = l.org_id), 0)`,
    );
    for (const { org_id } of grown) await this.checkpoint(org_id);
    return grown.length;
  }

  async checkpoints(orgId: string, limit = 100): Promise<StoredCheckpoint[]> {
    const rows = await this.dataSource.query<Parameters<typeof toCheckpoint>[0][]>(
      'select * from audit.checkpoints where org_id = $1 order by tree_size desc limit $2',
      [orgId, limit],
    );
    return rows.map(toCheckpoint);
  }

  async inclusion(orgId: string, sequence: number, treeSize: number) {
    if (sequence >= treeSize) throw noSuchRecord();
    const leaves = await this.treeNodes(orgId, treeSize);
    const [row] = await this.dataSource.query<{ record: AuditRecord; leaf_hash: Buffer }[]>(
      'select record, leaf_hash from audit.records where org_id = $1 and sequence = $2',
      [orgId, sequence],
    );
    if (!row) throw noSuchRecord();
    return {
      sequence,
      treeSize,
      leafHash: row.leaf_hash.toString('base64'),
      proof: inclusionProof(sequence, treeSize, leaves).map((hash) => Buffer.from(hash).toString('base64')),
      record: row.record,
    };
  }

  async consistency(orgId: string, fromSize: number, toSize: number) {
    const leaves = await this.treeNodes(orgId, toSize);
    return {
      fromSize,
      toSize,
      proof: consistencyProof(fromSize, toSize, leaves).map((hash) => Buffer.from(hash).toString('base64')),
    };
  }

  async records(
    orgId: string,
    filter: RecordFilter,
  ): Promise<{ data: AuditRecord[]; nextCursor: string | null }> {
    const conditions = ['org_id = $1'];
    const params: unknown[] = [orgId];
    const add = (sql: (placeholder: string) => string, value: unknown) => {
      params.push(value);
      conditions.push(sql(`$${params.length}`));
    };
    if (filter.actor !== undefined) add((p) => `actor_id = ${p}`, filter.actor);
    if (filter.onBehalfOf !== undefined) add((p) => `on_behalf_of = ${p}`, filter.onBehalfOf);
    if (filter.action !== undefined) add((p) => `action = ${p}`, filter.action);
    if (filter.outcome !== undefined) add((p) => `outcome = ${p}`, filter.outcome);
    if (filter.from !== undefined) add((p) => `occurred_at >= ${p}`, filter.from);
    if (filter.to !== undefined) add((p) => `occurred_at < ${p}`, filter.to);
    if (filter.after !== undefined) add((p) => `sequence > ${p}`, filter.after);
    if (filter.target !== undefined) {
      const [type, ...id] = filter.target.split(':');
      add((p) => `record->'targets' @> ${p}::jsonb`, JSON.stringify([{ type, id: id.join(':') }]));
    }
    params.push(filter.limit);
    const rows = await this.dataSource.query<{ record: AuditRecord & { sequence: number } }[]>(
      `select record from audit.records where ${conditions.join(' and ')} order by sequence limit $${params.length}`,
      params,
    );
    const data = rows.map((row) => row.record);
    return { data, nextCursor: data.length === filter.limit ? String(data.at(-1)!.sequence) : null };
  }

  /**
   * The log up to a checkpoint signed now, as export lines. JSON Lines: the header, each record's
   * canonical JSON (redacted ones as their stubs), then the checkpoints and every leaf hash — all a
   * verifier needs offline. CSV and OCSF: the records that still have content.
   */
  async *exportLines(orgId: string, format: 'jsonl' | 'csv' | 'ocsf'): AsyncGenerator<string> {
    const checkpoint = await this.checkpoint(orgId);
    if (format === 'jsonl') yield `${JSON.stringify(exportHeader(this.origin(orgId), this.keys.all))}\n`;
    if (format === 'csv') yield csvHeader();
    const leafHashes: Buffer[] = [];
    for await (const { record, leafHash } of this.all(orgId)) {
      if (!checkpoint || record.sequence >= checkpoint.treeSize) break;
      if (format === 'jsonl') {
        leafHashes.push(leafHash);
        yield toJsonLine(record);
      } else if ((record as { redacted?: boolean }).redacted !== true) {
        yield format === 'csv' ? toCsvRow(record) : `${JSON.stringify(toOcsf(record))}\n`;
      }
    }
    if (format === 'jsonl')
      yield `${JSON.stringify({
        checkpoints: (await this.checkpoints(orgId, 10_000)).map((c) => c.signed),
        leafHashes: Buffer.concat(leafHashes).toString('base64'),
      })}\n`;
  }

  /** Every record of the log in order with its leaf hash, a page at a time (exports); redacted ones as their stubs. */
  async *all(
    orgId: string,
    pageSize = 1000,
  ): AsyncGenerator<{ record: AuditRecord & { sequence: number }; leafHash: Buffer }> {
    for (let after = -1; ;) {
      const rows = await this.dataSource.query<
        { record: AuditRecord & { sequence: number }; leaf_hash: Buffer; sequence: string }[]
      >(
        `select record, leaf_hash, sequence from audit.records
          where org_id = $1 and sequence > $2 order by sequence limit $3`,
        [orgId, after, pageSize],
      );
      for (const row of rows) yield { record: row.record, leafHash: row.leaf_hash };
      if (rows.length < pageSize) return;
      after = Number(rows.at(-1)!.sequence);
    }
  }

  /**
   * The log's tree nodes up to `treeSize`, so a proof is O(log n) lookups. The log only grows, so the
   * cached nodes never go stale: they are extended with the leaves appended since, wherever appended.
   */
  private async treeNodes(orgId: string, treeSize: number): Promise<PerfectSubtreeHash> {
    let nodes = this.nodes.get(orgId);
    if (!nodes) {
      nodes = new InMemoryTreeNodes();
      if (this.nodes.size >= CACHED_LOGS) this.nodes.delete(this.nodes.keys().next().value!);
      this.nodes.set(orgId, nodes);
    }
    if (nodes.size < treeSize) {
      const rows = await this.dataSource.query<{ leaf_hash: Buffer }[]>(
        `select leaf_hash from audit.records where org_id = $1 and sequence >= $2 and sequence < $3
          order by sequence`,
        [orgId, nodes.size, treeSize],
      );
      if (nodes.size + rows.length !== treeSize)
        throw new DomainError(
          'invalid',
          'AUDIT_TREE_SIZE_INVALID',
          `The log has fewer than ${treeSize} records`,
        );
      for (const row of rows) nodes.append(row.leaf_hash);
    }
    return nodes.subtreeHash;
  }
}
