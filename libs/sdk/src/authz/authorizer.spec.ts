import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type VerifiedToken } from '../verification/token-verifier';
import { checkSubjectOf, createAuthorizer } from './authorizer';

const token = (overrides: Partial<VerifiedToken> = {}): VerifiedToken => ({
  subject: 'usr_01jqk6ry4b0000000000000000',
  orgId: 'org_01jqk6ry4b0000000000000000',
  clientId: 'cli_x',
  scopes: new Set(),
  grantId: 'grt_01234567',
  tokenId: 'jti',
  audience: ['https://api.example.test'],
  actor: null,
  actorChain: [],
  issuedAt: new Date(),
  expiresAt: new Date(),
  claims: {} as VerifiedToken['claims'],
  ...overrides,
});

describe('createAuthorizer', () => {
  let server: Server;
  let base: string;
  let answer: (request: IncomingMessage, response: ServerResponse, body: unknown) => void;
  const received: { url: string; authorization: string | undefined; body: unknown }[] = [];
  const logger = { warn: jest.fn(), error: jest.fn() };

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const body: unknown = JSON.parse(text);
        received.push({ url: request.url ?? '', authorization: request.headers.authorization, body });
        answer(request, response, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    received.length = 0;
    logger.warn.mockClear();
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ allowed: true }));
    };
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const authorizer = (timeoutMs = 500) =>
    createAuthorizer({ baseUrl: base, apiKey: 'mk_org', timeoutMs, logger });
  const replyWith = (status: number, body: string) => {
    answer = (_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    };
  };

  it('asks for a user token as user:<sub>, with its organization', async () => {
    const decision = await authorizer().authorize(token(), {
      permission: 'documents:read',
      resource: 'project:42',
    });
    expect(decision).toEqual({ allowed: true });
    expect(received).toEqual([
      {
        url: '/api/v1/authz/check',
        authorization: 'Bearer mk_org',
        body: {
          orgId: 'org_01jqk6ry4b0000000000000000',
          subject: 'user:usr_01jqk6ry4b0000000000000000',
          permission: 'documents:read',
          resource: 'project:42',
        },
      },
    ]);
  });

  it('asks for an agent acting for a human as agent:<act.sub> on behalf of user:<sub>, ignoring prior actors', async () => {
    const delegated = token({
      actor: 'agt_01jqk6ry4b0000000000000001',
      actorChain: ['agt_01jqk6ry4b0000000000000001', 'agt_prior'],
    });
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          allowed: false,
          reason: 'delegator_no_role',
          mandate: 'allowed',
          delegator: 'denied',
        }),
      );
    };
    const decision = await authorizer().authorize(delegated, { relation: 'viewer', object: 'document:q3' });
    expect(decision).toEqual({
      allowed: false,
      reason: 'delegator_no_role',
      mandate: 'allowed',
      delegator: 'denied',
    });
    expect(received[0]!.body).toEqual({
      orgId: 'org_01jqk6ry4b0000000000000000',
      subject: 'agent:agt_01jqk6ry4b0000000000000001',
      onBehalfOf: 'user:usr_01jqk6ry4b0000000000000000',
      relation: 'viewer',
      object: 'document:q3',
    });
  });

  it('derives agent and client subjects', () => {
    expect(checkSubjectOf(token({ subject: 'agt_01jqk6ry4b0000000000000001' })).subject).toBe(
      'agent:agt_01jqk6ry4b0000000000000001',
    );
    expect(checkSubjectOf(token({ subject: 'cli_backend' })).subject).toBe('client:cli_backend');
  });

  it('passes a subject named directly as it is', async () => {
    await authorizer().authorize(
      { subject: 'user:usr_x', onBehalfOf: undefined },
      { permission: 'documents:read' },
    );
    expect(received[0]!.body).toEqual({ subject: 'user:usr_x', permission: 'documents:read' });
  });

  it.each([
    ['a 500', 500, '{"allowed":true}'],
    ['a 403', 403, '{"allowed":true}'],
    ['a 412', 412, '{"title":"consistency timeout"}'],
    ['a body that is not JSON', 200, '<html>'],
    ['allowed as a string', 200, '{"allowed":"true"}'],
    ['allowed missing', 200, '{"reason":"x"}'],
    ['allowed as 1', 200, '{"allowed":1}'],
  ])('denies on %s', async (_, status, body) => {
    replyWith(status, body);
    expect(await authorizer().authorize(token(), { permission: 'documents:read' })).toMatchObject({
      allowed: false,
    });
    expect(logger.warn).toHaveBeenCalled();
  });

  it('denies on a timeout', async () => {
    answer = () => undefined; // never answers
    const started = Date.now();
    expect(await authorizer(100).authorize(token(), { permission: 'documents:read' })).toEqual({
      allowed: false,
      reason: 'authorizer_unavailable',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('denies when Mandate cannot be reached', async () => {
    const unreachable = createAuthorizer({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', logger });
    expect(await unreachable.authorize(token(), { permission: 'documents:read' })).toMatchObject({
      allowed: false,
    });
  });

  it('denies when fetch itself throws', async () => {
    const broken = createAuthorizer({
      baseUrl: base,
      apiKey: 'k',
      logger,
      fetch: () => Promise.reject(new Error('boom')),
    });
    expect(await broken.authorize(token(), { permission: 'documents:read' })).toMatchObject({
      allowed: false,
    });
  });
});
