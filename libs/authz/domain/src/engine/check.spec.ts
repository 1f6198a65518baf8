import { DomainError } from '@mandate/kernel';

import type { ModelJson } from '../model/model.types';
import { validateModel } from '../model/validate-model';
import { engineFor, tuples } from '../testing/authz.fixtures';
import { documentsModel } from '../testing/documents.model';
import { TupleIndex } from '../tuples/tuple-index';
import { AuthzEngine } from './authz-engine';

const hierarchy = tuples(
  'folder:root#viewer@group:staff#member',
  'folder:root#owner@user:olga',
  'folder:projects#parent@folder:root',
  'folder:projects#editor@user:ed',
  'document:plan#parent@folder:projects',
  'document:plan#owner@user:ann',
  'document:plan#editor@agent:bot',
  'document:plan#viewer@user:vic',
  'document:plan#blocked@user:bea',
  'document:plan#approver@user:ann',
  'document:plan#approver@user:vic',
  'group:staff#member@group:eng#member',
  'group:eng#member@group:core#member',
  'group:core#member@user:bea',
  'group:core#member@user:carl',
  'group:eng#member@agent:ci',
);

describe('AuthzEngine.check', () => {
  const { engine } = engineFor(documentsModel(), hierarchy);
  const allowed = (object: string, relation: string, subject: string): boolean =>
    engine.check({ object, relation, subject }).allowed;

  it('grants through a direct tuple, and denies without one', () => {
    expect(engine.check({ object: 'document:plan', relation: 'viewer', subject: 'user:vic' })).toEqual({
      allowed: true,
    });
    expect(engine.check({ object: 'document:plan', relation: 'blocked', subject: 'user:vic' })).toEqual({
      allowed: false,
      reason: 'not_related',
    });
  });

  it('grants through computed relations (owner ⊂ editor ⊂ viewer)', () => {
    expect(allowed('document:plan', 'editor', 'user:ann')).toBe(true);
    expect(allowed('document:plan', 'viewer', 'user:ann')).toBe(true);
    expect(allowed('document:plan', 'owner', 'user:vic')).toBe(false);
  });

  it('grants down a folder → folder → document hierarchy (tupleToUserset)', () => {
    expect(allowed('document:plan', 'viewer', 'user:ed')).toBe(true);
    expect(allowed('document:plan', 'viewer', 'user:olga')).toBe(true);
    expect(allowed('folder:projects', 'viewer', 'user:olga')).toBe(true);
    expect(allowed('document:plan', 'editor', 'user:ed')).toBe(false);
    expect(allowed('folder:root', 'viewer', 'user:ed')).toBe(false);
  });

  it('grants through nested groups, agents included', () => {
    expect(allowed('document:plan', 'viewer', 'user:carl')).toBe(true);
    // Restrictions constrain tuples, not who is in a userset: the agent is a viewer through its group.
    expect(allowed('document:plan', 'viewer', 'agent:ci')).toBe(true);
    expect(allowed('group:staff', 'member', 'agent:ci')).toBe(true);
    expect(allowed('document:plan', 'editor', 'agent:bot')).toBe(true);
    expect(allowed('group:core', 'member', 'user:olga')).toBe(false);
  });

  it('subtracts with exclusion', () => {
    expect(allowed('document:plan', 'viewer', 'user:bea')).toBe(true);
    expect(allowed('document:plan', 'commenter', 'user:bea')).toBe(false);
    expect(allowed('document:plan', 'commenter', 'user:carl')).toBe(true);
  });

  it('requires every operand of an intersection', () => {
    expect(allowed('document:plan', 'signer', 'user:ann')).toBe(true); // editor (owner) and approver
    expect(allowed('document:plan', 'signer', 'user:vic')).toBe(false); // approver, only a viewer
    expect(allowed('document:plan', 'signer', 'agent:bot')).toBe(false); // editor, not an approver
  });

  it('answers for usersets as subjects: is the set contained in the relation?', () => {
    expect(allowed('document:plan', 'viewer', 'group:staff#member')).toBe(true);
    expect(allowed('document:plan', 'viewer', 'group:core#member')).toBe(true);
    expect(allowed('group:staff', 'member', 'group:core#member')).toBe(true);
    expect(allowed('group:core', 'member', 'group:staff#member')).toBe(false);
    expect(allowed('group:eng', 'member', 'group:eng#member')).toBe(true);
    expect(allowed('document:plan', 'editor', 'group:staff#member')).toBe(false);
  });

  it('grants wildcards to every object of the type, known or not, and nothing else', () => {
    const { engine: open } = engineFor(
      documentsModel(),
      tuples('document:pub#viewer@user:*', 'document:pub#blocked@user:troll'),
    );
    expect(
      open.check({ object: 'document:pub', relation: 'viewer', subject: 'user:never_seen' }).allowed,
    ).toBe(true);
    expect(open.check({ object: 'document:pub', relation: 'viewer', subject: 'user:*' }).allowed).toBe(true);
    expect(open.check({ object: 'document:pub', relation: 'viewer', subject: 'agent:a1' }).allowed).toBe(
      false,
    );
    expect(
      open.check({ object: 'document:pub', relation: 'viewer', subject: 'group:g#member' }).allowed,
    ).toBe(false);
    expect(open.check({ object: 'document:pub', relation: 'commenter', subject: 'user:troll' }).allowed).toBe(
      false,
    );
    expect(
      open.check({ object: 'document:pub', relation: 'commenter', subject: 'user:friend' }).allowed,
    ).toBe(true);
    expect(open.check({ object: 'document:pub', relation: 'editor', subject: 'user:*' }).allowed).toBe(false);
    // A specific user does not make the wildcard a viewer.
    const { engine: closed } = engineFor(documentsModel(), tuples('document:x#viewer@user:1'));
    expect(closed.check({ object: 'document:x', relation: 'viewer', subject: 'user:*' }).allowed).toBe(false);
  });

  it('denies for objects and subjects no tuple mentions', () => {
    expect(engine.check({ object: 'document:unknown', relation: 'viewer', subject: 'user:ann' })).toEqual({
      allowed: false,
      reason: 'not_related',
    });
    expect(allowed('document:plan', 'viewer', 'user:nobody')).toBe(false);
    expect(allowed('group:new', 'member', 'group:new#member')).toBe(true);
  });

  it('refuses malformed requests with AUTHZ_REQUEST_INVALID', () => {
    for (const request of [
      { object: 'plan', relation: 'viewer', subject: 'user:1' },
      { object: 'page:1', relation: 'viewer', subject: 'user:1' },
      { object: 'document:1', relation: 'reader', subject: 'user:1' },
      { object: 'document:1', relation: 'viewer', subject: 'robot:1' },
      { object: 'document:1', relation: 'viewer', subject: 'group:1#owner' },
      { object: 'document:1', relation: 'viewer', subject: 'user' },
    ]) {
      expect(() => engine.check(request)).toThrow(DomainError);
      try {
        engine.check(request);
      } catch (error) {
        expect((error as DomainError).code).toBe('AUTHZ_REQUEST_INVALID');
      }
    }
  });

  it('batchCheck answers like check, in order', () => {
    const requests = ['user:ann', 'user:bea', 'user:carl', 'user:nobody', 'agent:bot'].flatMap((subject) =>
      ['viewer', 'editor', 'commenter', 'signer'].flatMap((relation) =>
        ['document:plan', 'folder:projects', 'folder:root'].flatMap((object) =>
          object.startsWith('folder') && (relation === 'commenter' || relation === 'signer')
            ? []
            : [{ object, relation, subject }],
        ),
      ),
    );
    expect(engine.batchCheck(requests)).toEqual(requests.map((request) => engine.check(request)));
  });

  it('expands one level of the userset tree', () => {
    expect(engine.expand({ object: 'document:plan', relation: 'viewer' })).toEqual({
      kind: 'union',
      children: [
        { kind: 'direct', subjects: [{ subject: 'user:vic' }] },
        { kind: 'computed', userset: 'document:plan#editor' },
        { kind: 'tupleToUserset', tupleset: 'document:plan#parent', usersets: ['folder:projects#viewer'] },
      ],
    });
  });
});

describe('conditions', () => {
  const monday10 = '2024-05-06T10:00:00Z';
  const monday18 = '2024-05-06T18:00:00Z';
  const sunday10 = '2024-05-05T10:00:00Z';
  const { engine } = engineFor(documentsModel(), [
    {
      object: 'document:1',
      relation: 'auditor',
      subject: 'user:paris',
      condition: { name: 'during_business_hours', context: { tz_offset_minutes: 120 } },
    },
    {
      object: 'document:1',
      relation: 'auditor',
      subject: 'user:anywhere',
      condition: { name: 'during_business_hours' },
    },
    {
      object: 'document:1',
      relation: 'office_viewer',
      subject: 'user:o',
      condition: { name: 'from_office' },
    },
    { object: 'document:1', relation: 'office_viewer', subject: 'user:always' },
  ]);
  const check = (relation: string, subject: string, context?: Record<string, unknown>) =>
    engine.check({ object: 'document:1', relation, subject, ...(context ? { context } : {}) });

  it('grants within business hours, reading the time from the request and the offset from the tuple', () => {
    expect(check('auditor', 'user:paris', { now: monday10 }).allowed).toBe(true); // 12:00 local
    expect(check('auditor', 'user:paris', { now: '2024-05-06T06:30:00Z' }).allowed).toBe(false); // 08:30 local
    expect(check('auditor', 'user:paris', { now: '2024-05-06T14:59:00Z' }).allowed).toBe(true); // 16:59 local
    expect(check('auditor', 'user:paris', { now: monday18 }).allowed).toBe(false);
    expect(check('auditor', 'user:paris', { now: sunday10 }).allowed).toBe(false);
    expect(check('auditor', 'user:anywhere', { now: monday10, tz_offset_minutes: -420 })).toEqual({
      allowed: false,
      reason: 'not_related',
    }); // 03:00 local
  });

  it('lets the stored context win over the request', () => {
    // The request claims UTC+0 (10:00, open), the tuple says UTC+9 (19:00, closed).
    const { engine: tokyo } = engineFor(documentsModel(), [
      {
        object: 'document:1',
        relation: 'auditor',
        subject: 'user:t',
        condition: { name: 'during_business_hours', context: { tz_offset_minutes: 540 } },
      },
    ]);
    expect(
      tokyo.check({
        object: 'document:1',
        relation: 'auditor',
        subject: 'user:t',
        context: { now: monday10, tz_offset_minutes: 0 },
      }).allowed,
    ).toBe(false);
  });

  it('grants by IP range (IPv4 and IPv6), and unconditioned tuples regardless', () => {
    expect(check('office_viewer', 'user:o', { ip: '10.20.1.1' }).allowed).toBe(true);
    expect(check('office_viewer', 'user:o', { ip: '2001:db8:abcd:1::5' }).allowed).toBe(true);
    expect(check('office_viewer', 'user:o', { ip: '192.0.2.1' }).allowed).toBe(false);
    expect(check('office_viewer', 'user:always').allowed).toBe(true);
  });

  it('denies, saying why, when a condition cannot be evaluated', () => {
    expect(check('auditor', 'user:paris')).toEqual({
      allowed: false,
      reason: 'condition_unevaluable',
      missing: ['now'],
      invalid: [],
    });
    expect(check('auditor', 'user:anywhere', { now: 'tomorrow', tz_offset_minutes: 0 })).toEqual({
      allowed: false,
      reason: 'condition_unevaluable',
      missing: [],
      invalid: ['now'],
    });
    expect(check('office_viewer', 'user:o', { ip: 'not-an-ip' })).toMatchObject({
      allowed: false,
      invalid: ['ip'],
    });
    expect(check('auditor', 'user:paris', { now: monday10, tz_offset_minutes: 'x' }).allowed).toBe(true); // stored wins
  });

  it('fails closed when the condition of a subtracted path cannot be evaluated', () => {
    const model: ModelJson = {
      schemaVersion: '1.0',
      types: {
        doc: {
          relations: {
            viewer: { this: ['user'] },
            blocked: { this: [{ type: 'user', condition: 'after' }] },
            reader: { exclusion: { base: { computed: 'viewer' }, subtract: { computed: 'blocked' } } },
          },
        },
      },
      conditions: {
        after: { parameters: { now: 'timestamp', from: 'timestamp' }, expression: 'now >= from' },
      },
    };
    const { engine: guarded } = engineFor(model, [
      { object: 'doc:1', relation: 'viewer', subject: 'user:1' },
      {
        object: 'doc:1',
        relation: 'blocked',
        subject: 'user:1',
        condition: { name: 'after', context: { from: '2024-01-01T00:00:00Z' } },
      },
    ]);
    const read = (context?: Record<string, unknown>) =>
      guarded.check({
        object: 'doc:1',
        relation: 'reader',
        subject: 'user:1',
        ...(context ? { context } : {}),
      });
    expect(read()).toMatchObject({ allowed: false, reason: 'condition_unevaluable', missing: ['now'] });
    expect(read({ now: '2023-06-01T00:00:00Z' }).allowed).toBe(true);
    expect(read({ now: '2024-06-01T00:00:00Z' })).toEqual({ allowed: false, reason: 'not_related' });
  });

  it('grants when another path grants even though a condition is unevaluable', () => {
    const { engine: both } = engineFor(documentsModel(), [
      {
        object: 'document:1',
        relation: 'auditor',
        subject: 'user:1',
        condition: { name: 'during_business_hours' },
      },
      {
        object: 'document:1',
        relation: 'office_viewer',
        subject: 'user:1',
        condition: { name: 'from_office' },
      },
      { object: 'document:1', relation: 'office_viewer', subject: 'role:ops#assignee' },
      { object: 'role:ops', relation: 'assignee', subject: 'user:1' },
    ]);
    expect(both.check({ object: 'document:1', relation: 'office_viewer', subject: 'user:1' }).allowed).toBe(
      true,
    );
  });
});

describe('contextual tuples', () => {
  const { engine, index } = engineFor(documentsModel(), tuples('document:1#viewer@group:eng#member'));

  it('count for the request only', () => {
    const contextualTuples = tuples('group:eng#member@user:token_holder');
    expect(
      engine.check({
        object: 'document:1',
        relation: 'viewer',
        subject: 'user:token_holder',
        contextualTuples,
      }).allowed,
    ).toBe(true);
    expect(
      engine.check({ object: 'document:1', relation: 'viewer', subject: 'user:token_holder' }).allowed,
    ).toBe(false);
    expect(index.size).toBe(1);
  });

  it('may introduce objects and subjects the index has never seen', () => {
    const contextualTuples = tuples('document:draft#parent@folder:tmp', 'folder:tmp#viewer@user:new_user');
    expect(
      engine.check({
        object: 'document:draft',
        relation: 'viewer',
        subject: 'user:new_user',
        contextualTuples,
      }).allowed,
    ).toBe(true);
    expect(
      engine.listObjects({ type: 'document', relation: 'viewer', subject: 'user:new_user', contextualTuples })
        .objects,
    ).toEqual(['document:draft']);
  });

  it('are validated against the model', () => {
    expect(() =>
      engine.check({
        object: 'document:1',
        relation: 'viewer',
        subject: 'user:1',
        contextualTuples: tuples('document:1#commenter@user:1'),
      }),
    ).toThrow(expect.objectContaining({ code: 'AUTHZ_TUPLE_INVALID' }) as Error);
  });
});

describe('cycles, depth and budget', () => {
  it('terminates on cyclic group membership and still finds members', () => {
    const { engine } = engineFor(
      documentsModel(),
      tuples(
        'group:a#member@group:b#member',
        'group:b#member@group:a#member',
        'group:b#member@user:1',
        'document:1#viewer@group:a#member',
      ),
    );
    expect(engine.check({ object: 'group:a', relation: 'member', subject: 'user:1' }).allowed).toBe(true);
    expect(engine.check({ object: 'document:1', relation: 'viewer', subject: 'user:1' }).allowed).toBe(true);
    expect(engine.check({ object: 'document:1', relation: 'viewer', subject: 'user:2' })).toEqual({
      allowed: false,
      reason: 'not_related',
    });
  });

  it('does not keep a result a cycle cut short: a member of the cycle is settled when the cycle resolves', () => {
    // signer = editor ∧ approver. Resolving editor visits a → b → a (cut: b looks empty for a moment)
    // → c ∋ carl; approver then asks b again, which must now be granted.
    const model: ModelJson = {
      schemaVersion: '1.0',
      types: {
        doc: {
          relations: {
            editor: { this: ['group#member'] },
            approver: { this: ['group#member'] },
            signer: { intersection: [{ computed: 'editor' }, { computed: 'approver' }] },
          },
        },
      },
    };
    const { engine } = engineFor(
      model,
      tuples(
        'group:a#member@group:b#member',
        'group:a#member@group:c#member',
        'group:b#member@group:a#member',
        'group:c#member@user:carl',
        'doc:1#editor@group:a#member',
        'doc:1#approver@group:b#member',
      ),
    );
    const signer = { object: 'doc:1', relation: 'signer', subject: 'user:carl' };
    expect(engine.check(signer).allowed).toBe(true);
    const memberships = ['group:a', 'group:b', 'group:c'].map((object) => ({
      object,
      relation: 'member',
      subject: 'user:carl',
    }));
    expect(engine.batchCheck([...memberships, signer]).map((r) => r.allowed)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('does not keep cut-short results of a cycle through an intersection', () => {
    const model: ModelJson = {
      schemaVersion: '1.0',
      types: {
        node: {
          relations: {
            next: { this: ['node'] },
            ok: { this: ['user'] },
            reach: {
              union: [
                { this: ['user'] },
                {
                  intersection: [
                    { computed: 'ok' },
                    { tupleToUserset: { tupleset: 'next', computed: 'reach' } },
                  ],
                },
              ],
            },
          },
        },
      },
    };
    // n1 → n2 → n1 is a cycle; n2 → n3 grants. Every node is ok for u.
    const { engine } = engineFor(
      model,
      tuples(
        'node:n1#next@node:n2',
        'node:n2#next@node:n1',
        'node:n2#next@node:n3',
        'node:n3#reach@user:u',
        ...['n1', 'n2', 'n3'].map((n) => `node:${n}#ok@user:u`),
      ),
    );
    const requests = ['n1', 'n2', 'n3'].map((n) => ({
      object: `node:${n}`,
      relation: 'reach',
      subject: 'user:u',
    }));
    expect(engine.batchCheck(requests).map((r) => r.allowed)).toEqual([true, true, true]);
    expect(engine.batchCheck([...requests].reverse()).map((r) => r.allowed)).toEqual([true, true, true]);
  });

  it('settles a cycle only when all of it is union-only', () => {
    // Root n1#gate = n1#reach ∧ n1#allowed is false, though n1#reach is true; n2#reach, cut short
    // while n1#gate and n1#reach were in progress, is truly true and must not inherit the root's false.
    const model: ModelJson = {
      schemaVersion: '1.0',
      types: {
        node: {
          relations: {
            next: { this: ['node'] },
            allowed: { this: ['user'] },
            reach: {
              union: [
                { this: ['user'] },
                { tupleToUserset: { tupleset: 'next', computed: 'reach' } },
                { tupleToUserset: { tupleset: 'next', computed: 'gate' } },
              ],
            },
            gate: { intersection: [{ computed: 'reach' }, { computed: 'allowed' }] },
          },
        },
      },
    };
    const { engine } = engineFor(
      model,
      tuples('node:n1#next@node:n2', 'node:n1#next@node:n3', 'node:n2#next@node:n1', 'node:n3#reach@user:u'),
    );
    const results = engine.batchCheck([
      { object: 'node:n1', relation: 'gate', subject: 'user:u' },
      { object: 'node:n2', relation: 'reach', subject: 'user:u' },
    ]);
    expect(results.map((r) => r.allowed)).toEqual([false, true]);
  });

  it('terminates on a cyclic folder hierarchy', () => {
    const { engine } = engineFor(
      documentsModel(),
      tuples(
        'folder:a#parent@folder:b',
        'folder:b#parent@folder:a',
        'document:1#parent@folder:a',
        'folder:b#viewer@user:1',
      ),
    );
    expect(engine.check({ object: 'document:1', relation: 'viewer', subject: 'user:1' }).allowed).toBe(true);
    expect(engine.check({ object: 'document:1', relation: 'viewer', subject: 'user:2' }).allowed).toBe(false);
  });

  it('stays fast on a densely cyclic group graph (no path enumeration)', () => {
    const names = Array.from({ length: 20 }, (_, i) => `group:g${i}`);
    const edges = names.flatMap((a) => names.filter((b) => b !== a).map((b) => `${a}#member@${b}#member`));
    const { engine } = engineFor(documentsModel(), tuples(...edges, 'group:g19#member@user:last'));
    for (const name of names) {
      expect(engine.check({ object: name, relation: 'member', subject: 'user:nobody' })).toEqual({
        allowed: false,
        reason: 'not_related',
      });
      expect(engine.check({ object: name, relation: 'member', subject: 'user:last' }).allowed).toBe(true);
    }
  });

  it('denies, without blowing up, when a cyclic graph is deeper than the depth limit', () => {
    // Depth-first search walks the 60-clique 25 deep before it can tell; that is a deny, not a hang.
    const names = Array.from({ length: 60 }, (_, i) => `group:g${i}`);
    const edges = names.flatMap((a) => names.filter((b) => b !== a).map((b) => `${a}#member@${b}#member`));
    const { engine } = engineFor(documentsModel(), tuples(...edges, 'group:g59#member@user:last'));
    expect(engine.check({ object: 'group:g0', relation: 'member', subject: 'user:nobody' }).allowed).toBe(
      false,
    );
    expect(engine.check({ object: 'group:g0', relation: 'member', subject: 'user:last' }).allowed).toBe(true);
  });

  it('never lets a result cut short by the depth limit count as "not blocked"', () => {
    const model: ModelJson = {
      schemaVersion: '1.0',
      types: {
        doc: {
          relations: {
            viewer: { this: ['user', 'group#member'] },
            blocked: { this: ['user', 'group#member'] },
            reader: { exclusion: { base: { computed: 'viewer' }, subtract: { computed: 'blocked' } } },
          },
        },
      },
    };
    const chain = Array.from({ length: 8 }, (_, i) => `group:c${i}#member@group:c${i + 1}#member`);
    const { engine } = engineFor(
      model,
      tuples(
        ...chain,
        'group:c8#member@user:1',
        'doc:1#viewer@group:c0#member',
        'doc:1#blocked@group:c2#member',
        'doc:1#viewer@user:1',
      ),
      { maxDepth: 6 },
    );
    // user:1 is blocked through c2 … c8 (8 levels), deeper than the limit: unknown, so denied.
    expect(engine.check({ object: 'doc:1', relation: 'reader', subject: 'user:1' })).toEqual({
      allowed: false,
      reason: 'depth_exceeded',
    });
  });

  it('denies with depth_exceeded past the depth limit, never throwing', () => {
    const chain = (length: number) =>
      tuples(
        ...Array.from({ length }, (_, i) => `group:c${i}#member@group:c${i + 1}#member`),
        `group:c${length}#member@user:deep`,
      );
    const { engine } = engineFor(documentsModel(), chain(30));
    expect(engine.check({ object: 'group:c20', relation: 'member', subject: 'user:deep' }).allowed).toBe(
      true,
    );
    expect(engine.check({ object: 'group:c0', relation: 'member', subject: 'user:deep' })).toEqual({
      allowed: false,
      reason: 'depth_exceeded',
    });
    const { engine: shallow } = engineFor(documentsModel(), chain(5), { maxDepth: 3 });
    expect(shallow.check({ object: 'group:c0', relation: 'member', subject: 'user:deep' })).toMatchObject({
      reason: 'depth_exceeded',
    });
    expect(shallow.check({ object: 'group:c3', relation: 'member', subject: 'user:deep' }).allowed).toBe(
      true,
    );
  });

  it('denies with resolution_limit when a check needs more work than allowed', () => {
    const groups = Array.from({ length: 50 }, (_, i) => `group:root#member@group:g${i}#member`);
    const { engine } = engineFor(documentsModel(), tuples(...groups), { maxResolutions: 10 });
    expect(engine.check({ object: 'group:root', relation: 'member', subject: 'user:x' })).toMatchObject({
      reason: 'resolution_limit',
    });
  });
});

describe('model changes', () => {
  it('ignores stored tuples the current model no longer accepts', () => {
    const index = new TupleIndex();
    const first = validateModel(documentsModel()).model;
    index.write(tuples('document:1#viewer@user:*', 'document:1#editor@agent:a'), { model: first });
    const stricter = documentsModel();
    const relations = stricter.types.document!.relations!;
    const next: ModelJson = {
      ...stricter,
      types: {
        ...stricter.types,
        document: {
          relations: {
            ...relations,
            viewer: { union: [{ this: ['user'] }, { computed: 'editor' }] },
            editor: { this: ['user'] },
          },
        },
      },
    };
    const engine = new AuthzEngine(validateModel(next).model, index);
    expect(engine.check({ object: 'document:1', relation: 'viewer', subject: 'user:anyone' }).allowed).toBe(
      false,
    );
    expect(engine.check({ object: 'document:1', relation: 'editor', subject: 'agent:a' }).allowed).toBe(
      false,
    );
    expect(
      new AuthzEngine(first, index).check({
        object: 'document:1',
        relation: 'viewer',
        subject: 'user:anyone',
      }).allowed,
    ).toBe(true);
  });
});
