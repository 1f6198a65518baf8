import { revocation, TestIssuer, TestRevocationFeed, waitUntil } from '@mandate/sdk/testing';
import { type InvoicesService, startInvoicesService } from './start-invoices-service';

const ALICE = 'usr_01jqk6ry4b0000000000000a1c';
const BOT = 'agt_01jqk6ry4b00000000000000b7';
const ACME = 'org_01jqk6ry4b0000000000000acm';
const NOW = new Date('2026-03-01T10:00:00.000Z');

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('the invoices service, protected by the Mandate SDK', () => {
  let issuer: TestIssuer;
  let feed: TestRevocationFeed;
  let service: InvoicesService;

  const call = async (method: 'GET' | 'POST', path: string, token?: string) => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return {
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  /** A token of Alice's grant, used by the invoice bot. */
  const token = (claims: Record<string, unknown> = {}, options: Parameters<TestIssuer['sign']>[1] = {}) =>
    issuer.sign(
      {
        sub: ALICE,
        act: { sub: BOT },
        org_id: ACME,
        aud: service.audience,
        scope: 'invoices:read invoices:approve',
        ...claims,
      },
      options,
    );

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    feed = await TestRevocationFeed.start();
    service = await startInvoicesService({
      issuer: issuer.issuer,
      revocations: { over: 'http', baseUrl: feed.baseUrl, apiKey: feed.apiKey },
      now: () => NOW,
    });
  });
  afterAll(async () => {
    await service.close();
    await feed.close();
    await issuer.close();
  });

  it('answers its health without a token, saying whether the revocation feed is followed', async () => {
    const health = await call('GET', '/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    await waitUntil(
      async () => ((await call('GET', '/health')).body['revocations'] as { connected: boolean }).connected,
      { what: 'the revocation stream to be connected' },
    );
  });

  it("lists the organization's invoices for a token with invoices:read", async () => {
    const answer = await call('GET', '/invoices', await token({ scope: 'invoices:read' }));
    expect(answer.status).toBe(200);
    expect(
      (answer.body['data'] as { id: string; status: string }[]).map(({ id, status }) => [id, status]),
    ).toEqual([
      ['inv-1', 'pending'],
      ['inv-2', 'pending'],
      ['inv-3', 'pending'],
    ]);
  });

  it('records the human and the agent acting for them on an approval', async () => {
    const approved = await call('POST', '/invoices/inv-1/approve', await token({ client_id: 'cli_bot' }));
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      id: 'inv-1',
      status: 'approved',
      approval: { subject: ALICE, actor: BOT, clientId: 'cli_bot', approvedAt: NOW.toISOString() },
    });
    const again = await call('POST', '/invoices/inv-1/approve', await token());
    expect(again).toMatchObject({ status: 409, body: { code: 'INVOICES_ALREADY_APPROVED' } });
    const unknown = await call('POST', '/invoices/inv-9/approve', await token());
    expect(unknown).toMatchObject({ status: 404, body: { code: 'INVOICES_NOT_FOUND' } });
  });

  it("keeps each organization's invoices to itself", async () => {
    await call('POST', '/invoices/inv-2/approve', await token());
    const other = await call('GET', '/invoices', await token({ org_id: 'org_01jqk6ry4b00000000000other' }));
    expect((other.body['data'] as { status: string }[]).every(({ status }) => status === 'pending')).toBe(
      true,
    );
  });

  it('answers 403 insufficient_scope, naming the scope, when the token lacks it', async () => {
    const reader = await token({ scope: 'invoices:read' });
    const refused = await call('POST', '/invoices/inv-3/approve', reader);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'insufficient_scope' });
    expect(refused.challenge).toContain('error="insufficient_scope"');
    expect(refused.challenge).toContain('scope="invoices:approve"');
    const nothing = await call('GET', '/invoices', await token({ scope: 'documents:read' }));
    expect(nothing.status).toBe(403);
    expect(nothing.challenge).toContain('scope="invoices:read"');
  });

  it('answers 401 with a bare challenge without a token', async () => {
    const anonymous = await call('GET', '/invoices');
    expect(anonymous.status).toBe(401);
    expect(anonymous.challenge).toBe('Bearer realm="invoices", scope="invoices:read"');
  });

  describe('answers 401 invalid_token', () => {
    const expectInvalid = async (bearer: string) => {
      const refused = await call('GET', '/invoices', bearer);
      expect(refused.status).toBe(401);
      expect(refused.challenge).toMatch(/^Bearer realm="invoices", error="invalid_token"/);
      expect(refused.body).toMatchObject({ error: 'invalid_token' });
      return refused;
    };

    it('for an unsigned token (alg none)', async () => {
      const [, payload] = (await token()).split('.');
      const header = base64url({ alg: 'none', typ: 'at+jwt', kid: issuer.key.kid });
      await expectInvalid(`${header}.${payload}.`);
    });

    it('for a token meant for another audience', async () => {
      await expectInvalid(await token({ aud: 'https://payroll.example.test' }));
    });

    it('for an expired token', async () => {
      await expectInvalid(await token({}, { now: new Date(Date.now() - 3_600_000) }));
    });

    it('for a token signed by another key', async () => {
      const stranger = await TestIssuer.start();
      try {
        await expectInvalid(
          await stranger.sign({ iss: issuer.issuer, aud: service.audience, scope: 'invoices:read' }),
        );
      } finally {
        await stranger.close();
      }
    });

    it('for a live token once its grant is revoked on the feed, before it expires', async () => {
      const grantId = 'grt_01jqk6ry4b000000000leaver';
      const bearer = await token({ grant_id: grantId });
      expect((await call('GET', '/invoices', bearer)).status).toBe(200);

      feed.revoke(
        revocation({ grantId, orgId: ACME, subject: ALICE, actor: BOT, reason: 'user_deactivated' }),
      );

      await waitUntil(async () => (await call('GET', '/invoices', bearer)).status === 401, {
        what: 'the revoked token to be refused',
      });
      const refused = await expectInvalid(bearer);
      expect(refused.body['error_description']).toMatch(/revoked/i);
      expect((await call('POST', '/invoices/inv-3/approve', bearer)).status).toBe(401);
      expect((await call('GET', '/invoices', await token())).status).toBe(200);
    });
  });

  it('refuses to start when the revocation feed refuses its key', async () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await expect(
      startInvoicesService({
        issuer: issuer.issuer,
        revocations: { over: 'http', baseUrl: feed.baseUrl, apiKey: 'mk_wrong' },
      }),
    ).rejects.toThrow(/401/);
    jest.restoreAllMocks();
  });
});
