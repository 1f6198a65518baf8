import { TupleIndex, validateModel } from '@mandate/authz-domain';
import { OrgGraph, type OrgGraphs, type PrincipalStatus } from '../graph/org-graphs';
import { type MandateRow } from '../mandates/mandates.service';
import { ASSIGNEE, roleObject } from '../persistence/tuple-rows';
import { DecisionService } from './decision.service';

const orgId = 'org_01k00000000000000000000000';
const ada = 'usr_01k00000000000000000000001';
const bob = 'usr_01k00000000000000000000002';
const bot = 'agt_01k00000000000000000000001';
const group = 'grp_01k00000000000000000000001';
const editor = 'rol_01k00000000000000000000001';
const now = new Date('2026-11-02T09:00:00.000Z');

const mandate = (overrides: Partial<MandateRow> = {}): MandateRow => ({
  mandate_id: 'mdt_01k00000000000000000000001',
  org_id: orgId,
  user_id: ada,
  agent_id: bot,
  permissions: ['documents:read'],
  resources: [],
  expires_at: null,
  status: 'active',
  revoked_reason: null,
  reason: 'summaries',
  granted_by: 'admin',
  granted_at: now,
  updated_at: now,
  ...overrides,
});

/** A graph in memory: Ada is an editor through a group; the bot acts for Ada under `mandates`. */
const decisions = (mandates: MandateRow[], principals: Record<string, PrincipalStatus> = {}) => {
  const index = new TupleIndex();
  index.write([
    { object: `group:${group}`, relation: 'member', subject: `user:${ada}` },
    { object: roleObject(editor, null), relation: ASSIGNEE, subject: `group:${group}#member` },
  ]);
  const graph = new OrgGraph(
    orgId,
    index,
    validateModel({ schemaVersion: '1.0', types: {} }).model,
    new Map(Object.entries({ [ada]: 'active', [bob]: 'active', [bot]: 'active', ...principals })),
    mandates,
  );
  graph.setPolicy(graph.engine.model, new Map([[editor, { permissions: ['documents:*'], includes: [] }]]));
  const graphs = { graph: () => Promise.resolve(graph) } as unknown as OrgGraphs;
  return new DecisionService(graphs, { waitFor: () => Promise.resolve() }, () => now);
};

const permission = (name: string, resource: string | null = null) =>
  ({ kind: 'permission', permission: name, resource }) as const;
const asBot = { orgId, subject: `agent:${bot}`, onBehalfOf: `user:${ada}` };

describe('decisions', () => {
  it('RBAC: a role through a group, with wildcard permissions', async () => {
    const service = decisions([]);
    expect(
      await service.check({ orgId, subject: `user:${ada}`, question: permission('documents:write') }),
    ).toEqual({
      allowed: true,
    });
    expect(
      await service.check({ orgId, subject: `user:${bob}`, question: permission('documents:read') }),
    ).toMatchObject({
      allowed: false,
      reason: 'no_role',
    });
  });

  it('a deactivated human holds nothing, whatever the tuples say', async () => {
    const service = decisions([], { [ada]: 'inactive' });
    expect(
      await service.check({ orgId, subject: `user:${ada}`, question: permission('documents:read') }),
    ).toMatchObject({
      allowed: false,
      reason: 'subject_inactive',
    });
  });

  it('an agent acting for a human needs a mandate covering the question', async () => {
    const service = decisions([mandate()]);
    expect(await service.check({ ...asBot, question: permission('documents:read') })).toEqual({
      allowed: true,
      mandate: 'allowed',
      delegator: 'allowed',
      mandateId: 'mdt_01k00000000000000000000001',
    });
    expect(await service.check({ ...asBot, question: permission('documents:write') })).toMatchObject({
      allowed: false,
      reason: 'no_mandate',
      mandate: 'denied',
    });
  });

  it('and the human must hold it now: the delegator side can deny', async () => {
    const service = decisions([mandate({ permissions: ['invoices:approve'] })]);
    expect(await service.check({ ...asBot, question: permission('invoices:approve') })).toMatchObject({
      allowed: false,
      mandate: 'allowed',
      delegator: 'denied',
    });
  });

  it('expired, suspended, foreign and out-of-scope mandates grant nothing', async () => {
    const cases: MandateRow[] = [
      mandate({ expires_at: new Date('2026-11-01T00:00:00Z') }),
      mandate({ status: 'suspended' }),
      mandate({ user_id: bob }),
      mandate({ resources: ['project:7'] }),
    ];
    for (const row of cases) {
      const decision = await decisions([row]).check({
        ...asBot,
        question: permission('documents:read', 'project:8'),
      });
      expect(decision).toMatchObject({ allowed: false, mandate: 'denied' });
    }
    const typed = decisions([mandate({ resources: ['project:*'] })]);
    expect(
      (await typed.check({ ...asBot, question: permission('documents:read', 'project:8') })).allowed,
    ).toBe(true);
  });

  it('a suspended agent is denied before any mandate is looked at', async () => {
    const service = decisions([mandate()], { [bot]: 'inactive' });
    expect(await service.check({ ...asBot, question: permission('documents:read') })).toMatchObject({
      allowed: false,
      reason: 'agent_inactive',
    });
  });

  it('a question the model cannot answer is a deny, not an error', async () => {
    const service = decisions([]);
    expect(
      await service.check({
        orgId,
        subject: `user:${ada}`,
        question: { kind: 'relation', relation: 'viewer', object: 'spaceship:1' },
      }),
    ).toMatchObject({ allowed: false, reason: 'not_in_model' });
  });

  it('a mandate only grants what the human holds: held permissions per resource', async () => {
    const service = decisions([]);
    expect(await service.heldPermissions(orgId, ada, ['documents:read', 'invoices:approve'], [])).toEqual([
      'documents:read',
    ]);
    expect(await service.heldPermissions(orgId, bob, ['documents:read'], ['project:1'])).toEqual([]);
  });
});
