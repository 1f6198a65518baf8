import { type RelationshipTuple } from '@mandate/contracts';
import { type EntityManager } from 'typeorm';

export type TupleOrigin = 'api' | 'assignment' | 'mapping' | 'directory';

/**
 * The object a role assignment lives on: `role:<roleId>` for the whole organization, or
 * `role:<roleId>@<type>:<id>` for one resource — so a resource-scoped role is a relation of its own,
 * checked like any other without the model having to know about roles.
 */
export const roleObject = (roleId: string, resource: string | null): string =>
  resource === null ? `role:${roleId}` : `role:${roleId}@${resource}`;

export const ASSIGNEE = 'assignee';

/** What identifies a tuple (its condition does not): object, relation and subject. */
const tupleKey = (tuple: RelationshipTuple): string =>
  `${tuple.object}\u0000${tuple.relation}\u0000${tuple.subject}`;

export interface TupleOperation {
  readonly op: 'write' | 'delete';
  readonly tuple: RelationshipTuple;
}

/**
 * Collects, in order, what a transaction does to the tuple table, so the in-memory graphs can
 * follow once it commits.
 */
export class TupleChanges {
  private readonly byOrg = new Map<string, TupleOperation[]>();
  /** Organizations whose policy (roles, mappings, model) changed. */
  readonly policyChanged = new Set<string>();
  /** Organizations whose mandates changed. */
  readonly mandatesChanged = new Set<string>();
  /** Principals whose status the directory changed, in order. */
  readonly principals: { orgId: string; principalId: string; status: 'active' | 'inactive' | 'deleted' }[] =
    [];

  private of(orgId: string): TupleOperation[] {
    let operations = this.byOrg.get(orgId);
    if (!operations) {
      operations = [];
      this.byOrg.set(orgId, operations);
    }
    return operations;
  }

  async write(
    manager: EntityManager,
    orgId: string,
    tuples: readonly RelationshipTuple[],
    origin: TupleOrigin,
  ) {
    // One statement for them all (a write request carries up to 1,000). A statement cannot upsert a
    // row twice, so of duplicates the last one is kept: what upserting them one by one leaves.
    const rows = [...new Map(tuples.map((tuple) => [tupleKey(tuple), tuple])).values()];
    if (rows.length > 0) {
      await manager.query(
        `insert into authz.tuples (org_id, object, relation, subject, condition, origin)
         select $1, object, relation, subject, condition::jsonb, $6
           from unnest($2::text[], $3::text[], $4::text[], $5::text[]) as t (object, relation, subject, condition)
         on conflict (org_id, object, relation, subject) do update set condition = excluded.condition`,
        [
          orgId,
          rows.map((tuple) => tuple.object),
          rows.map((tuple) => tuple.relation),
          rows.map((tuple) => tuple.subject),
          rows.map((tuple) => (tuple.condition ? JSON.stringify(tuple.condition) : null)),
          origin,
        ],
      );
    }
    this.of(orgId).push(...tuples.map((tuple) => ({ op: 'write' as const, tuple })));
  }

  async delete(manager: EntityManager, orgId: string, tuples: readonly RelationshipTuple[]) {
    for (const tuple of tuples) {
      await manager.query(
        'delete from authz.tuples where org_id = $1 and object = $2 and relation = $3 and subject = $4',
        [orgId, tuple.object, tuple.relation, tuple.subject],
      );
    }
    this.of(orgId).push(...tuples.map((tuple) => ({ op: 'delete' as const, tuple })));
  }

  /** Deletes every tuple matching a condition (a deleted role, group or user), recording them. */
  async deleteWhere(manager: EntityManager, orgId: string, where: string, params: readonly unknown[]) {
    const rows: { object: string; relation: string; subject: string }[] = await manager.query(
      // Selected from a CTE: TypeORM answers a bare DELETE … RETURNING with [rows, count] on PostgreSQL.
      `with deleted as (delete from authz.tuples where org_id = $1 and (${where}) returning object, relation, subject)
       select * from deleted`,
      [orgId, ...params],
    );
    this.of(orgId).push(...rows.map((tuple) => ({ op: 'delete' as const, tuple })));
  }

  operations(): ReadonlyMap<string, readonly TupleOperation[]> {
    return this.byOrg;
  }
}
