import { EmbeddedPostgres } from '@mandate/eventstore';
import {
  compileFilter,
  createSchemaRegistry,
  ENTERPRISE_USER_SCHEMA,
  filterToSql,
  type JsonObject,
  matches,
  normalizeResource,
  USER_SCHEMA,
} from '@mandate/scim';
import { describeWithServices } from '@mandate/testing';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';

const CUSTOM = 'urn:acme:params:scim:schemas:extension:hr:2.0:User';
const registry = createSchemaRegistry([
  {
    resourceType: 'User',
    schema: CUSTOM,
    attributes: [
      { name: 'level', type: 'integer' },
      { name: 'salaryBand', type: 'decimal' },
      { name: 'contractor', type: 'boolean' },
      { name: 'startDate', type: 'dateTime' },
      { name: 'badge', type: 'string', caseExact: true },
      { name: 'skills', type: 'string', multiValued: true },
    ],
  },
]);

const DEPARTMENTS = ['R&D', 'Sales', 'sales', 'Support_EMEA', '100%', 'Ops\\Infra', undefined];
const NAMES = ['Ada', 'ada', 'Grace', 'Linus', 'Édith', "O'Brien", 'Zoë'];

/** Users that differ in every way a filter can tell apart, normalised as the SCIM service stores them. */
const users = (): JsonObject[] =>
  Array.from({ length: 60 }, (_, i) => {
    const name = NAMES[i % NAMES.length]!;
    const department = DEPARTMENTS[i % DEPARTMENTS.length];
    const body: Record<string, unknown> = {
      schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, CUSTOM],
      userName: `${name}.${i}@Example.com`,
      ...(i % 5 !== 0 && { externalId: `ext-${i % 9}` }),
      ...(i % 4 !== 0 && { active: i % 3 === 0 }),
      ...(i % 6 !== 1 && { displayName: `${name} ${i % 2 === 0 ? 'Lovelace' : 'Hopper'}` }),
      ...(i % 7 !== 2 && { title: i % 2 === 0 ? 'Engineer' : '' }),
      name: { givenName: name, ...(i % 3 === 0 && { familyName: `Family${i % 4}` }) },
      emails: [
        { value: `${name.toLowerCase()}${i}@work.example`, type: 'work', primary: i % 2 === 0 },
        ...(i % 3 === 0 ? [{ value: `${name}${i}@Home.example`, type: 'home' }] : []),
      ],
      [ENTERPRISE_USER_SCHEMA]: {
        ...(department !== undefined && { department }),
        employeeNumber: String(1000 + i),
        ...(i % 4 === 1 && { manager: { value: `usr_manager_${i % 3}` } }),
      },
      [CUSTOM]: {
        level: i % 8,
        ...(i % 5 !== 3 && { salaryBand: (i % 7) + 0.5 }),
        ...(i % 2 === 0 && { contractor: i % 4 === 0 }),
        startDate: new Date(Date.UTC(2020, i % 12, 1 + (i % 27), i % 24)).toISOString(),
        badge: i % 2 === 0 ? `AB-${i}` : `ab-${i}`,
        ...(i % 3 !== 2 && { skills: ['Go', i % 2 === 0 ? 'typescript' : 'TypeScript', `s${i % 5}`] }),
      },
    };
    return { ...normalizeResource(registry, 'User', body).document, id: `usr_${String(i).padStart(3, '0')}` };
  });

const FILTERS = [
  'userName eq "ada.1@example.com"',
  'USERNAME Eq "ADA.1@EXAMPLE.COM"',
  'userName ne "ada.1@example.com"',
  'userName co "ace"',
  'userName sw "gr"',
  'userName ew "@example.COM"',
  'userName gt "Linus"',
  'userName le "Grace.9@example.com"',
  'externalId eq "ext-3"',
  'externalId eq "EXT-3"',
  'externalId pr',
  'not (externalId pr)',
  'externalId eq null',
  'active eq true',
  'active eq false',
  'active pr',
  'not (active eq true)',
  'displayName pr',
  'title pr',
  'title eq ""',
  'name.familyName sw "Family"',
  'name.familyName eq "family2"',
  'emails co "work.example"',
  'emails.value ew "HOME.example"',
  'emails[type eq "work"]',
  'emails[type eq "home" and value co "@home"]',
  'emails[type eq "work" and primary eq true]',
  'emails[not (type eq "work")]',
  'emails[type eq "work"].value sw "ada"',
  'emails.primary eq true',
  'emails pr',
  `${ENTERPRISE_USER_SCHEMA}:department eq "sales"`,
  `${ENTERPRISE_USER_SCHEMA}:department co "%"`,
  `${ENTERPRISE_USER_SCHEMA}:department co "_"`,
  `${ENTERPRISE_USER_SCHEMA}:department co "\\\\"`,
  `${ENTERPRISE_USER_SCHEMA}:department pr`,
  `${ENTERPRISE_USER_SCHEMA}:manager.value eq "usr_manager_1"`,
  `${ENTERPRISE_USER_SCHEMA}:employeeNumber ge "1030"`,
  `${CUSTOM}:level gt 4`,
  `${CUSTOM}:level le 2`,
  `${CUSTOM}:level eq 3`,
  `${CUSTOM}:salaryBand ge 3.5`,
  `${CUSTOM}:salaryBand lt 2`,
  `${CUSTOM}:salaryBand pr`,
  `${CUSTOM}:contractor eq true`,
  `${CUSTOM}:contractor eq false`,
  `${CUSTOM}:contractor pr`,
  `${CUSTOM}:startDate gt "2020-06-01T00:00:00Z"`,
  `${CUSTOM}:startDate le "2020-03-15T12:00:00+02:00"`,
  `${CUSTOM}:badge eq "ab-3"`,
  `${CUSTOM}:badge eq "AB-3"`,
  `${CUSTOM}:badge sw "AB"`,
  `${CUSTOM}:skills eq "TypeScript"`,
  `${CUSTOM}:skills co "script"`,
  `${CUSTOM}:skills pr`,
  'userName sw "ada" and active eq true',
  'userName sw "ada" or userName sw "zo"',
  'userName sw "ada" or userName sw "zo" and active eq false',
  '(userName sw "ada" or userName sw "zo") and active eq false',
  'not (userName sw "ada" or title pr)',
  `not (${CUSTOM}:level gt 3) and emails[type eq "home"]`,
  'userName eq "a\\") OR 1=1--"',
  'userName eq "x" or "1" eq "1"',
];

const checkEquivalence = (connectionString: () => string) => {
  let pool: Pool;
  const schema = `scim_filter_${randomBytes(4).toString('hex')}`;
  const documents = users();

  beforeAll(async () => {
    pool = new Pool({ connectionString: connectionString(), max: 2 });
    await pool.query(`create schema ${schema}`);
    await pool.query(`create table ${schema}.resources (id text primary key, doc jsonb not null)`);
    for (const document of documents) {
      await pool.query(`insert into ${schema}.resources (id, doc) values ($1, $2)`, [
        document['id'],
        JSON.stringify(document),
      ]);
    }
  });
  afterAll(async () => {
    await pool.query(`drop schema ${schema} cascade`);
    await pool.end();
  });

  it.each(FILTERS)('%s: the same users in SQL as in memory', async (text) => {
    let filter;
    try {
      filter = compileFilter(text, registry, 'User');
    } catch (error) {
      // A filter the engine refuses must be refused, not run: check that it is one of those.
      expect(String(error)).toMatch(/invalidFilter/);
      return;
    }
    const expected = documents.filter((document) => matches(filter, document)).map((d) => d['id']);
    const { sql, params } = filterToSql(filter, { column: 'doc' });
    const { rows } = await pool.query<{ id: string }>(
      `select id from ${schema}.resources where ${sql} order by id`,
      params,
    );
    expect(rows.map((row) => row.id)).toEqual(expected.sort());
  });

  it('tells the users apart: no filter above matches everyone or no one by accident of the data', () => {
    const selective = FILTERS.filter((text) => {
      try {
        const filter = compileFilter(text, registry, 'User');
        const count = documents.filter((document) => matches(filter, document)).length;
        return count > 0 && count < documents.length;
      } catch {
        return false;
      }
    });
    expect(selective.length).toBeGreaterThan(FILTERS.length * 0.75);
  });
};

describe('SCIM filters in SQL on embedded PGlite', () => {
  let embedded: EmbeddedPostgres | undefined;
  beforeAll(async () => {
    embedded = await EmbeddedPostgres.start();
  });
  checkEquivalence(() => embedded!.connectionString);
  afterAll(async () => {
    await embedded?.stop();
  });
});

describeWithServices(['postgres'], 'SCIM filters in SQL on PostgreSQL', ({ postgres }) =>
  checkEquivalence(() => postgres),
);
