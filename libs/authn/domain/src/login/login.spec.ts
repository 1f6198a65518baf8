import { ATTRIBUTE_MAPPING_PRESETS } from '../connection/attribute-mapping';
import { decideFirstLogin, type FirstLoginFacts } from './first-login';
import { checkLoginAttempt, type LoginAttempt } from './login-attempt';
import { loginFailureMessage, loginFailureStatus } from './login-failure';
import { jitUserName, oidcProfile, rolesForGroups, samlContextAmr, samlProfile } from './sso-profile';

const now = new Date('2026-12-01T10:00:00Z');
const facts = (overrides: Partial<FirstLoginFacts> = {}): FirstLoginFacts => ({
  linked: null,
  sameEmail: [],
  jitEnabled: false,
  linkByEmail: false,
  emailDomainServed: true,
  newUserId: 'usr_new',
  ...overrides,
});

describe('who signs in on an SSO login', () => {
  it('the linked user, whatever the email says', () => {
    expect(
      decideFirstLogin(
        facts({
          linked: { userId: 'usr_ada', active: true },
          sameEmail: [{ userId: 'usr_eve', active: true, linked: false }],
        }),
      ),
    ).toEqual({ kind: 'signed_in', userId: 'usr_ada' });
  });

  it('refuses a linked user who left', () => {
    expect(decideFirstLogin(facts({ linked: { userId: 'usr_ada', active: false } }))).toMatchObject({
      kind: 'refused',
      reason: 'sso_user_inactive',
    });
  });

  it('without a link and without JIT, refuses: nobody is created', () => {
    expect(decideFirstLogin(facts())).toMatchObject({ kind: 'refused', reason: 'sso_user_not_provisioned' });
  });

  it('with JIT, provisions a new identity even when the email belongs to an existing user', () => {
    expect(
      decideFirstLogin(
        facts({ jitEnabled: true, sameEmail: [{ userId: 'usr_ada', active: true, linked: false }] }),
      ),
    ).toEqual({ kind: 'provision', userId: 'usr_new' });
  });

  it('links an existing user by email only where the connection trusts it, and only an unclaimed one', () => {
    const ada = { userId: 'usr_ada', active: true, linked: false };
    expect(decideFirstLogin(facts({ linkByEmail: true, sameEmail: [ada] }))).toEqual({
      kind: 'link_existing',
      userId: 'usr_ada',
    });
    expect(
      decideFirstLogin(facts({ linkByEmail: true, sameEmail: [{ ...ada, linked: true }] })),
    ).toMatchObject({
      kind: 'refused',
      reason: 'sso_user_not_provisioned',
    });
    expect(
      decideFirstLogin(facts({ linkByEmail: true, sameEmail: [ada, { ...ada, userId: 'usr_ada2' }] })),
    ).toMatchObject({ kind: 'refused' });
    expect(
      decideFirstLogin(facts({ linkByEmail: true, sameEmail: [{ ...ada, active: false }] })),
    ).toMatchObject({
      reason: 'sso_user_inactive',
    });
  });
});

describe('a login attempt coming back from the IdP', () => {
  const attempt: LoginAttempt = {
    attemptId: 'att_1',
    interactionUid: 'uid',
    orgId: 'org_1',
    connectionId: 'con_1',
    expiresAt: new Date(now.getTime() + 60_000),
    usedAt: null,
  };
  const check = (
    candidate: LoginAttempt | null,
    overrides: { connectionId?: string; sameBrowser?: boolean; at?: Date } = {},
  ) =>
    checkLoginAttempt(candidate, {
      connectionId: overrides.connectionId ?? 'con_1',
      now: overrides.at ?? now,
      sameBrowser: overrides.sameBrowser ?? true,
    });

  it('continues once, before it expires, in the browser that started it', () => {
    expect(check(attempt)).toEqual({ ok: true });
    expect(check(null)).toMatchObject({ reason: 'sso_attempt_unknown' });
    expect(check(attempt, { connectionId: 'con_2' })).toMatchObject({ reason: 'sso_attempt_unknown' });
    expect(check({ ...attempt, usedAt: now })).toMatchObject({ reason: 'sso_attempt_replayed' });
    expect(check(attempt, { at: attempt.expiresAt })).toMatchObject({ reason: 'sso_attempt_expired' });
    expect(check(attempt, { sameBrowser: false })).toMatchObject({ reason: 'sso_attempt_other_browser' });
  });
});

describe('profiles from the IdP', () => {
  it('reads SAML attributes through the mapping, the email NameID standing in for a missing email', () => {
    const profile = samlProfile(
      { firstName: ['Ada'], lastName: ['Lovelace'], groups: ['Finance', ' Finance ', 'Eng'] },
      { value: 'Ada@Acme.example', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
      ATTRIBUTE_MAPPING_PRESETS.generic,
    );
    expect(profile).toEqual({
      email: 'ada@acme.example',
      givenName: 'Ada',
      familyName: 'Lovelace',
      displayName: null,
      groups: ['Finance', 'Eng'],
    });
    expect(
      samlProfile(
        {},
        { value: 'ada', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
        ATTRIBUTE_MAPPING_PRESETS.generic,
      ).email,
    ).toBeNull();
  });

  it('keeps an OIDC email only when the IdP verified it', () => {
    const claims = { email: 'ada@acme.example', name: 'Ada', groups: ['Finance'] };
    expect(oidcProfile(claims, true, ATTRIBUTE_MAPPING_PRESETS.oidc)).toMatchObject({
      email: 'ada@acme.example',
      displayName: 'Ada',
      groups: ['Finance'],
    });
    expect(oidcProfile(claims, false, ATTRIBUTE_MAPPING_PRESETS.oidc).email).toBeNull();
  });

  it('maps groups to roles by exact name and names JIT users by email, else subject', () => {
    const mappings = [
      { group: 'Finance', role: 'approver' },
      { group: 'finance', role: 'admin' },
    ];
    expect(rolesForGroups(['Finance'], mappings, ['member'])).toEqual(['approver', 'member']);
    expect(
      jitUserName({ email: null, givenName: null, familyName: null, displayName: null, groups: [] }, 'sub-1'),
    ).toBe('sub-1');
  });
});

describe('SAML authentication contexts', () => {
  it('become amr methods; Entra multi-factor says mfa; unknown classes say nothing', () => {
    expect(samlContextAmr(['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'])).toEqual([
      'pwd',
    ]);
    expect(samlContextAmr(['http://schemas.microsoft.com/claims/multipleauthn'])).toEqual(['mfa']);
    expect(samlContextAmr(['urn:example:custom', null])).toEqual([]);
  });
});

describe('failure pages', () => {
  it('answer 413 for an oversize message, 400 otherwise, with words for people', () => {
    expect(loginFailureStatus('saml_message_too_large')).toBe(413);
    expect(loginFailureStatus('saml_invalid_signature')).toBe(400);
    expect(loginFailureMessage('saml_invalid_signature')).toMatch(/identity provider/);
    expect(loginFailureMessage('sso_user_not_provisioned')).toMatch(/administrator/);
  });
});
