import { randomBytes } from 'node:crypto';
import * as samlify from 'samlify';
import { type TestKeyPair } from './test-keys';

// samlify refuses to parse anything until a schema validator is installed. The SP under test does its
// own validation; this permissive validator is for the test IdP only and must never reach production.
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped in tests') });

const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const PASSWORD_PROTECTED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

/** The person the test IdP vouches for. */
export interface TestSamlUser {
  readonly nameId: string;
  readonly nameIdFormat?: string;
  readonly sessionIndex?: string;
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
}

export interface TestIdentityProviderOptions {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly signing: TestKeyPair;
  /** Encrypt the assertion to the SP's encryption certificate from its metadata. */
  readonly encryptAssertions?: boolean;
  /** Refuse AuthnRequests whose HTTP-Redirect signature does not verify with the SP's metadata certificate. */
  readonly requireSignedRequests?: boolean;
}

export interface TestResponseOptions {
  /** Sign the Response element as well as the assertion (samlify's `wantMessageSigned`). */
  readonly signResponse?: boolean;
  /** Leave the assertion unsigned: only the Response is signed. */
  readonly leaveAssertionUnsigned?: boolean;
  readonly relayState?: string;
}

/** Form fields of an HTTP-POST binding message, as a browser would post them to the ACS. */
export interface SamlPostForm {
  readonly SAMLResponse: string;
  readonly RelayState?: string;
}

/**
 * An in-process SAML 2.0 identity provider built on samlify — code that is not ours, so the SP is
 * tested against someone else's reading of the standard. It answers HTTP-Redirect AuthnRequests
 * (verifying their signature when the SP's metadata says they are signed) and issues unsolicited
 * (IdP-initiated) responses.
 */
export class TestIdentityProvider {
  private readonly idp: samlify.IdentityProviderInstance;

  constructor(private readonly options: TestIdentityProviderOptions) {
    this.idp = samlify.IdentityProvider({
      entityID: options.entityId,
      privateKey: options.signing.privateKey,
      signingCert: options.signing.certificate,
      singleSignOnService: [
        { Binding: REDIRECT_BINDING, Location: options.ssoUrl },
        { Binding: POST_BINDING, Location: options.ssoUrl },
      ],
      singleLogoutService: [{ Binding: REDIRECT_BINDING, Location: `${options.ssoUrl}/logout` }],
      nameIDFormat: [EMAIL_FORMAT],
      isAssertionEncrypted: options.encryptAssertions ?? false,
      wantAuthnRequestsSigned: options.requireSignedRequests ?? false,
      generateID: () => `_${randomBytes(20).toString('hex')}`,
    });
  }

  get entityId(): string {
    return this.options.entityId;
  }

  metadata(): string {
    return this.idp.getMetadata();
  }

  /** Answers the AuthnRequest carried by an SP's HTTP-Redirect URL with a signed login response. */
  async respondToRedirect(
    spMetadata: string,
    redirectUrl: string,
    user: TestSamlUser,
    options: TestResponseOptions = {},
  ): Promise<SamlPostForm & { readonly requestId: string }> {
    const sp = this.serviceProvider(spMetadata, options);
    const url = new URL(redirectUrl);
    const query = Object.fromEntries(url.searchParams.entries());
    const request = await this.idp.parseLoginRequest(sp, 'redirect', {
      query,
      octetString: signedOctets(url),
    });
    const id = (request.extract as { request?: { id?: unknown } }).request?.id;
    const requestId = typeof id === 'string' ? id : '';
    const form = await this.respond(sp, requestId, user, options.relayState ?? query['RelayState']);
    return { ...form, requestId };
  }

  /** An IdP-initiated (unsolicited) response: no AuthnRequest, no InResponseTo. */
  async issueUnsolicited(
    spMetadata: string,
    user: TestSamlUser,
    options: TestResponseOptions = {},
  ): Promise<SamlPostForm> {
    return this.respond(this.serviceProvider(spMetadata, options), null, user, options.relayState);
  }

  private serviceProvider(spMetadata: string, options: TestResponseOptions): samlify.ServiceProviderInstance {
    // The SP's metadata says WantAssertionsSigned; "leave the assertion unsigned" overrides it here.
    const metadata = options.leaveAssertionUnsigned
      ? spMetadata.replace(/WantAssertionsSigned="true"/, 'WantAssertionsSigned="false"')
      : spMetadata;
    return samlify.ServiceProvider({ metadata, wantMessageSigned: options.signResponse ?? false });
  }

  private async respond(
    sp: samlify.ServiceProviderInstance,
    requestId: string | null,
    user: TestSamlUser,
    relayState: string | undefined,
  ): Promise<SamlPostForm> {
    const context = await this.idp.createLoginResponse(
      sp,
      { extract: requestId ? { request: { id: requestId } } : {} },
      'post',
      { email: user.nameId },
      {
        ...(relayState !== undefined && { relayState }),
        customTagReplacement: (template) => this.fillTemplate(template, sp, requestId, user),
      },
    );
    return { SAMLResponse: context.context, ...(relayState !== undefined && { RelayState: relayState }) };
  }

  /** Fills samlify's default response template, adding the AuthnStatement and attributes it leaves empty. */
  private fillTemplate(
    template: string,
    sp: samlify.ServiceProviderInstance,
    requestId: string | null,
    user: TestSamlUser,
  ): { id: string; context: string } {
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60_000).toISOString();
    const id = `_${randomBytes(20).toString('hex')}`;
    const acsUrl = sp.entityMeta.getAssertionConsumerService('post') as string;
    const withStatements = template
      .replace(
        '{AuthnStatement}',
        authnStatement(now.toISOString(), user.sessionIndex ?? `_${randomBytes(8).toString('hex')}`),
      )
      .replace('{AttributeStatement}', attributeStatement(user.attributes ?? {}));
    const context = samlify.SamlLib.replaceTagsByValue(withStatements, {
      ID: id,
      AssertionID: `_${randomBytes(20).toString('hex')}`,
      Destination: acsUrl,
      Audience: sp.entityMeta.getEntityID(),
      SubjectRecipient: acsUrl,
      Issuer: this.options.entityId,
      IssueInstant: now.toISOString(),
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later,
      SubjectConfirmationDataNotOnOrAfter: later,
      NameIDFormat: user.nameIdFormat ?? EMAIL_FORMAT,
      NameID: user.nameId,
      InResponseTo: requestId ?? '',
    });
    // An unsolicited response carries no InResponseTo at all (samlify would leave it empty).
    return { id, context: requestId ? context : context.replace(/ InResponseTo=""/g, '') };
  }
}

const escapeXml = (value: string): string =>
  value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

const authnStatement = (instant: string, sessionIndex: string): string =>
  `<saml:AuthnStatement AuthnInstant="${instant}" SessionIndex="${escapeXml(sessionIndex)}">` +
  `<saml:AuthnContext><saml:AuthnContextClassRef>${PASSWORD_PROTECTED}</saml:AuthnContextClassRef></saml:AuthnContext>` +
  '</saml:AuthnStatement>';

const attributeStatement = (attributes: Readonly<Record<string, readonly string[]>>): string => {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return '';
  const rendered = entries
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
        values
          .map(
            (value) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(value)}</saml:AttributeValue>`,
          )
          .join('') +
        '</saml:Attribute>',
    )
    .join('');
  return `<saml:AttributeStatement>${rendered}</saml:AttributeStatement>`;
};

/** The octets an HTTP-Redirect signature covers: the raw query parameters in their fixed order. */
const signedOctets = (url: URL): string => {
  const raw = new Map(
    url.search
      .slice(1)
      .split('&')
      .map((pair) => {
        const [key = '', value = ''] = pair.split('=');
        return [key, value] as const;
      }),
  );
  return ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((key) => raw.has(key))
    .map((key) => `${key}=${raw.get(key)}`)
    .join('&');
};
