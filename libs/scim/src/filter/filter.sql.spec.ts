import { ScimError } from '../errors/scim-error';
import { createSchemaRegistry } from '../schema/schema-registry';
import { CUSTOM_USER_SCHEMA } from '../testing/builders';
import { type Filter } from './filter.ast';
import { compileFilter } from './filter.resolve';
import { escapeLikePattern, filterToSql } from './filter.sql';

const registry = createSchemaRegistry([
  {
    resourceType: 'User',
    schema: CUSTOM_USER_SCHEMA,
    attributes: [
      { name: 'badgeNumber', type: 'integer' },
      { name: 'tags', type: 'string', multiValued: true },
    ],
  },
]);
const sqlOf = (filter: string, firstParam = 1) =>
  filterToSql(compileFilter(filter, registry, 'User'), { column: 'doc', firstParam });

describe('filterToSql', () => {
  it('compares a caseExact=false string with lower() on both sides', () => {
    expect(sqlOf('userName eq "Bjensen"')).toEqual({
      sql: "coalesce(lower(doc->>'userName') = lower($1::text), false)",
      params: ['Bjensen'],
      nextParam: 2,
    });
  });

  it('compares a caseExact=true string exactly', () => {
    expect(sqlOf('externalId eq "Bjensen"').sql).toBe("coalesce(doc->>'externalId' = $1::text, false)");
  });

  it('numbers placeholders from firstParam, in order', () => {
    const { sql, params, nextParam } = sqlOf('title eq "a" or userType eq "b"', 4);
    expect(sql).toBe(
      "(coalesce(lower(doc->>'title') = lower($4::text), false) or coalesce(lower(doc->>'userType') = lower($5::text), false))",
    );
    expect(params).toEqual(['a', 'b']);
    expect(nextParam).toBe(6);
  });

  it('passes an injection attempt as one parameter and never into the SQL text', () => {
    const { sql, params } = sqlOf(String.raw`userName eq "a\") OR 1=1--"`);
    expect(params).toEqual(['a") OR 1=1--']);
    expect(sql).not.toContain('1=1');
    expect(sql).not.toContain('OR');
  });

  it('escapes %, _ and \\ in LIKE patterns', () => {
    expect(escapeLikePattern(String.raw`50%_off\now`)).toBe(String.raw`50\%\_off\\now`);
    const { sql, params } = sqlOf('userName co "100%_"');
    expect(sql).toBe(String.raw`coalesce(lower(doc->>'userName') like lower($1::text) escape '\', false)`);
    expect(params).toEqual([String.raw`%100\%\_%`]);
    expect(sqlOf('userName sw "a"').params).toEqual(['a%']);
    expect(sqlOf('userName ew "a"').params).toEqual(['%a']);
  });

  it('matches multi-valued attributes with exists over the elements', () => {
    expect(sqlOf('emails.value eq "x"').sql).toBe(
      "exists (select 1 from jsonb_array_elements(case when jsonb_typeof(doc->'emails') = 'array' then doc->'emails' else '[]'::jsonb end) as scim_e1(value) " +
        "where coalesce(lower(scim_e1.value->>'value') = lower($1::text), false))",
    );
    expect(sqlOf('tags eq "x"').sql).toContain("lower((scim_e1.value #>> '{}')) = lower($1::text)");
  });

  it('evaluates a value filter against one element', () => {
    const { sql } = sqlOf('emails[type eq "work" and value co "@x"]');
    expect(sql).toMatch(/^exists \(select 1 from jsonb_array_elements\(.*\) as scim_e1\(value\) where \(/);
    expect(sql).toContain("lower(scim_e1.value->>'type') = lower($1::text)");
    expect(sql).toContain("lower(scim_e1.value->>'value') like lower($2::text)");
  });

  it('reads extension attributes under their schema URN', () => {
    expect(
      sqlOf('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"').sql,
    ).toBe(
      "coalesce(doc->'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'->'manager'->>'value' = $1::text, false)",
    );
  });

  it('types dateTime, number and boolean comparisons', () => {
    expect(sqlOf('meta.lastModified gt "2011-05-13T04:42:34Z"')).toEqual({
      sql: "coalesce((doc->'meta'->>'lastModified')::timestamptz > $1::timestamptz, false)",
      params: ['2011-05-13T04:42:34Z'],
      nextParam: 2,
    });
    expect(sqlOf('badgeNumber ge 3').sql).toContain('::numeric >= $1::numeric');
    expect(sqlOf('active eq "False"')).toMatchObject({
      sql: "coalesce(doc->'active' = to_jsonb($1::boolean), false)",
      params: [false],
    });
  });

  it('orders strings by code point', () => {
    expect(sqlOf('userName lt "m"').sql).toBe(
      `coalesce((lower(doc->>'userName')) collate "C" < lower($1::text), false)`,
    );
  });

  it('defines present as not null, "", [] or {}', () => {
    expect(sqlOf('title pr').sql).toBe(
      "coalesce(jsonb_typeof(doc->'title') <> 'null' and doc->'title' not in ('\"\"'::jsonb, '[]'::jsonb, '{}'::jsonb), false)",
    );
    expect(sqlOf('title eq null').sql).toMatch(/^not coalesce\(jsonb_typeof/);
  });

  it('refuses a column that is not a plain reference', () => {
    const filter = compileFilter('title pr', registry, 'User');
    expect(() => filterToSql(filter, { column: 'doc; drop table users' })).toThrow(/plain SQL column/);
    expect(() => filterToSql(filter, { column: 'r.doc' })).not.toThrow();
  });

  it('fails loudly on a comparison it cannot translate', () => {
    const handMade: Filter = {
      kind: 'comparison',
      attribute: activeAttribute(),
      operator: 'gt',
      value: true,
    };
    expect(() => filterToSql(handMade, { column: 'doc' })).toThrow(ScimError);
  });
});

const activeAttribute = () => {
  const filter = compileFilter('active pr', registry, 'User');
  if (filter.kind !== 'present') throw new Error('unexpected');
  return filter.attribute;
};
