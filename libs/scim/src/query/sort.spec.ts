import { type JsonObject } from '../json';
import { createSchemaRegistry } from '../schema/schema-registry';
import { aUser } from '../testing/builders';
import { parseListQuery, type SortSpec } from './list-query';
import { compareForSort, sortToSql } from './sort';

const registry = createSchemaRegistry();
const sortBy = (attribute: string, order = 'ascending'): SortSpec => {
  const { sort } = parseListQuery(
    registry,
    'User',
    { sortBy: attribute, sortOrder: order },
    { maxResults: 10 },
  );
  if (!sort) throw new Error('no sort');
  return sort;
};

describe('sortToSql', () => {
  it('sorts a caseExact=false string by its lower case, code point order, ties on id', () => {
    expect(sortToSql(sortBy('userName'), { column: 'doc' })).toBe(
      `lower((doc->'userName' #>> '{}')) collate "C" asc nulls last, doc->>'id' collate "C" asc`,
    );
  });

  it('sorts a multi-valued attribute by its primary value, else its first', () => {
    expect(sortToSql(sortBy('emails.value', 'descending'), { column: 'doc' })).toBe(
      "lower((coalesce((select scim_s.value->'value' from jsonb_array_elements(case when jsonb_typeof(doc->'emails') = 'array' " +
        "then doc->'emails' else '[]'::jsonb end) as scim_s(value) where scim_s.value->'primary' = 'true'::jsonb limit 1), " +
        `doc->'emails'->0->'value') #>> '{}')) collate "C" desc nulls first, doc->>'id' collate "C" asc`,
    );
  });

  it('sorts dateTimes chronologically', () => {
    expect(sortToSql(sortBy('meta.lastModified'), { column: 'r.doc' })).toMatch(
      /^\(r\.doc->'meta'->'lastModified' #>> '\{\}'\)::timestamptz asc nulls last/,
    );
  });
});

describe('compareForSort', () => {
  const users: JsonObject[] = [
    aUser({ id: 'c', userName: 'carol', emails: [{ value: 'z@x' }, { value: 'a@x', primary: true }] }),
    aUser({ id: 'a', userName: 'Alice', emails: [{ value: 'm@x' }] }),
    aUser({ id: 'b', userName: 'bob', emails: [] }),
  ];
  const ids = (sort: SortSpec) => [...users].sort(compareForSort(sort)).map((user) => user.id);

  it('orders like the SQL: case-insensitively, primary value first, unassigned last ascending', () => {
    expect(ids(sortBy('userName'))).toEqual(['a', 'b', 'c']);
    expect(ids(sortBy('userName', 'descending'))).toEqual(['c', 'b', 'a']);
    expect(ids(sortBy('emails.value'))).toEqual(['c', 'a', 'b']);
    expect(ids(sortBy('emails.value', 'descending'))).toEqual(['b', 'a', 'c']);
  });
});
