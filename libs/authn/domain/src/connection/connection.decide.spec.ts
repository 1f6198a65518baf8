import { type ConnectionEvent } from '@mandate/contracts';
import { deciderSpecification, DomainError } from '@mandate/kernel';
import { generateKeyPairSync } from 'node:crypto';
import {
  type Connection,
  connectionDecider,
  type ConnectionCommand,
  type CreateConnection,
  type UpdateConnection,
} from './connection.decide';
import {
  type ConnectionSettingsInput,
  idpSourceOf,
  type OidcSettingsInput,
  type SamlSettingsInput,
  type SettingError,
} from './connection-settings';
import { IDP_CERTIFICATE, WEAK_CERTIFICATE } from './testing/certificates';

const orgId = 'org_01jqk6ry4b000000000000000a';
const connectionId = 'con_01jqk6ry4b00000000000000c1';
const now = new Date('2026-12-01T09:00:00.000Z');
const at = now.toISOString();
const production = { allowLoopbackHttp: false };
const sealed = (name: string) => `v1.${name}.c2VhbGVk.dGFn`;
const given = deciderSpecification(connectionDecider);

const samlInput = (overrides: Partial<SamlSettingsInput> = {}): SamlSettingsInput => ({
  idp: {
    source: 'fields',
    metadataUrl: null,
    entityId: 'https://idp.example.com/saml',
    ssoUrl: 'https://idp.example.com/sso',
    certificates: [IDP_CERTIFICATE],
  },
  spSigning: { certificatePem: 'SP-CERT', sealedPrivateKey: sealed('sp') },
  ...overrides,
});
const oidcInput = (overrides: Partial<OidcSettingsInput> = {}): OidcSettingsInput => ({
  issuer: 'https://login.example.com',
  clientId: 'mandate',
  clientAuth: 'client_secret_basic',
  clientSecret: { plaintext: 'correct-horse-battery', sealed: sealed('secret') },
  ...overrides,
});

const createSaml = (
  saml: Partial<SamlSettingsInput> = {},
  rest: Partial<ConnectionSettingsInput> = {},
): CreateConnection => ({
  type: 'CreateConnection',
  now,
  data: {
    orgId,
    connectionId,
    kind: 'saml',
    name: 'Okta',
    saml: samlInput(saml),
    oidc: null,
    policy: {},
    environment: production,
    ...rest,
  },
});
const createOidc = (oidc: Partial<OidcSettingsInput> = {}, rest: Partial<ConnectionSettingsInput> = {}) =>
  ({
    type: 'CreateConnection',
    now,
    data: {
      orgId,
      connectionId,
      kind: 'oidc',
      name: 'Entra ID',
      saml: null,
      oidc: oidcInput(oidc),
      policy: {},
      environment: production,
      ...rest,
    },
  }) satisfies CreateConnection;

/** The events a command produces over `history`. */
const run = (history: readonly ConnectionEvent[], command: ConnectionCommand): ConnectionEvent[] => {
  const state = history.reduce<Connection>(connectionDecider.evolve, connectionDecider.initialState());
  return connectionDecider.decide(command, state);
};
const refusal = (history: readonly ConnectionEvent[], command: ConnectionCommand): DomainError => {
  try {
    run(history, command);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('the command was accepted');
};
const faultsOf = (command: ConnectionCommand, history: readonly ConnectionEvent[] = []) =>
  (refusal(history, command).details?.['errors'] as SettingError[]).map(({ pointer, code }) => [
    pointer,
    code,
  ]);

const created = (command: CreateConnection = createSaml()) => run([], command);
const update = (
  data: Partial<UpdateConnection['data']>,
  base: CreateConnection = createSaml(),
): UpdateConnection => ({
  type: 'UpdateConnection',
  now,
  data: {
    name: base.data.name,
    saml: base.data.saml,
    oidc: base.data.oidc,
    policy: base.data.policy,
    environment: production,
    verifiedDomains: [],
    ...data,
  },
});
const tested = (settingsVersion: number, ok: boolean): ConnectionEvent => ({
  type: 'authn.connection.tested',
  data: {
    orgId,
    connectionId,
    settingsVersion,
    ok,
    reason: ok ? null : 'unreachable',
    message: null,
    testedAt: at,
  },
});
const enabled: ConnectionEvent = {
  type: 'authn.connection.enabled',
  data: { orgId, connectionId, settingsVersion: 1, enabledAt: at },
};
const enable = (verifiedDomains: string[] = []): ConnectionCommand => ({
  type: 'EnableConnection',
  now,
  data: { verifiedDomains },
});

describe('SSO connection decider', () => {
  describe('creating a SAML connection', () => {
    it('stores the IdP with secure defaults: signed assertions, no IdP-initiated login, 60 s skew, signed requests', () => {
      const [event] = created();
      expect(event).toEqual({
        type: 'authn.connection.created',
        data: {
          orgId,
          connectionId,
          kind: 'saml',
          name: 'Okta',
          saml: {
            idpSource: 'fields',
            metadataUrl: null,
            idpEntityId: 'https://idp.example.com/saml',
            idpSsoUrl: 'https://idp.example.com/sso',
            idpCertificates: [IDP_CERTIFICATE.trim()],
            wantAssertionsSigned: true,
            allowUnsignedAssertions: false,
            signAuthnRequests: true,
            allowIdpInitiated: false,
            relayStateAllowList: [],
            clockSkewSeconds: 60,
            spSigning: { certificatePem: 'SP-CERT', sealedPrivateKey: sealed('sp') },
          },
          oidc: null,
          policy: {
            attributeMapping: {
              email: 'email',
              givenName: 'firstName',
              familyName: 'lastName',
              displayName: 'displayName',
              groups: 'groups',
            },
            groupRoleMappings: [],
            jit: { enabled: false, defaultRoles: [] },
            mfa: { required: false },
            domains: [],
          },
          settingsVersion: 1,
          createdAt: at,
        },
      });
    });

    it('accepts the bare base64 body of a certificate, as metadata carries it', () => {
      const body = IDP_CERTIFICATE.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      const [event] = created(createSaml({ idp: { ...samlInput().idp, certificates: [body] } }));
      expect(event?.type === 'authn.connection.created' && event.data.saml?.idpCertificates).toEqual([
        IDP_CERTIFICATE.trim(),
      ]);
    });

    it('turns off assertion signatures only with the explicit acknowledgement', () => {
      expect(faultsOf(createSaml({ wantAssertionsSigned: false }))).toEqual([
        ['#/saml/wantAssertionsSigned', 'AUTHN_SAML_UNSIGNED_ASSERTIONS_NOT_ACKNOWLEDGED'],
      ]);
      const [event] = created(createSaml({ wantAssertionsSigned: false, allowUnsignedAssertions: true }));
      expect(event?.type === 'authn.connection.created' && event.data.saml).toMatchObject({
        wantAssertionsSigned: false,
        allowUnsignedAssertions: true,
      });
    });

    it('drops the SP key pair when AuthnRequests are not signed', () => {
      const [event] = created(createSaml({ signAuthnRequests: false }));
      expect(event?.type === 'authn.connection.created' && event.data.saml?.spSigning).toBeNull();
    });

    it.each([
      [{ clockSkewSeconds: 181 }, '#/saml/clockSkewSeconds', 'AUTHN_SAML_CLOCK_SKEW_OUT_OF_RANGE'],
      [{ clockSkewSeconds: -1 }, '#/saml/clockSkewSeconds', 'AUTHN_SAML_CLOCK_SKEW_OUT_OF_RANGE'],
      [{ clockSkewSeconds: 1.5 }, '#/saml/clockSkewSeconds', 'AUTHN_SAML_CLOCK_SKEW_OUT_OF_RANGE'],
      [
        { relayStateAllowList: ['/app', '//evil.example'] },
        '#/saml/relayStateAllowList/1',
        'AUTHN_SAML_RELAY_STATE_INVALID',
      ],
      [
        { relayStateAllowList: ['http://app.example.com'] },
        '#/saml/relayStateAllowList/0',
        'AUTHN_SAML_RELAY_STATE_INVALID',
      ],
    ])('refuses %j, naming %s', (saml, pointer, code) => {
      expect(faultsOf(createSaml(saml))).toEqual([[pointer, code]]);
    });

    it.each([
      ['entityId', '', '#/saml/idpEntityId', 'AUTHN_SAML_IDP_ENTITY_ID_INVALID'],
      ['ssoUrl', 'http://idp.example.com/sso', '#/saml/idpSsoUrl', 'AUTHN_CONNECTION_URL_NOT_HTTPS'],
      ['ssoUrl', 'not a url', '#/saml/idpSsoUrl', 'AUTHN_CONNECTION_URL_INVALID'],
      ['ssoUrl', 'https://user:pw@idp.example.com/sso', '#/saml/idpSsoUrl', 'AUTHN_CONNECTION_URL_INVALID'],
      ['ssoUrl', undefined, '#/saml/idpSsoUrl', 'AUTHN_CONNECTION_URL_REQUIRED'],
      ['certificates', [], '#/saml/idpCertificates', 'AUTHN_SAML_CERTIFICATE_REQUIRED'],
    ])('refuses an IdP whose %s is %j, naming %s', (field, value, pointer, code) => {
      const idp = { ...samlInput().idp, [field]: value };
      expect(faultsOf(createSaml({ idp }))).toEqual([[pointer, code]]);
    });

    it('names the certificate at fault: not PEM, a private key, weak, expired', () => {
      const idp = {
        ...samlInput().idp,
        certificates: [
          IDP_CERTIFICATE,
          'garbage',
          '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
          WEAK_CERTIFICATE,
        ],
      };
      expect(faultsOf(createSaml({ idp }))).toEqual([
        ['#/saml/idpCertificates/1', 'AUTHN_SAML_CERTIFICATE_INVALID'],
        ['#/saml/idpCertificates/2', 'AUTHN_SAML_CERTIFICATE_INVALID'],
        ['#/saml/idpCertificates/3', 'AUTHN_SAML_CERTIFICATE_WEAK_KEY'],
      ]);
      const later = { ...createSaml(), now: new Date('2127-01-01T00:00:00.000Z') };
      expect(faultsOf(later)).toEqual([['#/saml/idpCertificates/0', 'AUTHN_SAML_CERTIFICATE_EXPIRED']]);
    });

    it('points at the metadata when a value read from it is at fault', () => {
      const idp = {
        source: 'metadata_url' as const,
        metadataUrl: 'https://idp.example.com/metadata',
        entityId: 'https://idp.example.com/saml',
        ssoUrl: 'http://idp.example.com/sso',
        certificates: [IDP_CERTIFICATE],
      };
      expect(faultsOf(createSaml({ idp }))).toEqual([
        ['#/saml/metadataUrl', 'AUTHN_CONNECTION_URL_NOT_HTTPS'],
      ]);
      expect(faultsOf(createSaml({ idp: { ...idp, source: 'metadata_xml', metadataUrl: null } }))).toEqual([
        ['#/saml/metadataXml', 'AUTHN_CONNECTION_URL_NOT_HTTPS'],
      ]);
    });

    it('allows plain http on loopback only where the instance allows it (development and tests)', () => {
      const idp = { ...samlInput().idp, ssoUrl: 'http://127.0.0.1:9000/sso' };
      expect(faultsOf(createSaml({ idp }))).toEqual([['#/saml/idpSsoUrl', 'AUTHN_CONNECTION_URL_NOT_HTTPS']]);
      const development = createSaml({ idp });
      const events = created({
        ...development,
        data: { ...development.data, environment: { allowLoopbackHttp: true } },
      });
      expect(events).toHaveLength(1);
      const remote = createSaml({ idp: { ...idp, ssoUrl: 'http://idp.example.com/sso' } });
      expect(
        faultsOf({ ...remote, data: { ...remote.data, environment: { allowLoopbackHttp: true } } }),
      ).toEqual([['#/saml/idpSsoUrl', 'AUTHN_CONNECTION_URL_NOT_HTTPS']]);
    });

    it('reports every fault at once, and refuses settings of the other protocol', () => {
      expect(
        faultsOf(
          createSaml(
            { clockSkewSeconds: 999 },
            { name: ' ', oidc: oidcInput(), policy: { domains: ['not a domain'] } },
          ),
        ),
      ).toEqual([
        ['#/name', 'AUTHN_CONNECTION_NAME_INVALID'],
        ['#/oidc', 'AUTHN_CONNECTION_KIND_MISMATCH'],
        ['#/saml/clockSkewSeconds', 'AUTHN_SAML_CLOCK_SKEW_OUT_OF_RANGE'],
        ['#/domains/0', 'AUTHN_CONNECTION_DOMAIN_INVALID'],
      ]);
      expect(faultsOf(createSaml({}, { saml: null }))).toEqual([
        ['#/saml', 'AUTHN_CONNECTION_SETTINGS_REQUIRED'],
      ]);
    });

    it('is refused as a whole with one code and the faults in its details', () => {
      const error = refusal([], createSaml({ clockSkewSeconds: 999 }));
      expect(error).toMatchObject({ kind: 'invalid', code: 'AUTHN_CONNECTION_SETTINGS_INVALID' });
      expect(error.message).toContain('#/saml/clockSkewSeconds');
    });
  });

  describe('describing the SAML IdP', () => {
    it.each([
      [{ metadataXml: '<x/>' }, 'metadata_xml'],
      [{ metadataUrl: 'https://idp.example.com/metadata' }, 'metadata_url'],
      [{ idpEntityId: 'e', idpSsoUrl: 'https://idp.example.com', idpCertificates: [] }, 'fields'],
    ])('by %j is %s', (input, source) => expect(idpSourceOf(input)).toBe(source));

    it('takes exactly one way', () => {
      for (const [input, code] of [
        [{}, 'AUTHN_SAML_IDP_REQUIRED'],
        [{ metadataXml: '<x/>', idpEntityId: 'e' }, 'AUTHN_SAML_IDP_AMBIGUOUS'],
      ] as const) {
        try {
          idpSourceOf(input);
          throw new Error('accepted');
        } catch (error) {
          expect((error as DomainError).details?.['errors']).toEqual([
            expect.objectContaining({ pointer: '#/saml', code }),
          ]);
        }
      }
    });
  });

  describe('creating an OIDC connection', () => {
    it('keeps only the sealed secret, never the plaintext', () => {
      const [event] = created(createOidc());
      expect(event?.type === 'authn.connection.created' && event.data.oidc).toEqual({
        issuer: 'https://login.example.com',
        clientId: 'mandate',
        clientAuth: 'client_secret_basic',
        sealedClientSecret: sealed('secret'),
        sealedPrivateKeyJwk: null,
        privateKeyId: null,
        scopes: ['openid', 'email', 'profile'],
        identity: 'iss_sub',
      });
      expect(JSON.stringify(event)).not.toContain('correct-horse-battery');
      expect(event?.type === 'authn.connection.created' && event.data.policy.attributeMapping).toMatchObject({
        givenName: 'given_name',
        displayName: 'name',
      });
    });

    it('signs with a private JWK for private_key_jwt, and records its kid', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'k1' });
      const [event] = created(
        createOidc({
          clientAuth: 'private_key_jwt',
          clientSecret: undefined,
          privateKeyJwk: { plaintext: jwk, sealed: sealed('jwk') },
          identity: 'entra_tid_oid',
        }),
      );
      expect(event?.type === 'authn.connection.created' && event.data.oidc).toMatchObject({
        clientAuth: 'private_key_jwt',
        sealedClientSecret: null,
        sealedPrivateKeyJwk: sealed('jwk'),
        privateKeyId: 'k1',
        identity: 'entra_tid_oid',
      });
    });

    it.each([
      [{ issuer: 'http://login.example.com' }, '#/oidc/issuer', 'AUTHN_CONNECTION_URL_NOT_HTTPS'],
      [{ issuer: 'https://login.example.com?x=1' }, '#/oidc/issuer', 'AUTHN_CONNECTION_URL_INVALID'],
      [{ clientId: '' }, '#/oidc/clientId', 'AUTHN_OIDC_CLIENT_ID_INVALID'],
      [{ clientAuth: 'none' }, '#/oidc/clientAuth', 'AUTHN_OIDC_CLIENT_AUTH_INVALID'],
      [{ clientSecret: undefined }, '#/oidc/clientSecret', 'AUTHN_OIDC_CLIENT_SECRET_REQUIRED'],
      [
        { clientSecret: { plaintext: 'short', sealed: sealed('s') } },
        '#/oidc/clientSecret',
        'AUTHN_OIDC_CLIENT_SECRET_INVALID',
      ],
      [{ scopes: ['email'] }, '#/oidc/scopes', 'AUTHN_OIDC_SCOPE_INVALID'],
      [{ scopes: ['openid', 'bad scope'] }, '#/oidc/scopes/1', 'AUTHN_OIDC_SCOPE_INVALID'],
      [{ identity: 'email' }, '#/oidc/identity', 'AUTHN_OIDC_IDENTITY_INVALID'],
      [
        { clientAuth: 'private_key_jwt', clientSecret: undefined },
        '#/oidc/privateKeyJwk',
        'AUTHN_OIDC_PRIVATE_KEY_REQUIRED',
      ],
      [
        {
          clientAuth: 'private_key_jwt',
          clientSecret: undefined,
          privateKeyJwk: { plaintext: '{"kty":"EC","x":"a"}', sealed: sealed('k') },
        },
        '#/oidc/privateKeyJwk',
        'AUTHN_OIDC_PRIVATE_KEY_INVALID',
      ],
      [
        { privateKeyJwk: { plaintext: '{}', sealed: sealed('k') } },
        '#/oidc/privateKeyJwk',
        'AUTHN_OIDC_PRIVATE_KEY_UNEXPECTED',
      ],
    ])('refuses %j, naming %s', (oidc, pointer, code) => {
      expect(faultsOf(createOidc(oidc as Partial<OidcSettingsInput>))).toEqual([[pointer, code]]);
    });

    it('refuses a secret sent with private_key_jwt', () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      const jwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
      expect(
        faultsOf(
          createOidc({
            clientAuth: 'private_key_jwt',
            privateKeyJwk: { plaintext: jwk, sealed: sealed('k') },
          }),
        ),
      ).toEqual([['#/oidc/clientSecret', 'AUTHN_OIDC_CLIENT_SECRET_UNEXPECTED']]);
    });
  });

  describe('mapping, provisioning and domains', () => {
    it('fills the mapping from a preset, overrides win; normalizes domains and drops duplicates', () => {
      const [event] = created(
        createSaml(
          {},
          {
            policy: {
              attributeMapping: { preset: 'entra', groups: 'memberOf' },
              groupRoleMappings: [
                { group: 'Admins', role: 'admin' },
                { group: 'Admins', role: 'admin' },
              ],
              jit: { enabled: true, defaultRoles: ['member'] },
              mfa: { required: true },
              domains: ['Example.COM.', 'b.example.com', 'example.com'],
            },
          },
        ),
      );
      expect(event?.type === 'authn.connection.created' && event.data.policy).toEqual({
        attributeMapping: {
          email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
          givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
          familyName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
          displayName: 'http://schemas.microsoft.com/identity/claims/displayname',
          groups: 'memberOf',
        },
        groupRoleMappings: [{ group: 'Admins', role: 'admin' }],
        jit: { enabled: true, defaultRoles: ['member'] },
        mfa: { required: true },
        domains: ['b.example.com', 'example.com'],
      });
    });

    it('names every faulty mapping entry', () => {
      expect(
        faultsOf(
          createSaml(
            {},
            {
              policy: {
                attributeMapping: { preset: 'ping', email: ' ' },
                groupRoleMappings: [{ group: '', role: 'Admin' }],
                jit: { enabled: true, defaultRoles: ['ok', 'Not OK'] },
              },
            },
          ),
        ),
      ).toEqual([
        ['#/attributeMapping/preset', 'AUTHN_ATTRIBUTE_MAPPING_INVALID'],
        ['#/attributeMapping/email', 'AUTHN_ATTRIBUTE_MAPPING_INVALID'],
        ['#/groupRoleMappings/0/group', 'AUTHN_GROUP_MAPPING_INVALID'],
        ['#/groupRoleMappings/0/role', 'AUTHN_CONNECTION_ROLE_INVALID'],
        ['#/jit/defaultRoles/1', 'AUTHN_CONNECTION_ROLE_INVALID'],
      ]);
    });
  });

  describe('testing and enabling', () => {
    it('refuses to enable before a test, after a failed test, or after a test of older settings', () => {
      const history = created();
      given(history).when(enable()).thenThrows('AUTHN_CONNECTION_NOT_TESTED');
      given([...history, tested(1, false)])
        .when(enable())
        .thenThrows('AUTHN_CONNECTION_TEST_FAILED');
      const changed = run(
        [...history, tested(1, true)],
        update({ saml: samlInput({ clockSkewSeconds: 30 }) }),
      );
      given([...history, tested(1, true), ...changed])
        .when(enable())
        .thenThrows('AUTHN_CONNECTION_NOT_TESTED');
    });

    it('enables after a successful test of the current settings, once', () => {
      const history = [...created(), tested(1, true)];
      given(history).when(enable()).then([enabled]);
      given([...history, enabled])
        .when(enable())
        .thenNothingHappened();
    });

    it('enables only when every domain served is verified by the organization', () => {
      const history = [
        ...created(createSaml({}, { policy: { domains: ['a.example.com', 'b.example.com'] } })),
        tested(1, true),
      ];
      const error = refusal(history, enable(['a.example.com']));
      expect(error).toMatchObject({
        kind: 'precondition_failed',
        code: 'AUTHN_CONNECTION_DOMAIN_NOT_VERIFIED',
      });
      expect(error.details?.['errors']).toEqual([expect.objectContaining({ pointer: '#/domains/1' })]);
      expect(run(history, enable(['a.example.com', 'b.example.com']))).toHaveLength(1);
    });

    it('records the outcome of a test of the current version, and refuses a test of a stale one', () => {
      const record = (settingsVersion: number, ok: boolean): ConnectionCommand => ({
        type: 'RecordConnectionTest',
        now,
        data: { settingsVersion, ok, reason: ok ? null : 'unreachable', message: ok ? null : 'timed out' },
      });
      expect(run(created(), record(1, false))).toEqual([
        {
          type: 'authn.connection.tested',
          data: {
            orgId,
            connectionId,
            settingsVersion: 1,
            ok: false,
            reason: 'unreachable',
            message: 'timed out',
            testedAt: at,
          },
        },
      ]);
      given(created()).when(record(2, true)).thenThrows('AUTHN_CONNECTION_CHANGED');
    });
  });

  describe('updating', () => {
    it('changing the protocol settings of an enabled connection disables it until a new test passes', () => {
      const history = [...created(), tested(1, true), enabled];
      const events = run(
        history,
        update({ saml: samlInput({ allowIdpInitiated: true, relayStateAllowList: ['/home'] }) }),
      );
      expect(events).toEqual([
        expect.objectContaining({
          type: 'authn.connection.updated',
          data: expect.objectContaining({ settingsVersion: 2, changed: ['saml'] }) as unknown,
        }),
        {
          type: 'authn.connection.disabled',
          data: { orgId, connectionId, reason: 'settings_changed', disabledAt: at },
        },
      ]);
    });

    it('changing mapping or name keeps the tested version and the connection enabled', () => {
      const history = [...created(), tested(1, true), enabled];
      const events = run(history, update({ name: 'Okta (prod)', policy: { jit: { enabled: true } } }));
      expect(events).toEqual([
        expect.objectContaining({
          type: 'authn.connection.updated',
          data: expect.objectContaining({
            name: 'Okta (prod)',
            settingsVersion: 1,
            changed: ['name', 'jit'],
          }) as unknown,
        }),
      ]);
    });

    it('an enabled connection takes on only verified domains', () => {
      const history = [...created(), tested(1, true), enabled];
      given(history)
        .when(update({ policy: { domains: ['new.example.com'] } }))
        .thenThrows('AUTHN_CONNECTION_DOMAIN_NOT_VERIFIED');
      expect(
        run(
          history,
          update({ policy: { domains: ['new.example.com'] }, verifiedDomains: ['new.example.com'] }),
        ),
      ).toHaveLength(1);
    });

    it('does nothing when nothing changes, and validates like creation', () => {
      given(created()).when(update({})).thenNothingHappened();
      expect(faultsOf(update({ saml: samlInput({ clockSkewSeconds: 500 }) }), created())).toEqual([
        ['#/saml/clockSkewSeconds', 'AUTHN_SAML_CLOCK_SKEW_OUT_OF_RANGE'],
      ]);
    });

    it('compares settings by value, not by the key order a stored event comes back with', () => {
      const reversed = (value: unknown): unknown =>
        Array.isArray(value)
          ? value.map(reversed)
          : value !== null && typeof value === 'object'
            ? Object.fromEntries(
                Object.entries(value)
                  .reverse()
                  .map(([key, inner]) => [key, reversed(inner)]),
              )
            : value;
      const stored = created().map((event) => reversed(event) as ConnectionEvent);
      given(stored).when(update({})).thenNothingHappened();
      const oidc = created(createOidc()).map((event) => reversed(event) as ConnectionEvent);
      given(oidc)
        .when(update({ name: 'Entra ID' }, createOidc()))
        .thenNothingHappened();
    });
  });

  describe('disabling and deleting', () => {
    const disable: ConnectionCommand = { type: 'DisableConnection', now, data: {} };
    const remove: ConnectionCommand = { type: 'DeleteConnection', now, data: {} };
    const deleted: ConnectionEvent = {
      type: 'authn.connection.deleted',
      data: { orgId, connectionId, deletedAt: at },
    };

    it('disables an enabled connection by the administrator, once', () => {
      const history = [...created(), tested(1, true), enabled];
      given(history)
        .when(disable)
        .then([
          {
            type: 'authn.connection.disabled',
            data: { orgId, connectionId, reason: 'admin', disabledAt: at },
          },
        ]);
      given(created()).when(disable).thenNothingHappened();
    });

    it('deletes once; a deleted or unknown connection is not found for every other command', () => {
      given(created()).when(remove).then([deleted]);
      given([...created(), deleted])
        .when(remove)
        .thenNothingHappened();
      given([]).when(remove).thenThrows('AUTHN_CONNECTION_NOT_FOUND');
      for (const command of [disable, enable(), update({})])
        given([...created(), deleted])
          .when(command)
          .thenThrows('AUTHN_CONNECTION_NOT_FOUND');
      given(created()).when(createSaml()).thenThrows('AUTHN_CONNECTION_EXISTS');
    });
  });
});
