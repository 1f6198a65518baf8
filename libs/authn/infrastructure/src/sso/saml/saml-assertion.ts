import { SamlLoginError } from './saml-errors';
import { ASSERTION_NS, attribute, child, children, isTextOnly, textOnly } from './saml-xml';

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export interface AssertionExpectations {
  readonly acsUrl: string;
  readonly spEntityId: string;
  readonly idpEntityId: string;
  readonly clockSkewMs: number;
  readonly maxAssertionAgeMs?: number;
  /** The Response's InResponseTo (null for an IdP-initiated response). */
  readonly inResponseTo: string | null;
  readonly nowMs: number;
}

/** What a signature-verified assertion says, once every protocol check has passed. */
export interface CheckedAssertion {
  readonly id: string;
  readonly issuer: string;
  readonly nameId: string;
  readonly nameIdFormat: string | null;
  readonly sessionIndex: string | null;
  readonly authnContextClassRef: string | null;
  readonly attributes: Record<string, string[]>;
  /** The earliest end of the assertion's validity windows. */
  readonly notOnOrAfterMs: number;
  /** The latest end: the assertion ID must be remembered at least this long (plus the skew). */
  readonly validUntilMs: number;
}

/**
 * Profiles §4.1.4.2–4.1.4.3 on an assertion whose signature has been verified: our IdP as Issuer,
 * a bearer confirmation for our ACS within its window and for our request, the Conditions window,
 * our entity id in every AudienceRestriction, and the assertion's age.
 */
export const checkAssertion = (assertion: Element, expected: AssertionExpectations): CheckedAssertion => {
  if (assertion.namespaceURI !== ASSERTION_NS || assertion.localName !== 'Assertion')
    throw new SamlLoginError('saml_malformed', 'The signed content is not a SAML assertion');
  const id = attribute(assertion, 'ID');
  if (!id) throw new SamlLoginError('saml_malformed', 'The assertion has no ID');

  const issuerElement = child(assertion, ASSERTION_NS, 'Issuer');
  const issuer = issuerElement ? textOnly(issuerElement, 'Issuer').trim() : '';
  if (issuer !== expected.idpEntityId)
    throw new SamlLoginError('saml_issuer_mismatch', "The assertion's Issuer is not this connection's IdP");

  const issueInstant = timestamp(assertion, 'IssueInstant', true)!;
  const { nowMs, clockSkewMs } = expected;
  if (issueInstant > nowMs + clockSkewMs)
    throw new SamlLoginError('saml_not_yet_valid', 'The assertion was issued in the future');
  if (
    expected.maxAssertionAgeMs !== undefined &&
    issueInstant + expected.maxAssertionAgeMs + clockSkewMs <= nowMs
  )
    throw new SamlLoginError('saml_expired', 'The assertion is older than this connection accepts');

  const subject = child(assertion, ASSERTION_NS, 'Subject');
  if (!subject) throw new SamlLoginError('saml_malformed', 'The assertion has no Subject');
  const confirmationEnds = checkSubjectConfirmation(subject, expected);

  const conditions = children(assertion, ASSERTION_NS, 'Conditions');
  if (conditions.length !== 1)
    throw new SamlLoginError(
      'saml_malformed',
      `The assertion has ${conditions.length} Conditions; exactly one is accepted`,
    );
  const conditionEnds = checkConditions(conditions[0]!, expected);

  const nameIdElement = child(subject, ASSERTION_NS, 'NameID');
  if (!nameIdElement) throw new SamlLoginError('saml_malformed', 'The assertion has no NameID');
  const nameId = textOnly(nameIdElement, 'NameID').trim();
  if (nameId === '') throw new SamlLoginError('saml_malformed', 'The NameID is empty');

  const authnStatement = child(assertion, ASSERTION_NS, 'AuthnStatement');
  const classRef = authnStatement
    ? child(
        child(authnStatement, ASSERTION_NS, 'AuthnContext') ?? authnStatement,
        ASSERTION_NS,
        'AuthnContextClassRef',
      )
    : null;

  const ends = conditionEnds === null ? [confirmationEnds] : [confirmationEnds, conditionEnds];
  return {
    id,
    issuer,
    nameId,
    nameIdFormat: attribute(nameIdElement, 'Format'),
    sessionIndex: authnStatement ? attribute(authnStatement, 'SessionIndex') : null,
    authnContextClassRef: classRef ? textOnly(classRef, 'AuthnContextClassRef').trim() : null,
    attributes: readAttributes(assertion),
    notOnOrAfterMs: Math.min(...ends),
    validUntilMs: Math.max(...ends),
  };
};

/**
 * At least one bearer SubjectConfirmation must be addressed to our ACS, answer our request and be
 * within its window. Returns that confirmation's NotOnOrAfter. When none qualifies, the reason is
 * the most specific one: wrong recipient, then wrong request, then time.
 */
export const checkSubjectConfirmation = (subject: Element, expected: AssertionExpectations): number => {
  const bearers = children(subject, ASSERTION_NS, 'SubjectConfirmation')
    .filter((confirmation) => attribute(confirmation, 'Method') === BEARER)
    .map((confirmation) => child(confirmation, ASSERTION_NS, 'SubjectConfirmationData'))
    .filter((data): data is Element => data !== null);
  if (bearers.length === 0)
    throw new SamlLoginError('saml_malformed', 'The assertion has no bearer SubjectConfirmationData');
  const forUs = bearers.filter((data) => attribute(data, 'Recipient') === expected.acsUrl);
  if (forUs.length === 0)
    throw new SamlLoginError(
      'saml_recipient_mismatch',
      "The assertion's Recipient is not this connection's ACS URL",
    );
  const forOurRequest = forUs.filter(
    (data) => (attribute(data, 'InResponseTo') || null) === expected.inResponseTo,
  );
  if (forOurRequest.length === 0)
    throw new SamlLoginError(
      'saml_inresponseto_invalid',
      "The subject confirmation's InResponseTo does not match the Response's",
    );
  let failure: SamlLoginError | null = null;
  for (const data of forOurRequest) {
    const notOnOrAfter = timestamp(data, 'NotOnOrAfter', true)!;
    const notBefore = timestamp(data, 'NotBefore', false);
    if (notBefore !== null && notBefore > expected.nowMs + expected.clockSkewMs)
      failure = new SamlLoginError('saml_not_yet_valid', 'The subject confirmation is not yet valid');
    else if (notOnOrAfter <= expected.nowMs - expected.clockSkewMs)
      failure = new SamlLoginError('saml_expired', 'The subject confirmation has expired');
    else return notOnOrAfter;
  }
  throw failure!;
};

const checkConditions = (conditions: Element, expected: AssertionExpectations): number | null => {
  const notBefore = timestamp(conditions, 'NotBefore', false);
  const notOnOrAfter = timestamp(conditions, 'NotOnOrAfter', false);
  if (notBefore !== null && notBefore > expected.nowMs + expected.clockSkewMs)
    throw new SamlLoginError('saml_not_yet_valid', 'The assertion is not yet valid');
  if (notOnOrAfter !== null && notOnOrAfter <= expected.nowMs - expected.clockSkewMs)
    throw new SamlLoginError('saml_expired', 'The assertion has expired');
  const restrictions = children(conditions, ASSERTION_NS, 'AudienceRestriction');
  if (restrictions.length === 0)
    throw new SamlLoginError('saml_audience_mismatch', 'The assertion has no AudienceRestriction');
  for (const restriction of restrictions) {
    const audiences = children(restriction, ASSERTION_NS, 'Audience').map((audience) =>
      textOnly(audience, 'Audience').trim(),
    );
    if (!audiences.includes(expected.spEntityId))
      throw new SamlLoginError(
        'saml_audience_mismatch',
        "The assertion's Audience is not this connection's SP entity id",
      );
  }
  return notOnOrAfter;
};

/** Attribute values as strings; values with element content or `xsi:nil` are left out. */
const readAttributes = (assertion: Element): Record<string, string[]> => {
  const attributes: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const statement of children(assertion, ASSERTION_NS, 'AttributeStatement')) {
    for (const element of children(statement, ASSERTION_NS, 'Attribute')) {
      const name = attribute(element, 'Name');
      if (!name) continue;
      const values = children(element, ASSERTION_NS, 'AttributeValue')
        .filter((value) => isTextOnly(value) && value.getAttributeNS(XSI_NS, 'nil') !== 'true')
        .map((value) => textOnly(value, 'AttributeValue'));
      attributes[name] = [...(attributes[name] ?? []), ...values];
    }
  }
  return { ...attributes };
};

const timestamp = (element: Element, name: string, required: boolean): number | null => {
  const value = attribute(element, name);
  if (value === null) {
    if (required) throw new SamlLoginError('saml_malformed', `${element.localName} has no ${name}`);
    return null;
  }
  const ms = DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new SamlLoginError('saml_malformed', `${element.localName}/@${name} is not an xs:dateTime`);
  return ms;
};
