import {
  type AuthorizationModel,
  AuthzEngine,
  type RoleDefinition,
  rolesGranting,
  TupleIndex,
  validateModel,
} from '@mandate/authz-domain';
import { type DataSource } from 'typeorm';
import { type MandateRow } from '../mandates/mandates.service';
import { type GraphSink } from '../persistence/authz.projection';
import { type TupleChanges, type TupleOperation } from '../persistence/tuple-rows';

export type PrincipalStatus = 'active' | 'inactive' | 'deleted';

/** Everything one organization's decisions read, in memory: kept current by the projections. */
export class OrgGraph {
  engine: AuthzEngine;
  roles: ReadonlyMap<string, RoleDefinition> = new Map();
  private readonly granting = new Map<string, string[]>();

  constructor(
    readonly orgId: string,
    readonly index: TupleIndex,
    model: AuthorizationModel,
    readonly principals: Map<string, PrincipalStatus>,
    public mandates: readonly MandateRow[],
  ) {
    this.engine = new AuthzEngine(model, index);
  }

  setPolicy(model: AuthorizationModel, roles: ReadonlyMap<string, RoleDefinition>): void {
    this.engine = new AuthzEngine(model, this.index);
    this.roles = roles;
    this.granting.clear();
  }

  /** The roles granting `permission` (directly or through roles they include), memoised until the policy changes. */
  rolesGranting(permission: string): readonly string[] {
    let roles = this.granting.get(permission);
    if (!roles) {
      roles = rolesGranting(this.roles, permission);
      this.granting.set(permission, roles);
    }
    return roles;
  }

  apply(operations: readonly TupleOperation[]): void {
    for (const { op, tuple } of operations) {
      if (op === 'write') this.index.write([tuple]);
      else this.index.delete([tuple]);
    }
  }
}

interface Loading {
  readonly graph: Promise<OrgGraph>;
  /** Changes committed while the graph loads, applied once it has. */
  readonly backlog: TupleOperation[];
  readonly principalBacklog: [string, PrincipalStatus][];
  policyChanged: boolean;
  mandatesChanged: boolean;
  loaded: OrgGraph | null;
}

const EMPTY_MODEL = { schemaVersion: '1.0', types: {} };
const PAGE = 50_000;

/**
 * The in-memory relationship graphs, one per organization, loaded from the read models on first use
 * and then kept current: tuple changes are applied as their transactions commit, policy and mandate
 * changes reload what they touch. Decisions never read the database on the hot path.
 */
export class OrgGraphs implements GraphSink {
  private readonly graphs = new Map<string, Loading>();
  private readonly principalWaiters = new Map<string, Set<(status: PrincipalStatus) => void>>();

  constructor(private readonly dataSource: DataSource) {}

  graph(orgId: string): Promise<OrgGraph> {
    let loading = this.graphs.get(orgId);
    if (!loading) {
      const backlog: TupleOperation[] = [];
      const principalBacklog: [string, PrincipalStatus][] = [];
      const entry: Loading = {
        graph: this.load(orgId).then(async (graph) => {
          graph.apply(backlog.splice(0));
          for (const [principalId, status] of principalBacklog.splice(0))
            graph.principals.set(principalId, status);
          if (entry.policyChanged) await this.reloadPolicy(graph);
          if (entry.mandatesChanged) graph.mandates = await this.loadMandates(orgId);
          entry.loaded = graph;
          return graph;
        }),
        backlog,
        principalBacklog,
        policyChanged: false,
        mandatesChanged: false,
        loaded: null,
      };
      entry.graph.catch(() => this.graphs.delete(orgId));
      this.graphs.set(orgId, entry);
      loading = entry;
    }
    return loading.graph;
  }

  async apply(changes: TupleChanges): Promise<void> {
    for (const [orgId, operations] of changes.operations()) {
      const entry = this.graphs.get(orgId);
      if (!entry) continue;
      if (entry.loaded) entry.loaded.apply(operations);
      else entry.backlog.push(...operations);
    }
    for (const { orgId, principalId, status } of changes.principals)
      this.principalChanged(orgId, principalId, status);
    await Promise.all([
      ...[...changes.policyChanged].map((orgId) => this.policyChanged(orgId)),
      ...[...changes.mandatesChanged].map((orgId) => this.mandatesChanged(orgId)),
    ]);
  }

  /** Roles or the model changed: rebuild the engine over the same tuples. */
  async policyChanged(orgId: string): Promise<void> {
    const entry = this.graphs.get(orgId);
    if (!entry) return;
    if (!entry.loaded) entry.policyChanged = true;
    else await this.reloadPolicy(entry.loaded);
  }

  /** A mandate of the organization changed. */
  async mandatesChanged(orgId: string): Promise<void> {
    const entry = this.graphs.get(orgId);
    if (!entry) return;
    if (!entry.loaded) {
      entry.mandatesChanged = true;
      return;
    }
    entry.loaded.mandates = await this.loadMandates(orgId);
  }

  principalChanged(orgId: string, principalId: string, status: PrincipalStatus): void {
    const entry = this.graphs.get(orgId);
    if (entry?.loaded) entry.loaded.principals.set(principalId, status);
    else entry?.principalBacklog.push([principalId, status]);
    const key = `${orgId}/${principalId}`;
    const waiters = this.principalWaiters.get(key);
    if (waiters) {
      this.principalWaiters.delete(key);
      for (const resolve of waiters) resolve(status);
    }
  }

  /**
   * The principal's status, waiting up to `timeoutMs` for the directory's event about a principal
   * authz has not heard of yet (it was registered a moment ago and the event is still in flight).
   */
  async principalStatus(
    orgId: string,
    principalId: string,
    timeoutMs: number,
  ): Promise<PrincipalStatus | undefined> {
    const known = (await this.graph(orgId)).principals.get(principalId);
    if (known !== undefined || timeoutMs <= 0) return known;
    const key = `${orgId}/${principalId}`;
    return new Promise((resolve) => {
      const waiters = this.principalWaiters.get(key) ?? new Set();
      this.principalWaiters.set(key, waiters);
      const settle = (status: PrincipalStatus | undefined) => {
        clearTimeout(timer);
        waiters.delete(settle);
        if (waiters.size === 0 && this.principalWaiters.get(key) === waiters)
          this.principalWaiters.delete(key);
        resolve(status);
      };
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      waiters.add(settle);
    });
  }

  forget(orgId: string): void {
    this.graphs.delete(orgId);
  }

  private async load(orgId: string): Promise<OrgGraph> {
    const index = new TupleIndex();
    for (let after = { object: '', relation: '', subject: '' }; ;) {
      const rows: {
        object: string;
        relation: string;
        subject: string;
        condition: { name: string; context: Record<string, unknown> } | null;
      }[] = await this.dataSource.query(
        `select object, relation, subject, condition from authz.tuples
           where org_id = $1 and (object, relation, subject) > ($2, $3, $4)
           order by object, relation, subject limit ${PAGE}`,
        [orgId, after.object, after.relation, after.subject],
      );
      index.write(
        rows.map((row) =>
          row.condition
            ? { ...row, condition: row.condition }
            : { object: row.object, relation: row.relation, subject: row.subject },
        ),
      );
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!;
    }
    const principals = new Map<string, PrincipalStatus>(
      (
        await this.dataSource.query<{ principal_id: string; status: PrincipalStatus }[]>(
          'select principal_id, status from authz.principals where org_id = $1',
          [orgId],
        )
      ).map((row) => [row.principal_id, row.status]),
    );
    const graph = new OrgGraph(
      orgId,
      index,
      validateModel(EMPTY_MODEL).model,
      principals,
      await this.loadMandates(orgId),
    );
    await this.reloadPolicy(graph);
    return graph;
  }

  private async reloadPolicy(graph: OrgGraph): Promise<void> {
    const [modelRow] = await this.dataSource.query<{ model: unknown }[]>(
      'select model from authz.models where org_id = $1',
      [graph.orgId],
    );
    const roles = await this.dataSource.query<
      { role_id: string; permissions: string[]; includes: string[] }[]
    >('select role_id, permissions, includes from authz.roles where org_id = $1', [graph.orgId]);
    graph.setPolicy(
      validateModel(modelRow?.model ?? EMPTY_MODEL).model,
      new Map(
        roles.map((role) => [role.role_id, { permissions: role.permissions, includes: role.includes }]),
      ),
    );
  }

  private loadMandates(orgId: string): Promise<MandateRow[]> {
    return this.dataSource.query("select * from authz.mandates where org_id = $1 and status <> 'revoked'", [
      orgId,
    ]);
  }
}
