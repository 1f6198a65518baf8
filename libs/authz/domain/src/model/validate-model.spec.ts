import { DomainError } from '@mandate/kernel';

import { documentsModel } from '../testing/documents.model';
import type { ModelJson } from './model.types';
import { validateModel } from './validate-model';

const problemsOf = (input: unknown): { path: string; message: string }[] => {
  try {
    validateModel(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const domainError = error as DomainError;
    expect(domainError.kind).toBe('invalid');
    expect(domainError.code).toBe('AUTHZ_MODEL_INVALID');
    return (domainError.details as { problems: { path: string; message: string }[] }).problems;
  }
  throw new Error('expected the model to be rejected');
};

const withTypes = (types: Record<string, unknown>, conditions?: Record<string, unknown>): unknown => ({
  schemaVersion: '1.0',
  types,
  ...(conditions ? { conditions } : {}),
});

describe('validateModel', () => {
  it('accepts the documents model and adds the system types', () => {
    const { model } = validateModel(documentsModel());
    expect(model.type('user')?.system).toBe(true);
    expect(model.relation('group', 'member')?.direct?.restrictions.map((r) => r.type)).toEqual([
      'user',
      'agent',
      'group',
    ]);
    expect(model.relation('document', 'viewer')?.exact).toBe(true);
    expect(model.relation('document', 'commenter')?.exact).toBe(false);
    expect(model.json).toEqual(documentsModel());
  });

  it('lets a model reference system types and roles', () => {
    expect(() =>
      validateModel(
        withTypes({
          project: { relations: { admin: { this: ['role#assignee', 'group#member', 'agent'] } } },
        }),
      ),
    ).not.toThrow();
  });

  it.each([
    ['a non-object', 42, ''],
    ['a wrong schema version', { schemaVersion: '2', types: {} }, 'schemaVersion'],
    ['missing types', { schemaVersion: '1.0' }, 'types'],
    ['an unknown top-level property', { schemaVersion: '1.0', types: {}, extra: 1 }, 'extra'],
  ])('rejects %s', (_, input, path) => {
    expect(problemsOf(input).map((p) => p.path)).toContain(path);
  });

  it('rejects a redefined system type', () => {
    expect(problemsOf(withTypes({ group: { relations: { owner: { this: ['user'] } } } }))).toEqual([
      { path: 'types.group', message: "'group' is a system type and cannot be redefined" },
    ]);
  });

  it('rejects malformed type, relation, condition and parameter names', () => {
    const problems = problemsOf(
      withTypes(
        { Doc: {}, doc: { relations: { 'bad-name': { this: ['user'] } } } },
        {
          '9cond': { parameters: {}, expression: 'true' },
          ok: { parameters: { BadParam: 'int' }, expression: 'true' },
        },
      ),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'types.Doc',
      'types.doc.relations.bad-name',
      'conditions.9cond',
      'conditions.ok.parameters.BadParam',
    ]);
  });

  it('rejects references to unknown types and relations, naming the path', () => {
    const problems = problemsOf(
      withTypes({
        doc: {
          relations: {
            owner: { this: ['usr'] },
            editor: { this: ['group#owner'] },
            viewer: { union: [{ computed: 'owner' }, { computed: 'reader' }] },
          },
        },
      }),
    );
    expect(problems).toEqual([
      { path: 'types.doc.relations.owner.this[0]', message: "unknown type 'usr'" },
      { path: 'types.doc.relations.editor.this[0]', message: "type 'group' has no relation 'owner'" },
      {
        path: 'types.doc.relations.viewer.union[1].computed',
        message: "type 'doc' has no relation 'reader'",
      },
    ]);
  });

  it('rejects duplicate and malformed subject restrictions', () => {
    const problems = problemsOf(
      withTypes({
        doc: {
          relations: {
            viewer: { this: ['user', 'user', 'user#', { type: 'user', wildcard: true, relation: 'x' }] },
          },
        },
      }),
    );
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['types.doc.relations.viewer.this[1]', 'duplicate subject restriction'],
      [
        'types.doc.relations.viewer.this[2]',
        "malformed subject restriction 'user#'; use 'type', 'type:*' or 'type#relation'",
      ],
      ['types.doc.relations.viewer.this[3]', 'a restriction is either a wildcard or a userset, not both'],
      ['types.doc.relations.viewer.this[3]', "type 'user' has no relation 'x'"],
    ]);
  });

  it('rejects a tupleToUserset whose tupleset is not purely direct or allows usersets', () => {
    const problems = problemsOf(
      withTypes({
        folder: { relations: { viewer: { this: ['user'] } } },
        doc: {
          relations: {
            parent: { this: ['folder', 'group#member'] },
            computed_parent: { computed: 'parent' },
            viewer: {
              union: [
                { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
                { tupleToUserset: { tupleset: 'computed_parent', computed: 'viewer' } },
                { tupleToUserset: { tupleset: 'nope', computed: 'viewer' } },
              ],
            },
          },
        },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'types.doc.relations.viewer.union[0].tupleToUserset.tupleset',
      'types.doc.relations.viewer.union[1].tupleToUserset.tupleset',
      'types.doc.relations.viewer.union[2].tupleToUserset.tupleset',
    ]);
    expect(problems[0]!.message).toMatch(/ambiguous/);
  });

  it('rejects a tupleToUserset whose computed relation exists on none of the tupleset types', () => {
    const problems = problemsOf(
      withTypes({
        folder: { relations: { owner: { this: ['user'] } } },
        doc: {
          relations: {
            parent: { this: ['folder'] },
            viewer: { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
          },
        },
      }),
    );
    expect(problems).toEqual([
      {
        path: 'types.doc.relations.viewer.tupleToUserset.computed',
        message: "none of the types 'parent' allows has a relation 'viewer'",
      },
    ]);
  });

  it('rejects relations that can never be satisfied (a computed cycle with no direct base)', () => {
    const problems = problemsOf(
      withTypes({
        doc: { relations: { a: { computed: 'b' }, b: { computed: 'a' }, c: { this: ['user'] } } },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(['types.doc.relations.a', 'types.doc.relations.b']);
    expect(problems[0]!.message).toMatch(/never be satisfied/);
  });

  it('rejects a tupleToUserset cycle with no base, but accepts a recursive hierarchy with one', () => {
    expect(
      problemsOf(
        withTypes({
          folder: {
            relations: {
              parent: { this: ['folder'] },
              viewer: { tupleToUserset: { tupleset: 'parent', computed: 'viewer' } },
            },
          },
        }),
      ),
    ).toHaveLength(1);
    expect(() => validateModel(documentsModel())).not.toThrow();
  });

  it('rejects an intersection with an unsatisfiable operand and a userset-only self reference', () => {
    const problems = problemsOf(
      withTypes({
        doc: {
          relations: {
            loop: { this: ['doc#loop'] },
            both: { intersection: [{ this: ['user'] }, { computed: 'loop' }] },
          },
        },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(['types.doc.relations.loop', 'types.doc.relations.both']);
  });

  it('rejects a relation that depends on itself through an exclusion', () => {
    const problems = problemsOf(
      withTypes({
        doc: {
          relations: {
            a: { exclusion: { base: { this: ['user'] }, subtract: { computed: 'b' } } },
            b: { union: [{ this: ['user'] }, { computed: 'a' }] },
          },
        },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual(['types.doc.relations.a']);
    expect(problems[0]!.message).toMatch(/through an exclusion/);
  });

  it('rejects a subtracted direct part and a second direct part', () => {
    const problems = problemsOf(
      withTypes({
        doc: {
          relations: {
            a: { this: ['user'] },
            b: { exclusion: { base: { computed: 'a' }, subtract: { this: ['user'] } } },
            c: { union: [{ this: ['user'] }, { this: ['agent'] }] },
          },
        },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'types.doc.relations.b.exclusion.subtract.this',
      'types.doc.relations.c.union[1].this',
    ]);
  });

  it('rejects malformed rewrites', () => {
    const problems = problemsOf(
      withTypes({
        doc: {
          relations: {
            a: { this: [] },
            b: { computed: 'a', union: [] },
            c: { exclusion: { base: { this: ['user'] } } },
            d: { union: [] },
            e: 'viewer',
          },
        },
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'types.doc.relations.a.this',
      'types.doc.relations.b',
      'types.doc.relations.c.exclusion',
      'types.doc.relations.d.union',
      'types.doc.relations.e',
    ]);
  });

  it('rejects conditions with unknown parameters, type errors or unknown names', () => {
    const problems = problemsOf(
      withTypes(
        {
          doc: {
            relations: {
              viewer: {
                this: [
                  { type: 'user', condition: 'missing' },
                  { type: 'user', condition: 'typed' },
                ],
              },
            },
          },
        },
        {
          typed: { parameters: { n: 'int', s: 'string' }, expression: 'n == s' },
          unknown_param: { parameters: { n: 'int' }, expression: 'm > 1' },
          bad_type: { parameters: { n: 'integer' }, expression: 'true' },
          not_bool: { parameters: { n: 'int' }, expression: 'n + 1' },
          syntax: { parameters: {}, expression: '1 <' },
        },
      ),
    );
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['conditions.typed.expression', 'cannot compare int with string (at offset 2)'],
      ['conditions.unknown_param.expression', "unknown parameter 'm' (at offset 0)"],
      [
        'conditions.bad_type.parameters.n',
        'unknown type; use string, int, double, bool, timestamp, duration, ipaddress or list<T>',
      ],
      ['conditions.not_bool.expression', 'a condition must be a bool, not int (at offset 0)'],
      ['conditions.syntax.expression', 'unexpected end of expression (at offset 3)'],
      ['types.doc.relations.viewer.this[0]', "unknown condition 'missing'"],
    ]);
  });

  it('enforces limits on types, relations and model size', () => {
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`t${i}`, {}]));
    expect(problemsOf(withTypes(many)).map((p) => p.path)).toEqual(['types']);
    const relations = Object.fromEntries(
      Array.from({ length: 101 }, (_, i) => [`r${i}`, { this: ['user'] }]),
    );
    expect(problemsOf(withTypes({ doc: { relations } })).map((p) => p.path)).toEqual(['types.doc.relations']);
    const big = {
      schemaVersion: '1.0',
      types: { doc: { relations: { a: { this: ['user'] } } } },
      padding: 'x'.repeat(600_000),
    };
    expect(problemsOf(big)[0]!.message).toMatch(/limit is 524288/);
  });

  it('rejects rewrites nested too deeply', () => {
    let rewrite: unknown = { this: ['user'] };
    for (let i = 0; i < 20; i++) rewrite = { union: [rewrite] };
    expect(problemsOf(withTypes({ doc: { relations: { a: rewrite } } }))[0]!.message).toMatch(/nest deeper/);
  });

  it('keeps the document it was given, so the model can travel in events', () => {
    const json: ModelJson = documentsModel();
    const { model } = validateModel(JSON.parse(JSON.stringify(json)));
    expect(validateModel(model.json).model.json).toEqual(json);
  });
});
