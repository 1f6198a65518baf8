import {
  decideHomeRealm,
  type DiscoverableConnection,
  emailDomainOf,
  type HomeRealmFacts,
} from './home-realm';
import { serviceProviderEndpoints } from './service-provider-endpoints';

const acme = 'org_01jqk6ry4b00000000000000ac';
const globex = 'org_01jqk6ry4b00000000000000g1';
const connection = (
  connectionId: string,
  orgId: string,
  domains: string[],
  name = connectionId,
): DiscoverableConnection => ({ orgId, connectionId, name, kind: 'saml', domains });
const okta = connection('con_okta', acme, ['acme.com'], 'Okta');
const entra = connection('con_entra', acme, ['acme.com', 'acme.co.uk'], 'Entra');
const contractors = connection('con_contractors', acme, ['contractors.acme.com']);
const globexIdp = connection('con_globex', globex, ['globex.com']);

const facts = (domainOwner: string | null, connections: DiscoverableConnection[]): HomeRealmFacts => ({
  domainOwner,
  connections,
});

describe('home-realm discovery', () => {
  it('reads the domain after the last @, as domains are verified', () => {
    expect(emailDomainOf('Ada@Acme.COM')).toBe('acme.com');
    expect(emailDomainOf('"a@b"@acme.com')).toBe('acme.com');
    expect(emailDomainOf('ada@')).toBeNull();
    expect(emailDomainOf('@acme.com')).toBeNull();
    expect(emailDomainOf('ada')).toBeNull();
  });

  it("routes an email to the one enabled connection serving its organization's verified domain", () => {
    expect(decideHomeRealm({ email: 'ada@acme.com' }, facts(acme, [okta, contractors]))).toEqual({
      kind: 'connection',
      orgId: acme,
      connectionId: 'con_okta',
    });
  });

  it('offers a choice when several connections serve the domain, by name', () => {
    expect(decideHomeRealm({ email: 'ada@acme.com' }, facts(acme, [okta, entra]))).toEqual({
      kind: 'organization',
      orgId: acme,
      choices: [
        { connectionId: 'con_entra', name: 'Entra', kind: 'saml' },
        { connectionId: 'con_okta', name: 'Okta', kind: 'saml' },
      ],
    });
  });

  it('lets users of a domain no connection serves sign in another way (mixed SSO and non-SSO organizations)', () => {
    expect(decideHomeRealm({ email: 'bob@partners.acme.com' }, facts(acme, [okta, contractors]))).toEqual({
      kind: 'none',
    });
  });

  it('knows nothing of a domain no organization verified', () => {
    expect(decideHomeRealm({ email: 'eve@gmail.com' }, facts(null, []))).toEqual({ kind: 'none' });
    expect(decideHomeRealm({ email: 'not-an-email' }, facts(null, [okta]))).toEqual({ kind: 'none' });
  });

  it("never routes to another organization's connection, even when it lists the domain", () => {
    const squatter = connection('con_squatter', globex, ['acme.com']);
    expect(decideHomeRealm({ email: 'ada@acme.com' }, facts(acme, [squatter]))).toEqual({ kind: 'none' });
  });

  it('with an organization hint: its only connection, a choice, or nothing', () => {
    expect(decideHomeRealm({ organizationHint: globex }, facts(null, [globexIdp, okta]))).toEqual({
      kind: 'connection',
      orgId: globex,
      connectionId: 'con_globex',
    });
    expect(decideHomeRealm({ organizationHint: acme }, facts(null, [okta, entra]))).toMatchObject({
      kind: 'organization',
      orgId: acme,
    });
    expect(decideHomeRealm({ organizationHint: acme }, facts(null, []))).toEqual({ kind: 'none' });
  });

  it('an email whose domain belongs to another organization than the hinted one goes nowhere', () => {
    expect(
      decideHomeRealm({ email: 'ada@globex.com', organizationHint: acme }, facts(globex, [okta, globexIdp])),
    ).toEqual({ kind: 'none' });
    expect(decideHomeRealm({ email: 'ada@acme.com', organizationHint: acme }, facts(acme, [okta]))).toEqual({
      kind: 'connection',
      orgId: acme,
      connectionId: 'con_okta',
    });
  });

  it('a connection hint wins when it names an enabled connection of the hinted organization', () => {
    expect(
      decideHomeRealm({ connectionHint: 'con_entra', email: 'ada@acme.com' }, facts(acme, [okta, entra])),
    ).toEqual({
      kind: 'connection',
      orgId: acme,
      connectionId: 'con_entra',
    });
    expect(
      decideHomeRealm(
        { connectionHint: 'con_globex', organizationHint: acme },
        facts(null, [okta, globexIdp]),
      ),
    ).toEqual({ kind: 'connection', orgId: acme, connectionId: 'con_okta' });
    expect(decideHomeRealm({ connectionHint: 'con_disabled' }, facts(null, [okta]))).toEqual({
      kind: 'none',
    });
  });
});

describe('service provider endpoints', () => {
  it("live under Mandate's issuer, one set per connection", () => {
    expect(serviceProviderEndpoints('https://id.example.com/', 'con_1', 'saml')).toEqual({
      kind: 'saml',
      entityId: 'https://id.example.com/sso/saml/con_1',
      acsUrl: 'https://id.example.com/sso/saml/con_1/acs',
      metadataUrl: 'https://id.example.com/sso/saml/con_1/metadata',
    });
    expect(serviceProviderEndpoints('https://id.example.com', 'con_2', 'oidc')).toEqual({
      kind: 'oidc',
      redirectUri: 'https://id.example.com/sso/oidc/con_2/callback',
    });
  });
});
