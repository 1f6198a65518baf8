import { randomBytes } from 'node:crypto';
import {
  type CacheProvider,
  SAML,
  type SamlConfig,
  SamlStatusError,
  ValidateInResponseTo,
} from '@node-saml/node-saml';
import { type AssertionExpectations, checkAssertion, checkSubjectConfirmation } from './saml-assertion';
import { type SamlConnectionConfig } from './saml-connection-config';
import { type SamlFailureReason, SamlLoginError } from './saml-errors';
import { isRelayStateAllowed, MAX_RELAY_STATE_LENGTH } from './saml-relay-state';
import { decodeSamlMessage, inspectResponse, type ResponseShape } from './saml-response-checks';
import { type AssertionReplayCache, type SamlRequestStore } from './saml-stores';
import { ASSERTION_NS, assertNoDtdOrProcessingInstructions, child, parseStrictXml } from './saml-xml';

export { type SamlConnectionConfig, validateSamlConnectionConfig } from './saml-connection-config';
export { type SamlFailureReason, SamlConfigError, SamlLoginError } from './saml-errors';
export { type IdpMetadata, parseIdpMetadata } from './saml-idp-metadata';
export { inflateBounded } from './saml-inflate';

/** How long a sent AuthnRequest may be answered: time for the user to sign in (and enrol MFA) at the IdP. */
export const SAML_REQUEST_TTL_MS = 15 * 60_000;

/** A successful SAML login: who the IdP says the user is, read only from signature-verified XML. */
export interface SamlLoginResult {
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  issuer: string;
  assertionId: string;
  inResponseTo: string | null;
  /** ISO time after which the assertion no longer vouches for the user. */
  notOnOrAfter: string;
  attributes: Record<string, string[]>;
  authnContextClassRef: string | null;
  /** The allow-listed RelayState target, or null. */
  relayState: string | null;
}

export interface SamlServiceProviderDependencies {
  readonly requests: SamlRequestStore;
  readonly replay: AssertionReplayCache;
  readonly clock: () => Date;
}

/**
 * The SAML 2.0 service provider of one connection: builds AuthnRequests (HTTP-Redirect binding)
 * and SP metadata, and validates HTTP-POST responses. node-saml verifies signatures against the
 * pinned certificates only; around it this class adds what node-saml leaves out (DTD and size
 * limits, structure, Destination, Recipient, Issuer, one-time InResponseTo shared across instances,
 * assertion replay, RelayState allow-list) and maps every failure to a `SamlFailureReason`.
 */
export class SamlServiceProvider {
  constructor(
    private readonly config: SamlConnectionConfig,
    private readonly deps: SamlServiceProviderDependencies,
  ) {}

  async createLoginRequest(relayState?: string): Promise<{ redirectUrl: string; requestId: string }> {
    if (relayState !== undefined) this.assertRelayStateAllowed(relayState);
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const saml = this.saml({ generateUniqueId: () => requestId });
    const redirectUrl = await saml.getAuthorizeUrlAsync(relayState ?? '', undefined, {});
    return { redirectUrl, requestId };
  }

  /** SP metadata for this connection (xmlbuilder escapes every configured string). */
  metadata(): string {
    const { spCertificate, decryptionCertificate, signAuthnRequests } = this.config;
    return this.saml({}).generateServiceProviderMetadata(
      decryptionCertificate ?? null,
      signAuthnRequests && spCertificate ? spCertificate : null,
    );
  }

  async validatePostResponse(form: {
    SAMLResponse?: unknown;
    RelayState?: unknown;
  }): Promise<SamlLoginResult> {
    const xml = decodeSamlMessage(form.SAMLResponse);
    const relayState = this.relayStateOf(form.RelayState);
    assertNoDtdOrProcessingInstructions(xml);
    const shape = inspectResponse(parseStrictXml(xml), this.config);

    const saml = this.saml({
      // A signature the Response carries must verify, even when the connection does not require one.
      wantAuthnResponseSigned: this.config.wantResponseSigned || shape.responseSigned,
      cacheProvider: this.oneTimeRequestCache(),
    });
    let verifiedAssertionXml: string | undefined;
    try {
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse as string });
      verifiedAssertionXml = profile?.getAssertionXml?.();
    } catch (error) {
      throw this.failureOf(error, shape);
    }
    if (!verifiedAssertionXml)
      throw new SamlLoginError('saml_malformed', 'The message is not a login response');

    const assertion = checkAssertion(
      parseStrictXml(verifiedAssertionXml, 'signed assertion').documentElement,
      this.expectations(shape, this.deps.clock().getTime()),
    );
    const keepUntil = new Date(assertion.validUntilMs + this.config.clockSkewMs);
    if (!(await this.deps.replay.remember(this.config.connectionId, assertion.id, keepUntil)))
      throw new SamlLoginError('saml_replay', 'This assertion has already been used');

    return {
      nameId: assertion.nameId,
      nameIdFormat: assertion.nameIdFormat,
      sessionIndex: assertion.sessionIndex,
      issuer: assertion.issuer,
      assertionId: assertion.id,
      inResponseTo: shape.inResponseTo,
      notOnOrAfter: new Date(assertion.notOnOrAfterMs).toISOString(),
      attributes: assertion.attributes,
      authnContextClassRef: assertion.authnContextClassRef,
      relayState,
    };
  }

  private expectations(shape: ResponseShape, nowMs: number): AssertionExpectations {
    return {
      acsUrl: this.config.acsUrl,
      spEntityId: this.config.spEntityId,
      idpEntityId: this.config.idpEntityId,
      clockSkewMs: this.config.clockSkewMs,
      ...(this.config.maxAssertionAgeMs !== undefined && {
        maxAssertionAgeMs: this.config.maxAssertionAgeMs,
      }),
      inResponseTo: shape.inResponseTo,
      nowMs,
    };
  }

  private relayStateOf(value: unknown): string | null {
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string')
      throw new SamlLoginError('saml_relay_state_forbidden', 'RelayState must be a single form field');
    this.assertRelayStateAllowed(value);
    return value;
  }

  private assertRelayStateAllowed(relayState: string): void {
    if (!isRelayStateAllowed(relayState, this.config.relayStateAllowList))
      throw new SamlLoginError(
        'saml_relay_state_forbidden',
        relayState.length > MAX_RELAY_STATE_LENGTH
          ? 'RelayState is too long'
          : "RelayState is not one of this connection's allowed targets",
      );
  }

  /** A node-saml instance for one operation (its cache adapter must not be shared between messages). */
  private saml(overrides: Partial<SamlConfig>): SAML {
    const config = this.config;
    return new SAML({
      idpCert: [...config.idpCertificates],
      issuer: config.spEntityId,
      callbackUrl: config.acsUrl,
      entryPoint: config.idpSsoUrl,
      audience: config.spEntityId,
      idpIssuer: config.idpEntityId,
      wantAssertionsSigned: config.wantAssertionsSigned,
      wantAuthnResponseSigned: config.wantResponseSigned,
      acceptedClockSkewMs: config.clockSkewMs,
      ...(config.maxAssertionAgeMs !== undefined && { maxAssertionAgeMs: config.maxAssertionAgeMs }),
      validateInResponseTo: config.allowIdpInitiated
        ? ValidateInResponseTo.ifPresent
        : ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: SAML_REQUEST_TTL_MS,
      cacheProvider: this.requestRecorder(),
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      ...(config.signAuthnRequests && config.spPrivateKey && { privateKey: config.spPrivateKey }),
      ...(config.decryptionPrivateKey && { decryptionPvk: config.decryptionPrivateKey }),
      identifierFormat: null,
      // Asking for PasswordProtectedTransport would forbid the IdP's MFA and passwordless methods.
      disableRequestedAuthnContext: true,
      generateUniqueId: () => `_${randomBytes(20).toString('hex')}`,
      ...overrides,
    });
  }

  /** node-saml's cache when sending a request: remembers its ID for this connection. */
  private requestRecorder(): CacheProvider {
    return {
      saveAsync: async (requestId, value) => {
        const createdAt = this.deps.clock().getTime();
        await this.deps.requests.remember(
          this.config.connectionId,
          requestId,
          new Date(createdAt + SAML_REQUEST_TTL_MS),
        );
        return { value, createdAt };
      },
      getAsync: () => Promise.resolve(null),
      removeAsync: (requestId) => Promise.resolve(requestId),
    };
  }

  /**
   * node-saml's cache when validating one response. node-saml looks an InResponseTo up, possibly
   * twice (Response and SubjectConfirmationData), and removes it later; here the first look-up
   * consumes it from the shared store atomically, so a request is answered once, on any instance.
   */
  private oneTimeRequestCache(): CacheProvider {
    const consumed = new Map<string, string | null>();
    const consume = async (requestId: string): Promise<string | null> => {
      if (!consumed.has(requestId)) {
        const valid = await this.deps.requests.consume(this.config.connectionId, requestId);
        // node-saml compares this "created at" with its request lifetime; the store already enforced expiry.
        consumed.set(requestId, valid ? this.deps.clock().toISOString() : null);
      }
      return consumed.get(requestId) ?? null;
    };
    return {
      saveAsync: () => Promise.reject(new Error('no request is sent while validating a response')),
      getAsync: consume,
      removeAsync: async (requestId) => {
        if (requestId !== null) await consume(requestId);
        return requestId;
      },
    };
  }

  /** The reason for a node-saml failure; for a time failure, which window the received assertion missed. */
  private failureOf(error: unknown, shape: ResponseShape): SamlLoginError {
    if (error instanceof SamlLoginError) return error;
    if (error instanceof SamlStatusError) return new SamlLoginError('saml_status_error', error.message);
    const message = error instanceof Error ? error.message : String(error);
    if (/no valid subject confirmation/i.test(message))
      return this.subjectConfirmationFailure(shape, message);
    const reason = NODE_SAML_FAILURES.find(([pattern]) => pattern.test(message))?.[1] ?? 'saml_malformed';
    return new SamlLoginError(reason, `SAML response rejected: ${message}`);
  }

  private subjectConfirmationFailure(shape: ResponseShape, message: string): SamlLoginError {
    const subject = shape.unverifiedAssertion
      ? child(shape.unverifiedAssertion, ASSERTION_NS, 'Subject')
      : null;
    if (subject) {
      try {
        checkSubjectConfirmation(subject, this.expectations(shape, this.deps.clock().getTime()));
      } catch (error) {
        if (error instanceof SamlLoginError) return error;
      }
    }
    return new SamlLoginError('saml_expired', `SAML response rejected: ${message}`);
  }
}

/** node-saml's error messages (5.1.0), most specific first. */
const NODE_SAML_FAILURES: ReadonlyArray<readonly [RegExp, SamlFailureReason]> = [
  [/InResponseTo is missing/i, 'saml_unsolicited_response'],
  [/InResponseTo/i, 'saml_inresponseto_invalid'],
  [/signature|signed|transforms|reference/i, 'saml_invalid_signature'],
  [/not yet valid/i, 'saml_not_yet_valid'],
  [/expired/i, 'saml_expired'],
  [/audience/i, 'saml_audience_mismatch'],
  [/issuer/i, 'saml_issuer_mismatch'],
  [/decrypt|encrypt/i, 'saml_decryption_failed'],
  [/multiple assertions/i, 'saml_multiple_assertions'],
];
