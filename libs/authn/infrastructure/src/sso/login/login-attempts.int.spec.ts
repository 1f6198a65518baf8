import { LOGIN_ATTEMPT_TTL_MS } from '@mandate/authn-domain';
import { EmbeddedPostgres } from '@mandate/eventstore';
import { DataSource } from 'typeorm';
import { browserHashOf, LoginAttempts, type VerifiedLogin } from './login-attempts';
import { CreateAuthnSsoLogin1796342400000 } from './sso-login.migration';

const login: VerifiedLogin = {
  userId: 'usr_ada',
  subject: 'ada@acme.example',
  method: 'saml',
  upstreamAmr: ['pwd'],
  groups: ['Finance'],
  roles: ['approver'],
  mfaRequired: false,
  idpInitiated: false,
};

/** Sign-ins in flight on the database, as every instance shares them: one use, one browser, ten minutes. */
describe('login attempts on embedded PGlite', () => {
  let embedded: EmbeddedPostgres;
  let dataSource: DataSource;
  let now: Date;
  let attempts: LoginAttempts;
  const browser = browserHashOf('a'.repeat(43));
  const otherBrowser = browserHashOf('b'.repeat(43));

  beforeAll(async () => {
    embedded = await EmbeddedPostgres.start();
    dataSource = new DataSource({
      type: 'postgres',
      url: embedded.connectionString,
      migrations: [CreateAuthnSsoLogin1796342400000],
      migrationsRun: true,
      migrationsTableName: 'sso_login_migrations',
      poolSize: 4,
    });
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await embedded.stop();
  });
  beforeEach(() => {
    now = new Date('2026-12-02T10:00:00.000Z');
    attempts = new LoginAttempts(dataSource, () => now);
  });

  const start = (interactionUid: string, state: string) =>
    attempts.start({
      interactionUid,
      orgId: 'org_acme',
      connectionId: 'con_okta',
      method: 'oidc',
      browserHash: browser,
      oidc: { state, nonce: `n-${state}`, codeVerifier: `v-${state}` },
    });

  it('is found by its state, used once — also under concurrent answers — and completed once', async () => {
    const attemptId = await start('uid-1', 'state-1');
    const found = await attempts.byOidcState('state-1');
    expect(found).toMatchObject({
      attemptId,
      interactionUid: 'uid-1',
      status: 'started',
      usedAt: null,
      oidc: { state: 'state-1', nonce: 'n-state-1', codeVerifier: 'v-state-1' },
      expiresAt: new Date(now.getTime() + LOGIN_ATTEMPT_TTL_MS),
    });
    const answers = await Promise.all([
      attempts.use(attemptId),
      attempts.use(attemptId),
      attempts.use(attemptId),
    ]);
    expect(answers.filter(Boolean)).toHaveLength(1);
    await attempts.verified(attemptId, login);
    expect((await attempts.byOidcState('state-1'))?.usedAt).toEqual(now);
    expect(await attempts.complete(attemptId)).toBe(true);
    expect(await attempts.complete(attemptId)).toBe(false);
  });

  it('waits for its interaction only in the browser that started it, and only until it expires', async () => {
    const attemptId = await start('uid-2', 'state-2');
    await attempts.use(attemptId);
    await attempts.verified(attemptId, login);
    expect(await attempts.pendingFor('uid-2', otherBrowser)).toBeNull();
    expect(await attempts.pendingFor('uid-2', browser)).toMatchObject({ attemptId, outcome: login });
    expect(await attempts.verifiedFor('uid-2')).toMatchObject({ attemptId });
    now = new Date(now.getTime() + LOGIN_ATTEMPT_TTL_MS);
    expect(await attempts.pendingFor('uid-2', browser)).toBeNull();
  });

  it('gives an IdP-initiated login to one interaction of its organization, in its browser', async () => {
    await attempts.unsolicited({
      orgId: 'org_acme',
      connectionId: 'con_okta',
      browserHash: browser,
      outcome: { ...login, idpInitiated: true },
    });
    expect(await attempts.claimUnsolicited(otherBrowser, 'org_acme', 'uid-3')).toBeNull();
    expect(await attempts.claimUnsolicited(browser, 'org_globex', 'uid-3')).toBeNull();
    const claimed = await attempts.claimUnsolicited(browser, 'org_acme', 'uid-3');
    expect(claimed).toMatchObject({
      interactionUid: 'uid-3',
      status: 'verified',
      outcome: { idpInitiated: true },
    });
    expect(await attempts.claimUnsolicited(browser, 'org_acme', 'uid-4')).toBeNull();
  });
});
