import { Controller, type DynamicModule, Get, Global, Module, Param, Post, Res } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { WrongExpectedRevisionError } from '@mandate/eventstore';
import { DomainError } from '@mandate/kernel';
import { type Response } from 'express';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AdminOnly, CurrentPrincipal } from '../auth/api-auth.guard';
import { generateAdminKey, generateApiKey } from '../auth/api-key';
import { ApiKeyRepository } from '../auth/api-key.repository';
import { assertOrgAccess, type Principal } from '../auth/principal';
import { ReadinessRegistry } from '../health/readiness';
import { JsonLogger } from '../logging/json-logger';
import { currentRequestContext } from '../request-context/request-context';
import { createTestDataSource, describeOnDatabases } from '../testing/test-data-source';
import { ZodBody } from '../validation/zod-validation';
import { bootstrapHttpApp } from './bootstrap';
import { PlatformModule } from './platform.module';

const ADMIN_KEY = generateAdminKey();
const ORG_A = '0198c1b2-0000-7000-8000-00000000000a';
const ORG_B = '0198c1b2-0000-7000-8000-00000000000b';
const INTERNAL_SECRET = 'connection to db-7.internal refused';

const createThing = z.strictObject({
  orgId: z.string().min(1),
  name: z.string().min(1).max(100),
  tags: z.array(z.string()).max(5).optional(),
});

/** What the sample handlers saw and did, so tests can tell a replay from a second execution. */
class Calls {
  created = 0;
  flaky = 0;
  release: (() => void) | undefined;

  finishSlow(): void {
    this.release?.();
  }
}
const calls = new Calls();

@Controller('api/v1')
class ThingsController {
  @Post('things')
  create(
    @ZodBody(createThing) body: z.infer<typeof createThing>,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) response: Response,
  ) {
    assertOrgAccess(principal, body.orgId);
    const id = `thing-${++calls.created}`;
    response.setHeader('location', `/api/v1/things/${id}`);
    const context = currentRequestContext();
    return {
      id,
      name: body.name,
      orgId: body.orgId,
      requestId: context?.requestId,
      correlationId: context?.correlationId,
      principal: context?.principal,
    };
  }

  @Get('organizations/:orgId/things')
  list(@Param('orgId') orgId: string) {
    return { orgId, items: [] };
  }

  @AdminOnly()
  @Post('organizations')
  createOrganization() {
    return { id: ORG_B };
  }

  @Post('organizations/:orgId/flaky')
  flaky() {
    if (++calls.flaky === 1) throw new Error(INTERNAL_SECRET);
    return { attempt: calls.flaky };
  }

  @Post('organizations/:orgId/slow')
  async slow() {
    await new Promise<void>((resolve) => (calls.release = resolve));
    return { done: true };
  }

  @Post('organizations/:orgId/taken')
  taken(): never {
    throw new DomainError('conflict', 'THINGS_NAME_TAKEN', 'A thing with this name exists.', { name: 'x' });
  }

  @Post('organizations/:orgId/raced')
  raced(): never {
    throw new WrongExpectedRevisionError('thing-1', 3, 4);
  }
}

const databaseModule = (dataSource: DataSource): DynamicModule => {
  @Global()
  @Module({})
  class TestDatabaseModule {}
  return {
    module: TestDatabaseModule,
    global: true,
    providers: [{ provide: DataSource, useValue: dataSource }],
    exports: [DataSource],
  };
};

const eventually = async (assertion: () => void): Promise<void> => {
  for (let attempt = 0; ; attempt++) {
    try {
      assertion();
      return;
    } catch (error) {
      if (attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
};

describeOnDatabases('management-API platform over HTTP', (connectionString) => {
  let app: NestExpressApplication;
  let url: string;
  let drop: () => Promise<void>;
  let keys: ApiKeyRepository;
  let readyState: 'up' | 'down' = 'up';
  const logs: Record<string, unknown>[] = [];
  let orgKey: string;
  let revokedKey: string;

  beforeAll(async () => {
    const database = await createTestDataSource(connectionString());
    drop = database.drop;
    const logger = new JsonLogger('debug', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    @Module({
      imports: [databaseModule(database.dataSource), PlatformModule.forRoot({ adminKey: ADMIN_KEY })],
      controllers: [ThingsController],
    })
    class SampleAppModule {}
    ({ app, url } = await bootstrapHttpApp(
      SampleAppModule,
      { HOST: '127.0.0.1', PORT: 0, LOG_LEVEL: 'debug' },
      { logger, bodyLimit: '10kb', title: 'Sample' },
    ));
    app
      .get(ReadinessRegistry)
      .register({ name: 'sample', check: () => Promise.resolve({ status: readyState }) });

    keys = app.get(ApiKeyRepository);
    const issue = async (orgId: string) => {
      const key = generateApiKey();
      await keys.upsertIssued({
        keyId: key.keyId,
        orgId,
        name: 'e2e',
        secretHash: key.hash,
        lastFour: key.lastFour,
        createdAt: new Date(),
        revokedAt: null,
      });
      return key;
    };
    orgKey = (await issue(ORG_A)).token;
    const revoked = await issue(ORG_A);
    await keys.markRevoked(revoked.keyId, new Date(Date.now() - 1000));
    revokedKey = revoked.token;
  });

  afterAll(async () => {
    await app.close();
    await drop();
  });

  const call = (
    method: string,
    path: string,
    options: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        ...(options.key !== undefined && { authorization: `Bearer ${options.key}` }),
        ...((options.body !== undefined || options.raw !== undefined) && {
          'content-type': 'application/json',
        }),
        ...options.headers,
      },
      ...((options.body !== undefined || options.raw !== undefined) && {
        body: options.raw ?? JSON.stringify(options.body),
      }),
    });

  const problem = async (response: globalThis.Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ type: `urn:mandate:problem:${code}`, status, code });
    expect(body['requestId']).toBe(response.headers.get('x-request-id'));
    return body;
  };

  const thing = { orgId: ORG_A, name: 'first', tags: ['x'] };

  describe('probes', () => {
    it('/health answers 200 without credentials, with a fresh UUIDv7 request id', async () => {
      const response = await call('GET', '/health');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
      expect(response.headers.get('x-request-id')).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    });

    it('/ready is 200 while every indicator is up, and 503 when one is down', async () => {
      const up = await call('GET', '/ready');
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({
        status: 'up',
        checks: { database: { status: 'up' }, sample: { status: 'up' } },
      });
      readyState = 'down';
      try {
        const down = await call('GET', '/ready');
        expect(down.status).toBe(503);
        expect(await down.json()).toMatchObject({ status: 'down', checks: { sample: { status: 'down' } } });
      } finally {
        readyState = 'up';
      }
    });
  });

  describe('authentication', () => {
    it('asks for a bearer key when none is sent', async () => {
      const response = await call('POST', '/api/v1/things', { body: thing });
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="mandate"');
      await problem(response, 401, 'PLATFORM_CREDENTIALS_MISSING');
      const basic = await call('GET', `/api/v1/organizations/${ORG_A}/things`, {
        headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
      });
      await problem(basic, 401, 'PLATFORM_CREDENTIALS_MISSING');
    });

    // Functions: the organization key is only issued in beforeAll.
    it.each([
      ['a wrong admin key', () => `${ADMIN_KEY}x`],
      ['a malformed API key', () => 'mandate_sk_nope'],
      ['an unknown API key', () => generateApiKey().token],
      ['an API key with a wrong secret', () => `${orgKey.slice(0, -43)}${'A'.repeat(43)}`],
    ])('rejects %s', async (_case, key) => {
      const response = await call('GET', `/api/v1/organizations/${ORG_A}/things`, { key: key() });
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="mandate", error="invalid_token"');
      await problem(response, 401, 'PLATFORM_CREDENTIALS_INVALID');
    });

    it('rejects a revoked key', async () => {
      const response = await call('GET', `/api/v1/organizations/${ORG_A}/things`, { key: revokedKey });
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
      await problem(response, 401, 'PLATFORM_API_KEY_REVOKED');
    });

    it('accepts the admin key anywhere', async () => {
      expect((await call('GET', `/api/v1/organizations/${ORG_B}/things`, { key: ADMIN_KEY })).status).toBe(
        200,
      );
      expect((await call('POST', '/api/v1/organizations', { key: ADMIN_KEY, body: {} })).status).toBe(201);
      const created = await call('POST', '/api/v1/things', {
        key: ADMIN_KEY,
        body: { ...thing, orgId: ORG_B },
      });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ orgId: ORG_B, principal: { type: 'admin' } });
    });

    it('limits an organization key to its organization', async () => {
      expect((await call('GET', `/api/v1/organizations/${ORG_A}/things`, { key: orgKey })).status).toBe(200);
      await problem(
        await call('GET', `/api/v1/organizations/${ORG_B}/things`, { key: orgKey }),
        404,
        'PLATFORM_ORG_NOT_FOUND',
      );
      await problem(
        await call('POST', '/api/v1/things', { key: orgKey, body: { ...thing, orgId: ORG_B } }),
        404,
        'PLATFORM_ORG_NOT_FOUND',
      );
      await problem(
        await call('POST', '/api/v1/organizations', { key: orgKey, body: {} }),
        403,
        'PLATFORM_ADMIN_REQUIRED',
      );
      const created = await call('POST', '/api/v1/things', { key: orgKey, body: thing });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ principal: { type: 'api_key', orgId: ORG_A } });
    });
  });

  describe('errors', () => {
    it('rejects an invalid body with one entry per field, unknown fields included', async () => {
      const response = await call('POST', '/api/v1/things', {
        key: orgKey,
        body: { orgId: ORG_A, name: '', tags: 'x', color: 'red' },
      });
      const body = await problem(response, 400, 'PLATFORM_VALIDATION_FAILED');
      expect(body).toMatchObject({ title: 'Validation failed', instance: '/api/v1/things' });
      expect(body['errors']).toEqual([
        expect.objectContaining({ pointer: '#/name', code: 'too_small' }),
        expect.objectContaining({ pointer: '#/tags', code: 'invalid_type' }),
        { pointer: '#/color', detail: 'Unknown field.', code: 'unrecognized_keys' },
      ]);
    });

    it('answers malformed JSON with 400 and an oversized body with 413', async () => {
      await problem(
        await call('POST', '/api/v1/things', { key: orgKey, raw: '{"orgId": ' }),
        400,
        'PLATFORM_MALFORMED_JSON',
      );
      const tooLarge = await problem(
        await call('POST', '/api/v1/things', { key: orgKey, body: { ...thing, name: 'x'.repeat(20_000) } }),
        413,
        'PLATFORM_PAYLOAD_TOO_LARGE',
      );
      expect(tooLarge['detail']).toBe('The request body is too large.');
    });

    it('reads JSON sent with a structured-syntax media type, such as SCIM’s', async () => {
      const response = await call('POST', '/api/v1/things', {
        key: orgKey,
        body: thing,
        headers: { 'content-type': 'application/scim+json' },
      });
      expect(response.status).toBe(201);
    });

    it('answers an unknown route with a 404 problem, inside /api or not', async () => {
      const body = await problem(await call('GET', '/nowhere'), 404, 'PLATFORM_NOT_FOUND');
      expect(body['instance']).toBe('/nowhere');
      await problem(await call('DELETE', '/api/v1/things', { key: orgKey }), 404, 'PLATFORM_NOT_FOUND');
    });

    it('maps domain errors and write conflicts to 409 with their codes', async () => {
      const taken = await problem(
        await call('POST', `/api/v1/organizations/${ORG_A}/taken`, { key: orgKey, body: {} }),
        409,
        'THINGS_NAME_TAKEN',
      );
      expect(taken).toMatchObject({ detail: 'A thing with this name exists.', name: 'x' });
      const raced = await problem(
        await call('POST', `/api/v1/organizations/${ORG_A}/raced`, { key: orgKey, body: {} }),
        409,
        'EVENTSTORE_WRONG_EXPECTED_REVISION',
      );
      expect(JSON.stringify(raced)).not.toContain('thing-1');
    });

    it('answers an unexpected error with a bare 500 and logs it with the request id', async () => {
      calls.flaky = 0;
      const response = await call('POST', `/api/v1/organizations/${ORG_A}/flaky`, {
        key: orgKey,
        body: {},
        headers: { 'x-request-id': 'req-flaky-1' },
      });
      const body = await problem(response, 500, 'PLATFORM_INTERNAL_ERROR');
      expect(JSON.stringify(body)).not.toContain('db-7');
      await eventually(() =>
        expect(logs).toContainEqual(
          expect.objectContaining({
            level: 'error',
            requestId: 'req-flaky-1',
            err: expect.objectContaining({
              message: INTERNAL_SECRET,
              stack: expect.any(String) as unknown,
            }) as unknown,
          }),
        ),
      );
    });
  });

  describe('request context', () => {
    it('propagates the request and correlation ids to handlers, responses and logs', async () => {
      const response = await call('POST', '/api/v1/things', {
        key: orgKey,
        body: thing,
        headers: { 'x-request-id': 'req-42', 'x-correlation-id': 'story-7' },
      });
      expect(response.headers.get('x-request-id')).toBe('req-42');
      expect(response.headers.get('x-correlation-id')).toBe('story-7');
      expect(await response.json()).toMatchObject({ requestId: 'req-42', correlationId: 'story-7' });
      await eventually(() =>
        expect(logs).toContainEqual(
          expect.objectContaining({
            msg: 'request',
            context: 'http',
            method: 'POST',
            path: '/api/v1/things',
            status: 201,
            requestId: 'req-42',
            correlationId: 'story-7',
            principal: expect.stringMatching(/^api_key:/) as unknown,
            time: expect.any(String) as unknown,
            level: 'info',
          }),
        ),
      );
    });

    it('starts a correlation with the request id, and replaces ids it cannot trust', async () => {
      const response = await call('POST', '/api/v1/things', {
        key: orgKey,
        body: thing,
        headers: { 'x-request-id': 'x'.repeat(200) },
      });
      const requestId = response.headers.get('x-request-id');
      expect(requestId).not.toBe('x'.repeat(200));
      expect(response.headers.get('x-correlation-id')).toBe(requestId);
      expect(await response.json()).toMatchObject({ requestId, correlationId: requestId });
    });
  });

  describe('Idempotency-Key', () => {
    const idempotent = (key: string, body: unknown, apiKey = orgKey, path = '/api/v1/things') =>
      call('POST', path, { key: apiKey, body, headers: { 'idempotency-key': key } });

    it('replays the first response to a retry, without running the handler again', async () => {
      const before = calls.created;
      const first = await idempotent('create-1', thing);
      const firstText = await first.text();
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotency-replayed')).toBeNull();

      const retry = await idempotent('create-1', { tags: ['x'], name: 'first', orgId: ORG_A });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotency-replayed')).toBe('true');
      expect(retry.headers.get('location')).toBe(first.headers.get('location'));
      expect(retry.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
      expect(await retry.text()).toBe(firstText);
      expect(calls.created).toBe(before + 1);
    });

    it('refuses the same key with a different body or path', async () => {
      await idempotent('create-2', thing);
      await problem(
        await idempotent('create-2', { ...thing, name: 'second' }),
        422,
        'PLATFORM_IDEMPOTENCY_KEY_REUSED',
      );
      await problem(
        await idempotent('create-2', thing, orgKey, `/api/v1/organizations/${ORG_A}/taken`),
        422,
        'PLATFORM_IDEMPOTENCY_KEY_REUSED',
      );
    });

    it('keeps each principal’s keys apart', async () => {
      await idempotent('create-3', thing);
      const admin = await idempotent('create-3', { ...thing, name: 'admin’s own' }, ADMIN_KEY);
      expect(admin.status).toBe(201);
      expect(admin.headers.get('idempotency-replayed')).toBeNull();
    });

    it('replays a client error as it was first answered', async () => {
      const invalid = { ...thing, name: '' };
      const first = await idempotent('invalid-1', invalid);
      const firstBody = await problem(first, 400, 'PLATFORM_VALIDATION_FAILED');
      const retry = await idempotent('invalid-1', invalid);
      expect(retry.status).toBe(400);
      expect(retry.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(retry.headers.get('idempotency-replayed')).toBe('true');
      expect(await retry.json()).toEqual(firstBody);
    });

    it('does not keep a server error, so the retry runs again', async () => {
      calls.flaky = 0;
      const path = `/api/v1/organizations/${ORG_A}/flaky`;
      expect((await idempotent('flaky-1', {}, orgKey, path)).status).toBe(500);
      const retry = await idempotent('flaky-1', {}, orgKey, path);
      expect(retry.status).toBe(201);
      expect(await retry.json()).toEqual({ attempt: 2 });
      const again = await idempotent('flaky-1', {}, orgKey, path);
      expect(again.headers.get('idempotency-replayed')).toBe('true');
      expect(await again.json()).toEqual({ attempt: 2 });
    });

    it('answers 409 to a retry while the first request still runs', async () => {
      const path = `/api/v1/organizations/${ORG_A}/slow`;
      calls.release = undefined;
      const first = idempotent('slow-1', {}, orgKey, path);
      await eventually(() => expect(calls.release).toBeDefined());
      const concurrent = await idempotent('slow-1', {}, orgKey, path);
      expect(concurrent.headers.get('retry-after')).toBe('1');
      await problem(concurrent, 409, 'PLATFORM_IDEMPOTENCY_IN_PROGRESS');
      calls.finishSlow();
      expect((await first).status).toBe(201);
    });

    it('refuses an over-long key', async () => {
      await problem(await idempotent('k'.repeat(256), thing), 400, 'PLATFORM_IDEMPOTENCY_KEY_INVALID');
    });
  });

  describe('OpenAPI', () => {
    it('serves the document with the bearer scheme and the zod body schemas', async () => {
      const response = await call('GET', '/api/docs/openapi.json');
      expect(response.status).toBe(200);
      const document = (await response.json()) as {
        info: { title: string };
        components: { securitySchemes: Record<string, unknown> };
        paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown }>>;
      };
      expect(document.info.title).toBe('Sample');
      expect(document.components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
      const create = document.paths['/api/v1/things']?.['post'];
      expect(create?.security).toEqual([{ bearer: [] }]);
      expect(create?.requestBody).toMatchObject({
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['orgId', 'name'],
              additionalProperties: false,
              properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
            },
          },
        },
      });
      expect(document.paths['/health']?.['get']?.security).toEqual([]);
    });

    it('serves the UI at /api/docs without credentials', async () => {
      const response = await call('GET', '/api/docs');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    });
  });
});
