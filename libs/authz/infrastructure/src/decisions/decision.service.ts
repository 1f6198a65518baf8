import { anyCovers, type CheckResult, type Tuple } from '@mandate/authz-domain';
import { DomainError, type GlobalPosition, parsePosition } from '@mandate/kernel';
import { type OrgGraph, type OrgGraphs } from '../graph/org-graphs';
import { type DelegationFacts, type MandateRow } from '../mandates/mandates.service';
import { ASSIGNEE, roleObject } from '../persistence/tuple-rows';

/** What is asked: a permission (RBAC, optionally on a resource) or a relation on an object (the model). */
export type Question =
  | { readonly kind: 'permission'; readonly permission: string; readonly resource: string | null }
  | { readonly kind: 'relation'; readonly relation: string; readonly object: string };

export interface CheckInput {
  readonly orgId: string;
  /** `user:<id>`, `agent:<id>`, or any subject the model knows (`group:<id>#member`, an application's own ids). */
  readonly subject: string;
  /** For an agent acting for a human: `user:<id>`. Then the decision is mandate ∩ the human's current power. */
  readonly onBehalfOf?: string | undefined;
  readonly question: Question;
  readonly contextualTuples?: readonly Tuple[] | undefined;
  readonly context?: Readonly<Record<string, unknown>> | undefined;
}

export type Side = 'allowed' | 'denied' | 'not_applicable';

export interface Decision {
  readonly allowed: boolean;
  /** Why it was refused (or, for an agent acting for a human, which side allowed it). */
  readonly reason?: string;
  /** For an agent acting for a human: what each side said. */
  readonly mandate?: Side;
  readonly delegator?: Side;
  readonly mandateId?: string;
  readonly missing?: readonly string[];
  readonly detail?: string;
}

const CONSISTENCY_TIMEOUT_MS = 5_000;
/** How long a grant waits for the directory event about a principal registered a moment ago. */
const PRINCIPAL_ARRIVAL_WAIT_MS = 3_000;

interface ReadModelProgress {
  waitFor(position: GlobalPosition, timeoutMs: number): Promise<void>;
}

/** The id of a `user:`/`agent:` subject, or null for any other subject. */
const principalIdOf = (subject: string): string | null => {
  const match = /^(user|agent):((usr|agt)_[0-9a-z]{26})$/.exec(subject);
  return match ? match[2]! : null;
};

const deny = (reason: string, extra: Partial<Decision> = {}): Decision => ({
  allowed: false,
  reason,
  ...extra,
});

const fromCheck = (result: CheckResult): Decision =>
  result.allowed
    ? { allowed: true }
    : result.reason === 'condition_unevaluable'
      ? deny('condition_unevaluable', { missing: [...result.missing, ...result.invalid] })
      : deny(result.reason);

/** The permission a relation check stands for in a mandate: `<type>:<relation>`. */
const relationPermission = (object: string, relation: string): string =>
  `${object.slice(0, object.indexOf(':'))}:${relation}`;

const mandateCoversResource = (mandate: MandateRow, resource: string | null): boolean => {
  if (mandate.resources.length === 0) return true;
  if (resource === null) return false;
  const type = resource.slice(0, resource.indexOf(':'));
  return mandate.resources.some((granted) => granted === resource || granted === `${type}:*`);
};

/**
 * Authorization decisions. Anything that cannot be evaluated is a deny (with its reason), never an
 * error a caller might read as allow. For an agent acting for a human the decision needs both sides:
 * a live mandate from the human covering the question, and the human's own power right now.
 */
export class DecisionService implements DelegationFacts {
  constructor(
    private readonly graphs: OrgGraphs,
    private readonly readModel: ReadModelProgress,
    private readonly clock: () => Date,
  ) {}

  /** Waits until the read models reflect the write that returned `token` (read-your-writes). */
  async atLeastAsFresh(token: string | undefined): Promise<void> {
    if (token === undefined) return;
    const position = parsePosition(token);
    if (!position)
      throw new DomainError(
        'invalid',
        'AUTHZ_CONSISTENCY_TOKEN_INVALID',
        'The consistency token is not one this API returned',
      );
    try {
      await this.readModel.waitFor(position, CONSISTENCY_TIMEOUT_MS);
    } catch {
      throw new DomainError(
        'precondition_failed',
        'AUTHZ_CONSISTENCY_TIMEOUT',
        `The decision data did not reach the requested freshness within ${CONSISTENCY_TIMEOUT_MS} ms; retry`,
      );
    }
  }

  async check(input: CheckInput): Promise<Decision> {
    return this.decide(await this.graphs.graph(input.orgId), input);
  }

  async checkMany(orgId: string, inputs: readonly Omit<CheckInput, 'orgId'>[]): Promise<Decision[]> {
    const graph = await this.graphs.graph(orgId);
    return inputs.map((input) => this.decide(graph, { ...input, orgId }));
  }

  /** The decision on a graph already loaded: synchronous, so the hot path never waits. */
  decide(graph: OrgGraph, input: CheckInput): Decision {
    try {
      if (input.onBehalfOf !== undefined) return this.delegated(graph, input, input.onBehalfOf);
      return this.direct(graph, input.subject, input);
    } catch (error) {
      // A question about a type or relation the model does not have cannot be true: a deny, with why.
      if (error instanceof DomainError && error.code === 'AUTHZ_REQUEST_INVALID') {
        return deny('not_in_model', { detail: error.message });
      }
      if (error instanceof DomainError) throw error;
      return deny('evaluation_failed');
    }
  }

  async listObjects(input: {
    orgId: string;
    subject: string;
    type: string;
    relation: string;
    contextualTuples?: readonly Tuple[] | undefined;
    context?: Readonly<Record<string, unknown>> | undefined;
  }) {
    const graph = await this.graphs.graph(input.orgId);
    const principal = principalIdOf(input.subject);
    if (
      principal &&
      graph.principals.get(principal) !== undefined &&
      graph.principals.get(principal) !== 'active'
    ) {
      return { objects: [], truncated: false, missing: [] };
    }
    return graph.engine.listObjects({
      type: input.type,
      relation: input.relation,
      subject: input.subject,
      ...(input.contextualTuples && { contextualTuples: input.contextualTuples }),
      ...(input.context && { context: input.context }),
    });
  }

  async listSubjects(input: {
    orgId: string;
    object: string;
    relation: string;
    subjectType: string;
    contextualTuples?: readonly Tuple[] | undefined;
    context?: Readonly<Record<string, unknown>> | undefined;
  }) {
    const graph = await this.graphs.graph(input.orgId);
    const result = graph.engine.listSubjects({
      object: input.object,
      relation: input.relation,
      subjectType: input.subjectType,
      ...(input.contextualTuples && { contextualTuples: input.contextualTuples }),
      ...(input.context && { context: input.context }),
    });
    // A deactivated or deleted principal holds nothing, whatever the tuples say.
    const subjects = result.subjects.filter((subject) => {
      const principal = principalIdOf(subject);
      const status = principal === null ? undefined : graph.principals.get(principal);
      return status === undefined || status === 'active';
    });
    return { ...result, subjects };
  }

  // ---- DelegationFacts ----

  async isActive(orgId: string, principalId: string): Promise<boolean> {
    return (await this.graphs.principalStatus(orgId, principalId, PRINCIPAL_ARRIVAL_WAIT_MS)) === 'active';
  }

  async heldPermissions(
    orgId: string,
    userId: string,
    permissions: readonly string[],
    resources: readonly string[],
  ): Promise<string[]> {
    const graph = await this.graphs.graph(orgId);
    const subject = `user:${userId}`;
    const targets =
      resources.length === 0 ? [null] : resources.filter((resource) => !resource.endsWith(':*'));
    const wildcards = resources.filter((resource) => resource.endsWith(':*'));
    return permissions.filter(
      (permission) =>
        // Every object of a type (`document:*`) can only be delegated by someone holding it organization-wide.
        (wildcards.length === 0 || this.holdsPermission(graph, subject, permission, null)) &&
        targets.every((resource) => this.holdsPermission(graph, subject, permission, resource)),
    );
  }

  // ---- evaluation ----

  private direct(graph: OrgGraph, subject: string, input: CheckInput): Decision {
    const principal = principalIdOf(subject);
    if (principal) {
      const status = graph.principals.get(principal);
      if (status !== undefined && status !== 'active') return deny(`subject_${status}`);
    }
    const { question } = input;
    if (question.kind === 'permission') {
      return this.holdsPermission(graph, subject, question.permission, question.resource)
        ? { allowed: true }
        : deny('no_role');
    }
    return fromCheck(
      graph.engine.check({
        object: question.object,
        relation: question.relation,
        subject,
        ...(input.contextualTuples && { contextualTuples: input.contextualTuples }),
        ...(input.context && { context: input.context }),
      }),
    );
  }

  private delegated(graph: OrgGraph, input: CheckInput, onBehalfOf: string): Decision {
    const agentId = /^agent:(agt_[0-9a-z]{26})$/.exec(input.subject)?.[1];
    const userId = /^user:(usr_[0-9a-z]{26})$/.exec(onBehalfOf)?.[1];
    if (!agentId || !userId) {
      throw new DomainError(
        'invalid',
        'AUTHZ_DELEGATION_INVALID',
        'onBehalfOf is for an agent (subject agent:<id>) acting for a user (onBehalfOf user:<id>)',
      );
    }
    if (graph.principals.get(agentId) !== 'active') {
      return deny('agent_inactive', { mandate: 'denied', delegator: 'not_applicable' });
    }
    const { question } = input;
    const permission =
      question.kind === 'permission'
        ? question.permission
        : relationPermission(question.object, question.relation);
    const resource = question.kind === 'permission' ? question.resource : question.object;
    const now = this.clock();
    const mandate = graph.mandates.find(
      (candidate) =>
        candidate.agent_id === agentId &&
        candidate.user_id === userId &&
        candidate.status === 'active' &&
        (candidate.expires_at === null || new Date(candidate.expires_at) > now) &&
        anyCovers(candidate.permissions, permission) &&
        mandateCoversResource(candidate, resource),
    );
    if (!mandate) return deny('no_mandate', { mandate: 'denied', delegator: 'not_applicable' });
    const human = this.direct(graph, onBehalfOf, input);
    if (!human.allowed) {
      return deny(`delegator_${human.reason ?? 'denied'}`, {
        mandate: 'allowed',
        delegator: 'denied',
        mandateId: mandate.mandate_id,
        ...(human.missing && { missing: human.missing }),
      });
    }
    return { allowed: true, mandate: 'allowed', delegator: 'allowed', mandateId: mandate.mandate_id };
  }

  /** RBAC: the subject is an assignee (directly, or through a group) of a role granting the permission. */
  private holdsPermission(
    graph: OrgGraph,
    subject: string,
    permission: string,
    resource: string | null,
  ): boolean {
    const principal = principalIdOf(subject);
    if (
      principal &&
      graph.principals.get(principal) !== undefined &&
      graph.principals.get(principal) !== 'active'
    ) {
      return false;
    }
    for (const roleId of graph.rolesGranting(permission)) {
      if (this.assignee(graph, roleObject(roleId, null), subject)) return true;
      if (resource !== null && this.assignee(graph, roleObject(roleId, resource), subject)) return true;
    }
    return false;
  }

  private assignee(graph: OrgGraph, object: string, subject: string): boolean {
    return graph.engine.check({ object, relation: ASSIGNEE, subject }).allowed;
  }
}
