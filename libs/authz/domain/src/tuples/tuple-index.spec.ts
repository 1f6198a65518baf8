import { DomainError } from '@mandate/kernel';

import { validateModel } from '../model/validate-model';
import { tuples } from '../testing/authz.fixtures';
import { documentsModel } from '../testing/documents.model';
import type { Tuple } from './tuple';
import { TupleIndex } from './tuple-index';

const { model } = validateModel(documentsModel());

const faultsOf = (write: () => unknown): { path: string; fault: string; message: string }[] => {
  try {
    write();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('AUTHZ_TUPLE_INVALID');
    return (
      (error as DomainError).details as { problems: { path: string; fault: string; message: string }[] }
    ).problems;
  }
  throw new Error('expected the tuples to be refused');
};

describe('TupleIndex', () => {
  it('writes and deletes idempotently, and lists what it holds', () => {
    const index = new TupleIndex();
    const written = tuples(
      'document:1#viewer@user:7',
      'document:1#viewer@group:3#member',
      'document:1#viewer@user:*',
    );
    expect(index.write(written, { model })).toEqual({ written: 3 });
    expect(index.write(written, { model })).toEqual({ written: 0 });
    expect(index.size).toBe(3);
    expect(index.has({ object: 'document:1', relation: 'viewer', subject: 'group:3#member' })).toBe(true);
    expect(index.has({ object: 'document:1', relation: 'viewer', subject: 'group:3#owner' })).toBe(false);
    expect([...index.tuples()]).toEqual(expect.arrayContaining(written));
    expect(index.delete(written.slice(0, 2))).toEqual({ deleted: 2 });
    expect(index.delete(written.slice(0, 2))).toEqual({ deleted: 0 });
    expect(index.delete(tuples('nothing:1#viewer@user:1'))).toEqual({ deleted: 0 });
    expect([...index.tuples()]).toEqual([{ object: 'document:1', relation: 'viewer', subject: 'user:*' }]);
  });

  it('accepts ids with the documented characters', () => {
    const index = new TupleIndex();
    const ids = ['usr_01kabc', 'editor@project:42', 'a.b-c=d|e', 'X'.repeat(256)];
    index.write(
      ids.map((id) => ({ object: `document:${id}`, relation: 'viewer', subject: `user:${id}` })),
      { model },
    );
    expect(index.size).toBe(4);
    expect(
      index.has({
        object: 'document:editor@project:42',
        relation: 'viewer',
        subject: 'user:editor@project:42',
      }),
    ).toBe(true);
  });

  it('refuses malformed tuples before changing anything', () => {
    const index = new TupleIndex();
    const problems = faultsOf(() =>
      index.write([
        { object: 'document:1', relation: 'viewer', subject: 'user:1' },
        { object: 'document', relation: 'viewer', subject: 'user:1' },
        { object: 'document:1', relation: 'Viewer', subject: 'user:1' },
        { object: 'document:1', relation: 'viewer', subject: 'user:*#member' },
        { object: 'document:a b', relation: 'viewer', subject: 'user:1' },
        { object: `document:${'x'.repeat(257)}`, relation: 'viewer', subject: 'user:1' },
      ]),
    );
    expect(problems.map((p) => [p.path, p.fault])).toEqual([
      ['[1].object', 'malformed'],
      ['[2].relation', 'malformed'],
      ['[3].subject', 'malformed'],
      ['[4].object', 'malformed'],
      ['[5].object', 'malformed'],
    ]);
    expect(index.size).toBe(0);
  });

  it('validates tuples against the model, naming the fault', () => {
    const cases: [Tuple, string, string][] = [
      [{ object: 'page:1', relation: 'viewer', subject: 'user:1' }, 'unknown_object_type', 'object'],
      [{ object: 'document:1', relation: 'reader', subject: 'user:1' }, 'unknown_relation', 'relation'],
      [{ object: 'document:1', relation: 'commenter', subject: 'user:1' }, 'relation_not_direct', 'relation'],
      [{ object: 'document:1', relation: 'viewer', subject: 'robot:1' }, 'unknown_subject_type', 'subject'],
      [
        { object: 'document:1', relation: 'viewer', subject: 'agent:1' },
        'subject_type_not_allowed',
        'subject',
      ],
      [
        { object: 'document:1', relation: 'editor', subject: 'user:*' },
        'subject_type_not_allowed',
        'subject',
      ],
      [
        { object: 'document:1', relation: 'viewer', subject: 'group:1#nope' },
        'subject_type_not_allowed',
        'subject',
      ],
      [
        { object: 'document:1', relation: 'parent', subject: 'folder:1#viewer' },
        'subject_type_not_allowed',
        'subject',
      ],
      [{ object: 'document:1', relation: 'auditor', subject: 'user:1' }, 'condition_required', 'condition'],
      [
        { object: 'document:1', relation: 'auditor', subject: 'user:1', condition: { name: 'nope' } },
        'condition_unknown',
        'condition.name',
      ],
      [
        { object: 'document:1', relation: 'auditor', subject: 'user:1', condition: { name: 'from_office' } },
        'condition_not_allowed',
        'condition.name',
      ],
      [
        { object: 'document:1', relation: 'viewer', subject: 'user:1', condition: { name: 'from_office' } },
        'condition_not_allowed',
        'condition.name',
      ],
      [
        {
          object: 'document:1',
          relation: 'auditor',
          subject: 'user:1',
          condition: { name: 'during_business_hours', context: { tz_offset_minutes: 'UTC' } },
        },
        'condition_context_invalid',
        'condition.context.tz_offset_minutes',
      ],
      [
        {
          object: 'document:1',
          relation: 'auditor',
          subject: 'user:1',
          condition: { name: 'during_business_hours', context: { tz: 60 } },
        },
        'condition_context_invalid',
        'condition.context.tz',
      ],
    ];
    for (const [tuple, fault, path] of cases) {
      const [problem] = faultsOf(() => new TupleIndex().write([tuple], { model }));
      expect([problem!.fault, problem!.path]).toEqual([fault, `[0].${path}`]);
    }
  });

  it('accepts conditioned tuples with stored context, and either form where both are allowed', () => {
    const index = new TupleIndex();
    index.write(
      [
        {
          object: 'document:1',
          relation: 'auditor',
          subject: 'user:1',
          condition: { name: 'during_business_hours', context: { tz_offset_minutes: 60 } },
        },
        { object: 'document:1', relation: 'office_viewer', subject: 'user:1' },
        {
          object: 'document:1',
          relation: 'office_viewer',
          subject: 'user:2',
          condition: { name: 'from_office' },
        },
        { object: 'document:1', relation: 'office_viewer', subject: 'role:admin#assignee' },
      ],
      { model },
    );
    expect(index.size).toBe(4);
  });

  it('replaces the condition of a tuple written again', () => {
    const index = new TupleIndex();
    const key = { object: 'document:1', relation: 'office_viewer', subject: 'user:1' };
    index.write([{ ...key, condition: { name: 'from_office' } }], { model });
    expect(index.write([key], { model })).toEqual({ written: 0 });
    expect([...index.tuples()]).toEqual([key]);
  });

  it('releases nodes and relation sets no tuple mentions, and reuses their ids', () => {
    const index = new TupleIndex();
    const many = Array.from({ length: 100 }, (_, i) => `document:${i}#viewer@group:${i % 7}#member`);
    index.write(tuples(...many, 'group:1#member@user:1', 'folder:1#parent@folder:2'), { model });
    const before = index.stats();
    expect(before.tuples).toBe(102);
    index.delete(tuples(...many, 'group:1#member@user:1', 'folder:1#parent@folder:2'));
    expect(index.stats()).toEqual({ tuples: 0, nodes: 0, relationSets: 0 });
    index.write(tuples(...many), { model });
    expect(index.stats()).toEqual(
      before.tuples === 102 ? { tuples: 100, nodes: 107, relationSets: 107 } : before,
    );
    expect(index.capacity).toBe(before.nodes);
  });
});
