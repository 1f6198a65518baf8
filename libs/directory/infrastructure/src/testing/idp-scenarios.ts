/**
 * Scripted provisioning runs of two real SCIM clients, Okta and the Microsoft Entra ID provisioning
 * service: the requests each sends, in its order and with its quirks, and every answer checked the
 * way that client (and RFC 7644) needs it. They speak HTTP only, so they run against any Mandate: the
 * standalone harness in Jest, or the distributed services in `tools/smoke-distributed.mjs` (which
 * imports the build of this file). The management API is read only to observe outcomes: the identity
 * events and the users' state.
 *
 * The first answer that is not what the client needs throws an Error naming the client, the step
 * and what was wrong.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface ProvisioningTarget {
  /** The directory's SCIM base URL, `http://host/scim/v2/{directoryId}`. */
  readonly scimBaseUrl: string;
  /** The directory's SCIM bearer token. */
  readonly token: string;
  /** The management API's origin, `http://host:port`. */
  readonly adminUrl: string;
  /** A key of the management API that can read the organization. */
  readonly adminKey: string;
  readonly orgId: string;
}

export interface ScenarioOptions {
  /** How long an event may take to show in the events API. */
  readonly eventTimeoutMs?: number;
  /** How many more users Okta provisions before importing (104): from 100 on, the import pages. */
  readonly assignedUsers?: number;
  /** Called with each step's name as it starts (progress output). */
  readonly onStep?: (step: string) => void;
}

export interface ProvisioningSummary {
  readonly client: string;
  /** The steps run, in order. */
  readonly steps: readonly string[];
  /** The ids Mandate gave the resources the run created. */
  readonly ids: Readonly<Record<string, string>>;
}

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTRA_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

type Json = Record<string, unknown>;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Json | null;
}

interface IdentityEvent {
  readonly type: string;
  readonly orgId: string | null;
  readonly data: Json;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `name.givenName`, or an extension attribute: `[ENTERPRISE, 'employeeNumber']`. */
const at = (value: unknown, ...path: string[]): unknown => {
  let current = value;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
};

const show = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 400 ? `${text.slice(0, 400)}…` : text;
};

/** JSON with object keys in order, so equal values compare equal whatever the key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    isObject(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1))) : item,
  ) ?? 'undefined';

const sameSet = (actual: readonly string[], expected: readonly string[]): boolean =>
  actual.length === expected.length && [...actual].sort().join() === [...expected].sort().join();

/** Between two polls of a bounded wait. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 25));

const eq = (expression: string) => encodeURIComponent(expression);

/** One client's run: its requests, the step each belongs to, and the checks on the answers. */
class Run {
  readonly steps: string[] = [];
  readonly ids: Record<string, string> = {};
  private current = '';

  constructor(
    readonly client: string,
    private readonly target: ProvisioningTarget,
    private readonly userAgent: string,
    private readonly options: ScenarioOptions,
  ) {}

  step(name: string): void {
    this.current = name;
    this.steps.push(name);
    this.options.onStep?.(`${this.client}: ${name}`);
  }

  fail(message: string): never {
    throw new Error(`${this.client}, step ${this.steps.length} "${this.current}": ${message}`);
  }

  check(condition: boolean, message: string): void {
    if (!condition) this.fail(message);
  }

  equal(actual: unknown, expected: unknown, what: string): void {
    if (canonical(actual) !== canonical(expected))
      this.fail(`${what} is ${show(actual)}, expected ${show(expected)}`);
  }

  summary(): ProvisioningSummary {
    return { client: this.client, steps: [...this.steps], ids: { ...this.ids } };
  }

  /**
   * One SCIM request as the client sends it; the answer must have `status`, and a body (when it
   * has one) must be `application/scim+json`.
   */
  async scim(method: string, path: string, status: number, body?: unknown): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(`${this.target.scimBaseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.target.token}`,
          'user-agent': this.userAgent,
          accept: 'application/scim+json',
          ...(body !== undefined && { 'content-type': 'application/scim+json; charset=utf-8' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (error) {
      this.fail(`${method} ${path} failed: ${(error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        this.fail(`${method} ${path} answered ${response.status} with a body that is not JSON: ${text}`);
      }
    }
    const answer: Answer = {
      status: response.status,
      headers: response.headers,
      text,
      body: isObject(parsed) ? parsed : null,
    };
    if (answer.status !== status)
      this.fail(`${method} ${path} answered ${answer.status}, expected ${status}: ${text.slice(0, 400)}`);
    if (status === 204) {
      this.check(text === '', `${method} ${path} answered 204 with a body: ${text.slice(0, 200)}`);
      return answer;
    }
    const type = response.headers.get('content-type') ?? '';
    this.check(
      type.startsWith('application/scim+json'),
      `${method} ${path} answered with Content-Type "${type}", expected application/scim+json`,
    );
    this.check(answer.body !== null, `${method} ${path} answered ${status} without a JSON object body`);
    if (status >= 400) this.scimError(answer, status);
    return answer;
  }

  /** A SCIM error body (RFC 7644 §3.12): the Error schema, `status` as a string. */
  scimError(answer: Answer, status: number, scimType?: string): void {
    this.equal(answer.body?.['schemas'], [ERROR], 'the error schemas');
    this.equal(answer.body?.['status'], String(status), 'the error status');
    if (scimType !== undefined) this.equal(answer.body?.['scimType'], scimType, 'the error scimType');
  }

  /** A ListResponse with integer paging fields; its resources. */
  listResponse(answer: Answer, { totalResults, startIndex }: { totalResults?: number; startIndex: number }) {
    const body = answer.body!;
    this.equal(body['schemas'], [LIST_RESPONSE], 'the list schemas');
    for (const field of ['totalResults', 'itemsPerPage', 'startIndex']) {
      this.check(Number.isInteger(body[field]), `${field} is ${show(body[field])}, expected an integer`);
    }
    if (totalResults !== undefined) this.equal(body['totalResults'], totalResults, 'totalResults');
    this.equal(body['startIndex'], startIndex, 'startIndex');
    const resources = body['Resources'] ?? [];
    this.check(Array.isArray(resources), `Resources is ${show(resources)}, expected an array`);
    const list = (resources as unknown[]).filter(isObject);
    this.equal(list.length, (resources as unknown[]).length, 'the number of resources that are objects');
    this.equal(body['itemsPerPage'], list.length, 'itemsPerPage');
    for (const resource of list) {
      this.check(typeof resource['id'] === 'string', `a listed resource has no id: ${show(resource)}`);
    }
    return list;
  }

  /** The single resource a filter must find. */
  async findOne(endpoint: string, filter: string, id: string, extra = ''): Promise<Json> {
    const answer = await this.scim('GET', `/${endpoint}?${extra}filter=${eq(filter)}`, 200);
    const [found] = this.listResponse(answer, { totalResults: 1, startIndex: 1 });
    this.equal(found?.['id'], id, `the id found by ${filter}`);
    return found!;
  }

  async findNone(endpoint: string, filter: string, extra = ''): Promise<void> {
    const answer = await this.scim('GET', `/${endpoint}?${extra}filter=${eq(filter)}`, 200);
    this.equal(this.listResponse(answer, { totalResults: 0, startIndex: 1 }).length, 0, 'the resources');
  }

  /** A read of the management API (200 expected). */
  async admin(path: string): Promise<Json> {
    let response: Response;
    try {
      response = await fetch(`${this.target.adminUrl}${path}`, {
        headers: { authorization: `Bearer ${this.target.adminKey}` },
      });
    } catch (error) {
      this.fail(`management API GET ${path} failed: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status !== 200)
      this.fail(`management API GET ${path} answered ${response.status}: ${text.slice(0, 400)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!isObject(body)) this.fail(`management API GET ${path} answered ${text.slice(0, 200)}`);
    return body;
  }

  /** The user as the management API shows it. */
  user(id: string): Promise<Json> {
    return this.admin(`/api/v1/organizations/${this.target.orgId}/users/${id}`);
  }

  /**
   * Waits (bounded) until the events API holds at least `occurrences` events of `type` of this
   * organization whose data has every field of `data`.
   */
  async event(type: string, data: Json, occurrences = 1): Promise<IdentityEvent> {
    const deadline = Date.now() + (this.options.eventTimeoutMs ?? 10_000);
    const wanted = (event: IdentityEvent) =>
      event.type === type && Object.entries(data).every(([key, value]) => event.data[key] === value);
    const found: IdentityEvent[] = [];
    let after: string | null = null;
    for (;;) {
      const query = new URLSearchParams({ orgId: this.target.orgId, types: type, limit: '500' });
      if (after !== null) query.set('after', after);
      const page = await this.admin(`/api/v1/events?${query.toString()}`);
      const events = (Array.isArray(page['data']) ? page['data'] : []) as IdentityEvent[];
      found.push(...events.filter(wanted));
      if (found.length >= occurrences) return found[occurrences - 1]!;
      after = typeof page['nextCursor'] === 'string' ? page['nextCursor'] : after;
      if (events.length === 500) continue;
      if (Date.now() > deadline) {
        this.fail(
          `the events API shows ${found.length} ${type} event(s) with ${show(data)}, expected ${occurrences}`,
        );
      }
      await pause();
    }
  }

  /** A user's lifecycle event: from SCIM, about this user. */
  async userEvent(type: string, userId: string, occurrences = 1): Promise<void> {
    const event = await this.event(type, { userId }, occurrences);
    this.equal(event.data['source'], 'scim', `the source of ${type}`);
    this.equal(event.orgId, this.target.orgId, `the organization of ${type}`);
  }

  async membershipEvent(
    type: 'directory.group.member_added' | 'directory.group.member_removed',
    groupId: string,
    memberId: string,
    occurrences = 1,
  ): Promise<void> {
    const event = await this.event(type, { groupId, memberId }, occurrences);
    this.equal(event.data['source'], 'scim', `the source of ${type}`);
    this.equal(event.data['memberType'], 'user', `the member type of ${type}`);
  }

  /** The ids of a group's members, read back over SCIM. */
  async members(groupId: string): Promise<string[]> {
    const group = (await this.scim('GET', `/Groups/${groupId}`, 200)).body!;
    this.equal(group['id'], groupId, 'the group id');
    const members = group['members'] ?? [];
    this.check(Array.isArray(members), `members is ${show(members)}, expected an array`);
    return (members as unknown[]).map((member) => {
      const value = at(member, 'value');
      this.check(typeof value === 'string', `a member has no value: ${show(member)}`);
      return value as string;
    });
  }

  /** The group's members are `expected`; `eventually`: once a reaction has run (bounded wait). */
  async expectMembers(
    groupId: string,
    expected: readonly string[],
    { eventually = false }: { eventually?: boolean } = {},
  ): Promise<void> {
    const deadline = Date.now() + (this.options.eventTimeoutMs ?? 10_000);
    for (;;) {
      const actual = await this.members(groupId);
      if (sameSet(actual, expected)) return;
      if (!eventually || Date.now() > deadline)
        this.fail(`the members are ${show(actual)}, expected ${show(expected)}`);
      await pause();
    }
  }
}

const suffix = () => randomBytes(4).toString('hex');

/** An Okta user id: `00u` and 17 more characters. */
const oktaId = () => `00u${randomBytes(12).toString('base64url').slice(0, 17)}`;

/** The group PATCH answer Okta accepts: 204, or 200 with the group. */
const GROUP_PATCH = 204;

// ---------------------------------------------------------------------------------------------
// Okta

/**
 * Okta (OIN integration, SCIM 2.0): existence check and create, a retried create, a profile update
 * by GET then PUT, deactivation and reactivation by PATCH, an assignment of many users and the
 * import that pages through them, then Group Push: create, membership changes (each preceded by
 * the rename PATCH Okta sends with them), rename, full membership sync and unlink with delete.
 * Okta never deletes a user.
 */
export const runOktaProvisioning = async (
  target: ProvisioningTarget,
  options: ScenarioOptions = {},
): Promise<ProvisioningSummary> => {
  const run = new Run('okta', target, 'Okta SCIM Client 1.0.0', options);
  const tag = suffix();
  const password = `Pw-${randomBytes(9).toString('base64url')}`;
  const oktaUser = (userName: string, givenName: string, familyName: string) => ({
    schemas: [USER],
    userName,
    name: { givenName, familyName },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${givenName} ${familyName}`,
    locale: 'en-US',
    externalId: oktaId(),
    groups: [],
    password,
    active: true,
  });
  const existenceCheck = (userName: string) =>
    `/Users?filter=${eq(`userName eq "${userName}"`)}&startIndex=1&count=100`;

  /** Okta's provisioning of one assigned user: look it up by userName, create it when absent. */
  const provision = async (userName: string, givenName: string, familyName: string) => {
    const none = await run.scim('GET', existenceCheck(userName), 200);
    run.equal(run.listResponse(none, { totalResults: 0, startIndex: 1 }).length, 0, 'the users found');
    const body = oktaUser(userName, givenName, familyName);
    const created = await run.scim('POST', '/Users', 201, body);
    const user = created.body!;
    run.check(
      typeof user['id'] === 'string' && user['id'] !== '',
      `the created user has no id: ${show(user)}`,
    );
    run.equal(user['userName'], userName, 'userName');
    run.equal(user['externalId'], body.externalId, 'externalId');
    run.equal(user['active'], true, 'active');
    run.equal(at(user, 'name', 'givenName'), givenName, 'name.givenName');
    run.check(!('password' in user), 'the created user carries its password');
    run.check(!created.text.includes(password), 'the answer contains the password');
    const id = user['id'] as string;
    const location = created.headers.get('location') ?? '';
    run.check(location.endsWith(`/Users/${id}`), `Location is "${location}"`);
    return { id, body };
  };

  // Provisioning one user.
  const userName = `Ada.Lovelace.${tag}@okta.example`;
  run.step('existence check, then create a user with password, groups: [] and externalId');
  const ada = await provision(userName, 'Ada', 'Lovelace');
  run.ids['user'] = ada.id;

  run.step('read-your-writes: GET by id and by the userName filter straight after the POST');
  const read = (await run.scim('GET', `/Users/${ada.id}`, 200)).body!;
  run.equal(read['id'], ada.id, 'id');
  run.equal(read['userName'], userName, 'userName (case as sent)');
  run.check(!('password' in read), 'the user carries its password');
  const listed = await run.scim('GET', existenceCheck(userName), 200);
  const [match] = run.listResponse(listed, { totalResults: 1, startIndex: 1 });
  run.equal(match?.['id'], ada.id, 'the id the existence check finds');
  await run.findOne('Users', `userName eq "${userName.toLowerCase()}"`, ada.id);

  run.step('a retried create gets 409 uniqueness, and the existence check still finds one');
  const duplicate = await run.scim('POST', '/Users', 409, { ...ada.body, externalId: oktaId() });
  run.scimError(duplicate, 409, 'uniqueness');
  run.listResponse(await run.scim('GET', existenceCheck(userName), 200), { totalResults: 1, startIndex: 1 });

  run.step('profile update: GET the user, then PUT it back whole with the changes');
  const fetched = await run.scim('GET', `/Users/${ada.id}`, 200);
  const current = fetched.body!;
  const version = at(current, 'meta', 'version');
  const updated = {
    ...current,
    name: { ...(at(current, 'name') as Json), middleName: 'King' },
    displayName: 'Ada King',
    title: 'Analyst',
    groups: [],
  };
  const put = (await run.scim('PUT', `/Users/${ada.id}`, 200, updated)).body!;
  run.equal(put['id'], ada.id, 'id');
  run.equal(at(put, 'name', 'middleName'), 'King', 'name.middleName');
  run.equal(at(put, 'name', 'givenName'), 'Ada', 'name.givenName');
  run.equal(put['displayName'], 'Ada King', 'displayName');
  run.equal(put['title'], 'Analyst', 'title');
  run.equal(put['externalId'], ada.body.externalId, 'externalId');
  run.equal(put['active'], true, 'active');
  run.check(at(put, 'meta', 'version') !== version, `meta.version stayed ${show(version)}`);
  const viewed = await run.user(ada.id);
  run.equal(viewed['displayName'], 'Ada King', 'the management API displayName');
  run.equal(viewed['title'], 'Analyst', 'the management API title');

  run.step('deactivate: PATCH replace {"active": false} without a path');
  const deactivate = { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] };
  const off = (await run.scim('PATCH', `/Users/${ada.id}`, 200, deactivate)).body!;
  run.equal(off['active'], false, 'active');
  run.equal(off['displayName'], 'Ada King', 'displayName');
  run.equal((await run.scim('GET', `/Users/${ada.id}`, 200)).body!['active'], false, 'active read back');
  await run.userEvent('directory.user.deactivated', ada.id);
  run.equal((await run.user(ada.id))['active'], false, 'the management API active');

  run.step('reactivate: PATCH replace {"active": true} without a path');
  const reactivate = { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] };
  const on = (await run.scim('PATCH', `/Users/${ada.id}`, 200, reactivate)).body!;
  run.equal(on['active'], true, 'active');
  await run.userEvent('directory.user.reactivated', ada.id);
  run.equal((await run.user(ada.id))['active'], true, 'the management API active');

  run.step('password sync: PATCH replace {"password": …}; the password never comes back');
  const newPassword = `Pw-${randomBytes(9).toString('base64url')}`;
  const synced = await run.scim('PATCH', `/Users/${ada.id}`, 200, {
    schemas: [PATCH_OP],
    Operations: [{ op: 'replace', value: { password: newPassword } }],
  });
  run.check(!synced.text.includes(newPassword), 'the answer contains the password');
  run.check(!('password' in synced.body!), 'the user carries its password');
  run.equal(synced.body!['active'], true, 'active');
  run.equal(synced.body!['displayName'], 'Ada King', 'displayName');

  // An assignment of many users, then an import that pages through them.
  const assigned = options.assignedUsers ?? 104;
  run.step(`assignment: existence check and create for ${assigned} more users`);
  const created = [ada.id];
  for (let index = 0; index < assigned; index++) {
    const user = await provision(`user${index}.${tag}@okta.example`, `User${index}`, `Assigned${tag}`);
    created.push(user.id);
  }
  run.ids['lastAssignedUser'] = created[created.length - 1]!;

  run.step('import: GET /Users?startIndex=1&count=100, then startIndex += 100 to the end');
  const seen = new Set<string>();
  let total: number | undefined;
  let pages = 0;
  for (let startIndex = 1; total === undefined || startIndex <= total; startIndex += 100) {
    const page = await run.scim('GET', `/Users?startIndex=${startIndex}&count=100`, 200);
    const resources = run.listResponse(page, {
      startIndex,
      ...(total !== undefined && { totalResults: total }),
    });
    total ??= page.body!['totalResults'] as number;
    pages++;
    run.equal(
      resources.length,
      Math.min(100, total - startIndex + 1),
      `the users on the page at ${startIndex}`,
    );
    for (const resource of resources) {
      const id = resource['id'] as string;
      run.check(!seen.has(id), `${id} is listed twice`);
      run.check(typeof resource['userName'] === 'string', `${id} has no userName`);
      seen.add(id);
    }
    if (resources.length === 0) break;
  }
  run.equal(seen.size, total, 'the users imported');
  run.check(pages >= Math.ceil((assigned + 1) / 100), `the import took ${pages} page(s)`);
  const missing = created.filter((id) => !seen.has(id));
  run.check(missing.length === 0, `the import misses ${show(missing.slice(0, 5))}`);

  // Group Push.
  const [grace, linus, margaret] = created.slice(1, 4) as [string, string, string];
  const groupName = `Engineering ${tag}`;
  run.step('Group Push: POST /Groups with members: []');
  const pushed = await run.scim('POST', '/Groups', 201, {
    schemas: [GROUP],
    displayName: groupName,
    members: [],
  });
  const groupId = pushed.body!['id'] as string;
  run.check(typeof groupId === 'string', `the pushed group has no id: ${pushed.text}`);
  run.equal(pushed.body!['displayName'], groupName, 'displayName');
  const pushedMembers = pushed.body!['members'];
  run.check(
    pushedMembers === undefined || pushedMembers === null || show(pushedMembers) === '[]',
    `members is ${show(pushedMembers)}`,
  );
  run.ids['group'] = groupId;
  run.equal(
    (await run.scim('GET', `/Groups/${groupId}`, 200)).body!['displayName'],
    groupName,
    'displayName',
  );

  /** The rename Okta sends with every membership update: the whole value, read-only `id` included. */
  const rename = (displayName: string) => ({
    schemas: [PATCH_OP],
    Operations: [{ op: 'replace', value: { id: groupId, displayName } }],
  });
  const member = (id: string) => ({ value: id, display: `${id}@okta.example` });

  run.step('membership: rename PATCH, then add two members with path "members"');
  await run.scim('PATCH', `/Groups/${groupId}`, GROUP_PATCH, rename(groupName));
  await run.scim('PATCH', `/Groups/${groupId}`, GROUP_PATCH, {
    schemas: [PATCH_OP],
    Operations: [{ op: 'add', path: 'members', value: [member(ada.id), member(grace)] }],
  });
  await run.expectMembers(groupId, [ada.id, grace]);
  await run.membershipEvent('directory.group.member_added', groupId, ada.id);
  await run.membershipEvent('directory.group.member_added', groupId, grace);
  const adaGroups = (await run.scim('GET', `/Users/${ada.id}`, 200)).body!['groups'];
  run.equal(at((adaGroups as unknown[] | undefined)?.[0], 'value'), groupId, "the user's group");

  run.step('profile update of a group member: PUT with groups: [] leaves the memberships alone');
  const member0 = (await run.scim('GET', `/Users/${ada.id}`, 200)).body!;
  const put2 = (
    await run.scim('PUT', `/Users/${ada.id}`, 200, { ...member0, title: 'Lead Analyst', groups: [] })
  ).body!;
  run.equal(put2['title'], 'Lead Analyst', 'title');
  run.equal(at((put2['groups'] as unknown[] | undefined)?.[0], 'value'), groupId, "the user's group");
  await run.expectMembers(groupId, [ada.id, grace]);

  run.step('membership: rename PATCH, then remove members[value eq "…"] and add in one PATCH');
  await run.scim('PATCH', `/Groups/${groupId}`, GROUP_PATCH, rename(groupName));
  await run.scim('PATCH', `/Groups/${groupId}`, GROUP_PATCH, {
    schemas: [PATCH_OP],
    Operations: [
      { op: 'remove', path: `members[value eq "${grace}"]` },
      { op: 'add', path: 'members', value: [member(linus)] },
    ],
  });
  await run.expectMembers(groupId, [ada.id, linus]);
  await run.membershipEvent('directory.group.member_removed', groupId, grace);
  await run.membershipEvent('directory.group.member_added', groupId, linus);

  run.step('rename: PATCH replace {"id", "displayName"} (the read-only id is ignored)');
  const renamed = `Platform ${tag}`;
  await run.scim('PATCH', `/Groups/${groupId}`, GROUP_PATCH, rename(renamed));
  const afterRename = (await run.scim('GET', `/Groups/${groupId}`, 200)).body!;
  run.equal(afterRename['id'], groupId, 'id');
  run.equal(afterRename['displayName'], renamed, 'displayName');
  await run.expectMembers(groupId, [ada.id, linus]);
  const display = at(
    ((await run.scim('GET', `/Users/${ada.id}`, 200)).body!['groups'] as unknown[])[0],
    'display',
  );
  run.equal(display, renamed, "the group's name in the user's groups");

  run.step('full sync: PATCH replace path "members" with the whole membership');
  await run.scim('PATCH', `/Groups/${groupId}`, GROUP_PATCH, {
    schemas: [PATCH_OP],
    Operations: [{ op: 'replace', path: 'members', value: [member(ada.id), member(margaret)] }],
  });
  await run.expectMembers(groupId, [ada.id, margaret]);
  await run.membershipEvent('directory.group.member_removed', groupId, linus);
  await run.membershipEvent('directory.group.member_added', groupId, margaret);

  run.step('group import: GET /Groups?startIndex=1&count=100');
  const groups = run.listResponse(await run.scim('GET', '/Groups?startIndex=1&count=100', 200), {
    startIndex: 1,
  });
  run.check(
    groups.some((group) => group['id'] === groupId && group['displayName'] === renamed),
    `the group import misses ${groupId}`,
  );

  run.step('unlink with delete: DELETE /Groups/{id} answers 204, then the group is gone');
  await run.scim('DELETE', `/Groups/${groupId}`, 204);
  run.scimError(await run.scim('GET', `/Groups/${groupId}`, 404), 404);
  const adaAfter = (await run.scim('GET', `/Users/${ada.id}`, 200)).body!;
  run.check(
    !show(adaAfter['groups'] ?? []).includes(groupId),
    `the user still shows the deleted group: ${show(adaAfter['groups'])}`,
  );

  run.step('Okta never deletes users: the user is still there, active');
  run.equal((await run.scim('GET', `/Users/${ada.id}`, 200)).body!['active'], true, 'active');
  run.equal((await run.user(ada.id))['active'], true, 'the management API active');

  run.step('an AIW (custom) integration deactivates by PUT: GET, then PUT with active: false');
  const aiwUser = created[created.length - 1]!;
  const before = (await run.scim('GET', `/Users/${aiwUser}`, 200)).body!;
  const aiwOff = (await run.scim('PUT', `/Users/${aiwUser}`, 200, { ...before, active: false, groups: [] }))
    .body!;
  run.equal(aiwOff['active'], false, 'active');
  run.equal(aiwOff['userName'], before['userName'], 'userName');
  await run.userEvent('directory.user.deactivated', aiwUser);
  run.equal((await run.user(aiwUser))['active'], false, 'the management API active');
  return run.summary();
};

// ---------------------------------------------------------------------------------------------
// Microsoft Entra ID

export type EntraDialect = 'default' | 'aadOptscim062020';

/**
 * The Microsoft Entra provisioning service, once per PATCH dialect: the default one (capitalised
 * ops, `"False"` strings, member removal by value) and the SCIM-compliant one of the
 * `aadOptscim062020` flag (lowercase ops, booleans, path-less replace keyed by dotted and URN
 * paths, removal by `members[value eq "…"]`). Test Connection, matching by query, create, updates,
 * disable and enable, groups with members, soft then hard delete.
 */
export const runEntraProvisioning = async (
  target: ProvisioningTarget,
  options: ScenarioOptions & { readonly dialects?: readonly EntraDialect[] } = {},
): Promise<ProvisioningSummary> => {
  const run = new Run('entra', target, 'Microsoft.Identity.Provisioning', options);
  for (const dialect of options.dialects ?? ['default', 'aadOptscim062020']) {
    await entraCycle(run, dialect);
  }
  return run.summary();
};

const entraCycle = async (run: Run, dialect: EntraDialect) => {
  const compliant = dialect === 'aadOptscim062020';
  const op = (name: 'add' | 'remove' | 'replace') =>
    compliant ? name : `${name[0]!.toUpperCase()}${name.slice(1)}`;
  const bool = (value: boolean) => (compliant ? value : value ? 'True' : 'False');
  const patch = (...Operations: Json[]) => ({ schemas: [PATCH_OP], Operations });
  const tag = suffix();
  const step = (name: string) => run.step(`[${dialect}] ${name}`);

  step('Test Connection: a random user and a random group match nothing (200, totalResults 0)');
  await run.findNone('Users', `userName eq "${randomUUID()}"`);
  await run.findNone('Groups', `displayName eq "${randomUUID()}"`, 'excludedAttributes=members&');

  /** Entra's create: matched by userName first, created when absent, its id cached from then on. */
  const provision = async (given: string, family: string) => {
    const userName = `${given}.${family}.${tag}@contoso.example`;
    const email = `${given}.${family}.${tag}@mail.contoso.example`.toLowerCase();
    await run.findNone('Users', `userName eq "${userName}"`);
    const body = {
      schemas: [USER, ENTERPRISE],
      externalId: randomUUID(),
      userName,
      active: true,
      emails: [{ primary: true, type: 'work', value: email }],
      meta: { resourceType: 'User' },
      name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
      roles: [],
      [ENTERPRISE]: { employeeNumber: `${parseInt(tag.slice(0, 4), 16)}`, department: 'Research' },
    };
    const created = (await run.scim('POST', '/Users', 201, body)).body!;
    run.check(typeof created['id'] === 'string', `the created user has no id: ${show(created)}`);
    run.equal(created['userName'], userName, 'userName');
    run.equal(created['externalId'], body.externalId, 'externalId');
    run.equal(created['active'], true, 'active');
    run.equal(at(created, 'emails'), body.emails, 'emails');
    run.equal(at(created, ENTERPRISE, 'department'), 'Research', 'the enterprise department');
    return { id: created['id'] as string, userName, email, body };
  };

  step('match by userName, then create with roles: [] and meta.resourceType');
  const user = await provision('Grace', 'Hopper');
  // An apostrophe in the matching value (Entra's known trouble with special characters in filters).
  const other = await provision('Katherine', "O'Johnson");
  run.ids[`${dialect}:user`] = user.id;
  run.ids[`${dialect}:member`] = other.id;

  step('read-your-writes: GET by id, and the queries by userName, externalId and work email');
  const read = (await run.scim('GET', `/Users/${user.id}`, 200)).body!;
  run.equal(read['id'], user.id, 'id');
  run.equal(read['userName'], user.userName, 'userName');
  await run.findOne('Users', `userName eq "${user.userName}"`, user.id);
  await run.findOne('Users', `externalId eq "${user.body.externalId}"`, user.id);
  await run.findOne('Users', `emails[type eq "work"].value eq "${user.email}"`, user.id);

  step(
    compliant ? 'update: replace without a path, dotted and URN keys' : 'update: one Replace per attribute',
  );
  const email = `grace.${tag}@new.contoso.example`;
  const employeeNumber = `E-${tag}`;
  const update = compliant
    ? patch(
        { op: 'replace', path: 'emails[type eq "work"].value', value: email },
        {
          op: 'replace',
          value: {
            displayName: 'Rear Admiral Hopper',
            'name.givenName': 'Grace Brewster',
            'name.familyName': 'Murray Hopper',
            [`${ENTERPRISE}:employeeNumber`]: employeeNumber,
          },
        },
      )
    : patch(
        { op: 'Replace', path: 'displayName', value: 'Rear Admiral Hopper' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: email },
        { op: 'Replace', path: 'name.givenName', value: 'Grace Brewster' },
        { op: 'Replace', path: 'name.familyName', value: 'Murray Hopper' },
        { op: 'Replace', path: 'externalId', value: user.body.externalId },
        { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: employeeNumber },
      );
  const changed = (await run.scim('PATCH', `/Users/${user.id}`, 200, update)).body!;
  run.equal(changed['displayName'], 'Rear Admiral Hopper', 'displayName');
  run.equal(at(changed, 'name', 'givenName'), 'Grace Brewster', 'name.givenName');
  run.equal(at(changed, 'name', 'familyName'), 'Murray Hopper', 'name.familyName');
  run.equal(at(changed, 'name', 'formatted'), 'Grace Hopper', 'name.formatted (not sent, kept)');
  run.equal(at(changed, 'emails'), [{ primary: true, type: 'work', value: email }], 'emails');
  run.equal(at(changed, ENTERPRISE, 'employeeNumber'), employeeNumber, 'the enterprise employeeNumber');
  run.equal(at(changed, ENTERPRISE, 'department'), 'Research', 'the enterprise department (kept)');
  run.equal(changed['externalId'], user.body.externalId, 'externalId');
  await run.findOne('Users', `emails[type eq "work"].value eq "${email}"`, user.id);
  await run.findNone('Users', `emails[type eq "work"].value eq "${user.email}"`);
  const viewed = await run.user(user.id);
  run.equal(viewed['givenName'], 'Grace Brewster', 'the management API givenName');
  run.equal(viewed['email'], email, 'the management API email');
  run.equal(viewed['employeeNumber'], employeeNumber, 'the management API employeeNumber');

  step(`update: ${op('add')} of a single-valued attribute`);
  const nick = (
    await run.scim(
      'PATCH',
      `/Users/${user.id}`,
      200,
      patch({ op: op('add'), path: 'nickName', value: 'Amazing Grace' }),
    )
  ).body!;
  run.equal(nick['nickName'], 'Amazing Grace', 'nickName');
  run.equal(nick['displayName'], 'Rear Admiral Hopper', 'displayName (kept)');

  step(`disable: ${op('replace')} active ${show(bool(false))}`);
  const disable = patch({ op: op('replace'), path: 'active', value: bool(false) });
  const off = (await run.scim('PATCH', `/Users/${user.id}`, 200, disable)).body!;
  run.equal(off['active'], false, 'active (a boolean)');
  run.equal((await run.scim('GET', `/Users/${user.id}`, 200)).body!['active'], false, 'active read back');
  const stillFound = await run.findOne('Users', `userName eq "${user.userName}"`, user.id);
  run.equal(stillFound['active'], false, 'active of the disabled user the query finds');
  await run.userEvent('directory.user.deactivated', user.id);
  run.equal((await run.user(user.id))['active'], false, 'the management API active');

  step(`enable: ${op('replace')} active ${show(bool(true))}`);
  const enable = patch({ op: op('replace'), path: 'active', value: bool(true) });
  run.equal((await run.scim('PATCH', `/Users/${user.id}`, 200, enable)).body!['active'], true, 'active');
  await run.userEvent('directory.user.reactivated', user.id);
  run.equal((await run.user(user.id))['active'], true, 'the management API active');

  const groupName = `Flight Research ${tag}`;
  step('group: match by displayName, then create with the ADSCIM schema and no members');
  const byName = (name: string) => `displayName eq "${name}"`;
  await run.findNone('Groups', byName(groupName), 'excludedAttributes=members&');
  const groupExternalId = randomUUID();
  const created = (
    await run.scim('POST', '/Groups', 201, {
      schemas: [GROUP, ENTRA_GROUP],
      externalId: groupExternalId,
      displayName: groupName,
      meta: { resourceType: 'Group' },
    })
  ).body!;
  const groupId = created['id'] as string;
  run.check(typeof groupId === 'string', `the created group has no id: ${show(created)}`);
  run.equal(created['displayName'], groupName, 'displayName');
  run.equal(created['externalId'], groupExternalId, 'externalId');
  run.ids[`${dialect}:group`] = groupId;
  const excluded = (await run.scim('GET', `/Groups/${groupId}?excludedAttributes=members`, 200)).body!;
  run.equal(excluded['displayName'], groupName, 'displayName');
  run.check(!('members' in excluded), 'excludedAttributes=members still returns members');
  const found = await run.findOne('Groups', byName(groupName), groupId, 'excludedAttributes=members&');
  run.check(!('members' in found), 'the query with excludedAttributes=members returns members');

  step(`members: ${op('add')} path "members" with {"$ref": null, "value": …} answers 204`);
  await run.scim(
    'PATCH',
    `/Groups/${groupId}`,
    204,
    patch({
      op: op('add'),
      path: 'members',
      value: [
        { $ref: null, value: user.id },
        { $ref: null, value: other.id },
      ],
    }),
  );
  await run.expectMembers(groupId, [user.id, other.id]);
  await run.membershipEvent('directory.group.member_added', groupId, user.id);
  await run.membershipEvent('directory.group.member_added', groupId, other.id);

  // SCIM-9: neither client sends If-Match, and changes of one group may arrive at once.
  step('members: several adds at once, then several removals at once, none lost (no If-Match)');
  const crowd = await Promise.all(
    Array.from({ length: 8 }, async (_, index) => {
      const userName = `crowd${index}.${tag}@contoso.example`;
      const created = await run.scim('POST', '/Users', 201, { schemas: [USER], userName, active: true });
      return created.body!['id'] as string;
    }),
  );
  await Promise.all(
    crowd.map((id) =>
      run.scim(
        'PATCH',
        `/Groups/${groupId}`,
        204,
        patch({ op: op('add'), path: 'members', value: [{ $ref: null, value: id }] }),
      ),
    ),
  );
  await run.expectMembers(groupId, [user.id, other.id, ...crowd]);
  await Promise.all(
    crowd.map((id) =>
      run.scim(
        'PATCH',
        `/Groups/${groupId}`,
        204,
        compliant
          ? patch({ op: 'remove', path: `members[value eq "${id}"]` })
          : patch({ op: 'Remove', path: 'members', value: [{ value: id }] }),
      ),
    ),
  );
  await run.expectMembers(groupId, [user.id, other.id]);
  for (const id of crowd) {
    await run.membershipEvent('directory.group.member_added', groupId, id);
    await run.membershipEvent('directory.group.member_removed', groupId, id);
  }
  await Promise.all(crowd.map((id) => run.scim('DELETE', `/Users/${id}`, 204)));

  step(`group: ${op('replace')} displayName answers 204`);
  const renamed = `${groupName} (renamed)`;
  await run.scim(
    'PATCH',
    `/Groups/${groupId}`,
    204,
    patch({ op: op('replace'), path: 'displayName', value: renamed }),
  );
  await run.findOne('Groups', byName(renamed), groupId, 'excludedAttributes=members&');
  await run.findNone('Groups', byName(groupName), 'excludedAttributes=members&');

  step(
    compliant
      ? 'members: remove path members[value eq "…"] answers 204'
      : 'members: Remove path "members" with a value removes those members only, 204',
  );
  await run.scim(
    'PATCH',
    `/Groups/${groupId}`,
    204,
    compliant
      ? patch({ op: 'remove', path: `members[value eq "${user.id}"]` })
      : patch({ op: 'Remove', path: 'members', value: [{ value: user.id }] }),
  );
  await run.expectMembers(groupId, [other.id]);
  await run.membershipEvent('directory.group.member_removed', groupId, user.id);

  step(`soft delete: ${op('replace')} active ${show(bool(false))}`);
  run.equal((await run.scim('PATCH', `/Users/${user.id}`, 200, disable)).body!['active'], false, 'active');
  await run.userEvent('directory.user.deactivated', user.id, 2);

  step('hard delete: DELETE /Users/{id} answers 204, then GET and a second DELETE answer 404');
  await run.scim('DELETE', `/Users/${user.id}`, 204);
  run.scimError(await run.scim('GET', `/Users/${user.id}`, 404), 404);
  run.scimError(await run.scim('DELETE', `/Users/${user.id}`, 404), 404);
  await run.findNone('Users', `userName eq "${user.userName}"`);
  await run.userEvent('directory.user.deleted', user.id);

  step('hard delete of a member, a group rename straight after; the member leaves (awaited)');
  await run.scim('DELETE', `/Users/${other.id}`, 204);
  const final = `${groupName} (final)`;
  await run.scim(
    'PATCH',
    `/Groups/${groupId}`,
    204,
    patch({ op: op('replace'), path: 'displayName', value: final }),
  );
  await run.findOne('Groups', byName(final), groupId, 'excludedAttributes=members&');
  await run.userEvent('directory.user.deleted', other.id);
  const left = await run.event('directory.group.member_removed', { groupId, memberId: other.id });
  run.equal(left.data['reason'], 'member_deleted', 'the reason of directory.group.member_removed');
  await run.expectMembers(groupId, [], { eventually: true });

  step('group: DELETE /Groups/{id} answers 204, then GET answers 404');
  await run.scim('DELETE', `/Groups/${groupId}`, 204);
  run.scimError(await run.scim('GET', `/Groups/${groupId}`, 404), 404);
};
