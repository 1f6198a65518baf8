import { ScimError } from '../errors/scim-error';
import { type JsonObject } from '../json';
import {
  BULK_REQUEST_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  GROUP_SCHEMA,
  USER_SCHEMA,
} from '../schema/builtin-schemas';
import { scimErrorOf } from '../testing/builders';
import { executeBulk, parseBulkRequest, type BulkOperation, type BulkOperationResult } from './bulk';

const limits = { maxOperations: 10, maxPayloadSize: 1_048_576 };
const bulkBody = (operations: JsonObject[], extra: JsonObject = {}): JsonObject => ({
  schemas: [BULK_REQUEST_SCHEMA],
  Operations: operations,
  ...extra,
});
const postUser = (bulkId: string, extra: JsonObject = {}): JsonObject => ({
  method: 'POST',
  path: '/Users',
  bulkId,
  data: { schemas: [USER_SCHEMA], userName: bulkId, ...extra },
});
const postGroup = (bulkId: string, memberBulkIds: string[]): JsonObject => ({
  method: 'POST',
  path: '/Groups',
  bulkId,
  data: {
    schemas: [GROUP_SCHEMA],
    displayName: bulkId,
    members: memberBulkIds.map((id) => ({ type: 'User', value: `bulkId:${id}` })),
  },
});

/** An executor that creates resources with ids `id-1`, `id-2`, … and records what it was asked. */
const recordingExecutor = (fail: (operation: BulkOperation) => ScimError | undefined = () => undefined) => {
  const seen: BulkOperation[] = [];
  const execute = (operation: BulkOperation): Promise<BulkOperationResult> => {
    seen.push(operation);
    const error = fail(operation);
    if (error) return Promise.reject(error);
    if (operation.method !== 'POST') return Promise.resolve({ status: 200 });
    const id = `id-${seen.length}`;
    return Promise.resolve({
      status: 201,
      id,
      location: `https://example.com/v2${operation.path}/${id}`,
      version: 'W/"1"',
    });
  };
  return { seen, execute };
};

describe('parseBulkRequest', () => {
  it('reads methods case-insensitively and keeps the request order', () => {
    const request = parseBulkRequest(
      bulkBody([postUser('qwerty'), { method: 'delete', path: '/Users/b7c14771', version: 'W/"2"' }], {
        failOnErrors: 1,
      }),
      limits,
    );
    expect(request.failOnErrors).toBe(1);
    expect(
      request.operations.map((operation) => [operation.method, operation.path, operation.version]),
    ).toEqual([
      ['POST', '/Users', undefined],
      ['DELETE', '/Users/b7c14771', 'W/"2"'],
    ]);
  });

  it('answers 413 beyond maxOperations or maxPayloadSize', () => {
    const many = Array.from({ length: 11 }, (_, index) => postUser(`u${index}`));
    expect(scimErrorOf(() => parseBulkRequest(bulkBody(many), limits)).status).toBe(413);
    expect(
      scimErrorOf(() => parseBulkRequest(bulkBody([postUser('a')]), { ...limits, payloadSize: 2_000_000 }))
        .status,
    ).toBe(413);
  });

  it.each<[string, JsonObject, string]>([
    ['a POST without bulkId', { method: 'POST', path: '/Users', data: {} }, "a POST needs a 'bulkId'"],
    ['an unknown method', { method: 'GET', path: '/Users/1' }, "'method' must be POST, PUT, PATCH or DELETE"],
    [
      'a POST to a resource',
      { method: 'POST', path: '/Users/1', bulkId: 'a', data: {} },
      "'path' must be /{resourceType}",
    ],
    [
      'a PUT to a collection',
      { method: 'PUT', path: '/Users', data: {} },
      "'path' must be /{resourceType}/{id}",
    ],
    ['a PATCH without data', { method: 'PATCH', path: '/Users/1' }, "a PATCH needs 'data'"],
  ])('rejects %s', (_case, operation, detail) => {
    const error = scimErrorOf(() => parseBulkRequest(bulkBody([operation]), limits));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidSyntax' });
    expect(error.detail).toContain(detail);
  });

  it('rejects a bulkId used twice and a body without the BulkRequest schema', () => {
    expect(
      scimErrorOf(() => parseBulkRequest(bulkBody([postUser('a'), postUser('a')]), limits)).detail,
    ).toContain("bulkId 'a' is used twice");
    expect(scimErrorOf(() => parseBulkRequest({ Operations: [postUser('a')] }, limits)).scimType).toBe(
      'invalidSyntax',
    );
  });
});

describe('executeBulk', () => {
  it('creates what a later-listed group refers to first, and resolves nested bulkId references', async () => {
    const request = parseBulkRequest(
      bulkBody([postGroup('tour-guides', ['qwerty', 'ytrewq']), postUser('qwerty'), postUser('ytrewq')]),
      limits,
    );
    const { seen, execute } = recordingExecutor();
    const response = await executeBulk(request, execute);
    expect(seen.map((operation) => operation.bulkId)).toEqual(['qwerty', 'ytrewq', 'tour-guides']);
    expect((seen[2]?.data as JsonObject).members).toEqual([
      { type: 'User', value: 'id-1' },
      { type: 'User', value: 'id-2' },
    ]);
    expect(response.Operations.map((operation) => [operation.bulkId, operation.status])).toEqual([
      ['qwerty', '201'],
      ['ytrewq', '201'],
      ['tour-guides', '201'],
    ]);
    expect(response.Operations[0]).toEqual({
      method: 'POST',
      bulkId: 'qwerty',
      version: 'W/"1"',
      location: 'https://example.com/v2/Users/id-1',
      status: '201',
    });
  });

  it('resolves bulkId references in paths', async () => {
    const request = parseBulkRequest(
      bulkBody([postUser('a'), { method: 'PATCH', path: '/Users/bulkId:a', data: { Operations: [] } }]),
      limits,
    );
    const { seen, execute } = recordingExecutor();
    await executeBulk(request, execute);
    expect(seen[1]?.path).toBe('/Users/id-1');
  });

  it('refuses circular references with 409 and never runs them', async () => {
    const manager = (id: string) => ({ [ENTERPRISE_USER_SCHEMA]: { manager: { value: `bulkId:${id}` } } });
    const request = parseBulkRequest(
      bulkBody([postUser('a', manager('b')), postUser('b', manager('a')), postUser('c')]),
      limits,
    );
    const { seen, execute } = recordingExecutor();
    const response = await executeBulk(request, execute);
    expect(seen.map((operation) => operation.bulkId)).toEqual(['c']);
    expect(response.Operations.map((operation) => [operation.bulkId, operation.status])).toEqual([
      ['b', '409'],
      ['a', '409'],
      ['c', '201'],
    ]);
    expect(response.Operations[0]?.response).toMatchObject({
      status: '409',
      detail: expect.stringContaining('circular') as unknown,
    });
  });

  it('refuses an unknown bulkId, and references to an operation that failed', async () => {
    const request = parseBulkRequest(
      bulkBody([postGroup('g', ['nobody']), postUser('bad'), postGroup('h', ['bad'])]),
      limits,
    );
    const { execute } = recordingExecutor((operation) =>
      operation.bulkId === 'bad' ? new ScimError(409, 'uniqueness', 'userName already exists') : undefined,
    );
    const response = await executeBulk(request, execute);
    expect(response.Operations.map((operation) => [operation.bulkId, operation.status])).toEqual([
      ['g', '409'],
      ['bad', '409'],
      ['h', '409'],
    ]);
    expect(response.Operations[1]?.response).toMatchObject({ scimType: 'uniqueness' });
    expect(JSON.stringify(response.Operations[2]?.response)).toContain(
      "bulkId 'bad' cannot be resolved: its operation failed",
    );
  });

  it('stops after failOnErrors errors', async () => {
    const request = parseBulkRequest(
      bulkBody([postUser('a'), postUser('b'), postUser('c')], { failOnErrors: 1 }),
      limits,
    );
    const { seen, execute } = recordingExecutor((operation) =>
      operation.bulkId === 'a' ? new ScimError(400, 'invalidValue', 'bad user') : undefined,
    );
    const response = await executeBulk(request, execute);
    expect(seen).toHaveLength(1);
    expect(response.Operations).toEqual([
      {
        method: 'POST',
        bulkId: 'a',
        status: '400',
        response: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '400',
          scimType: 'invalidValue',
          detail: 'bad user',
        },
      },
    ]);
  });

  it('lets an unexpected failure of the executor propagate', async () => {
    const request = parseBulkRequest(bulkBody([postUser('a')]), limits);
    await expect(executeBulk(request, () => Promise.reject(new Error('database down')))).rejects.toThrow(
      'database down',
    );
  });
});
