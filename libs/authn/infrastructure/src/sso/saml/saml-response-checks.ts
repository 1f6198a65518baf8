import { SamlLoginError } from './saml-errors';
import {
  allElements,
  ASSERTION_NS,
  attribute,
  child,
  childElements,
  children,
  descendantsByLocalName,
  DSIG_NS,
  ELEMENT_NODE,
  isTextOnly,
  PROTOCOL_NS,
  textOnly,
} from './saml-xml';

/** 256 KiB of base64: an order of magnitude above a real response with many group claims. */
export const MAX_SAML_MESSAGE_BASE64_LENGTH = 256 * 1024;

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** XML-DSig algorithms a signed response may use (those xml-crypto verifies, less SHA-1 and HMAC). */
const SIGNATURE_METHODS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const DIGEST_METHODS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const CANONICALIZATIONS = new Set([
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
]);
const TRANSFORMS = new Set(['http://www.w3.org/2000/09/xmldsig#enveloped-signature', ...CANONICALIZATIONS]);
/** The attribute names xml-crypto resolves a Reference URI against. */
const ID_ATTRIBUTES = ['ID', 'Id', 'id'];

/** What the structural checks learnt about a response, for the signature verification that follows. */
export interface ResponseShape {
  readonly responseSigned: boolean;
  readonly assertionEncrypted: boolean;
  readonly inResponseTo: string | null;
  /** The plain assertion as received (unverified: only for choosing the reason of a rejection). */
  readonly unverifiedAssertion: Element | null;
}

export interface ResponseExpectations {
  readonly acsUrl: string;
  readonly idpEntityId: string;
  readonly allowIdpInitiated: boolean;
  readonly wantAssertionsSigned: boolean;
  readonly wantResponseSigned: boolean;
}

/**
 * The SAMLResponse form field as XML text: present, a single string, within the size cap, strict
 * base64 and valid UTF-8 — all checked before anything is parsed.
 */
export const decodeSamlMessage = (
  value: unknown,
  maxBase64Length = MAX_SAML_MESSAGE_BASE64_LENGTH,
): string => {
  if (value === undefined || value === null || value === '')
    throw new SamlLoginError('saml_missing_response', 'The POST carries no SAMLResponse');
  if (typeof value !== 'string')
    throw new SamlLoginError('saml_malformed', 'SAMLResponse must be a single form field');
  if (value.length > maxBase64Length)
    throw new SamlLoginError(
      'saml_message_too_large',
      `SAMLResponse is ${value.length} characters; at most ${maxBase64Length} are accepted`,
    );
  const base64 = value.replace(/[\r\n\t ]/g, '');
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
    throw new SamlLoginError('saml_malformed', 'SAMLResponse is not base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64'));
  } catch {
    throw new SamlLoginError('saml_malformed', 'SAMLResponse is not UTF-8 XML');
  }
};

/**
 * The checks node-saml does not make, on the parsed but not yet verified response: one Response
 * root, unique IDs, signatures only where SAML puts them and only with allowed algorithms, exactly
 * one assertion, Success status, our IdP as Issuer, our ACS as Destination, and an InResponseTo
 * unless IdP-initiated login is allowed. Everything read here is untrusted, so it may only refuse.
 */
export const inspectResponse = (document: Document, expected: ResponseExpectations): ResponseShape => {
  const response = document.documentElement;
  if (response.namespaceURI !== PROTOCOL_NS || response.localName !== 'Response')
    throw new SamlLoginError('saml_malformed', 'The message is not a SAML 2.0 protocol Response');
  if (attribute(response, 'Version') !== '2.0')
    throw new SamlLoginError('saml_malformed', 'The Response is not SAML version 2.0');

  assertUniqueIds(response);
  assertSignaturesWellPlaced(response);

  const status = readStatus(response);
  if (status.code !== SUCCESS)
    throw new SamlLoginError(
      'saml_status_error',
      `The IdP answered ${status.code}${status.subCode ? ` / ${status.subCode}` : ''}${status.message ? `: ${status.message}` : ''}`,
    );

  const assertions = [
    ...descendantsByLocalName(response, 'Assertion'),
    ...descendantsByLocalName(response, 'EncryptedAssertion'),
  ];
  if (assertions.length === 0)
    throw new SamlLoginError('saml_malformed', 'The Response carries no assertion');
  if (assertions.length > 1)
    throw new SamlLoginError(
      'saml_multiple_assertions',
      `The Response carries ${assertions.length} assertions; exactly one is accepted`,
    );
  const assertion = assertions[0]!;
  if (assertion.parentNode !== response || assertion.namespaceURI !== ASSERTION_NS)
    throw new SamlLoginError(
      'saml_malformed',
      'The assertion is not a SAML assertion directly inside the Response',
    );
  const assertionEncrypted = assertion.localName === 'EncryptedAssertion';

  const responseSigned = child(response, DSIG_NS, 'Signature') !== null;
  const assertionSigned = !assertionEncrypted && child(assertion, DSIG_NS, 'Signature') !== null;
  if (expected.wantResponseSigned && !responseSigned)
    throw new SamlLoginError('saml_invalid_signature', 'The Response is not signed');
  if (expected.wantAssertionsSigned && !assertionEncrypted && !assertionSigned)
    throw new SamlLoginError('saml_invalid_signature', 'The assertion is not signed');
  if (!responseSigned && !assertionSigned && !assertionEncrypted)
    throw new SamlLoginError('saml_invalid_signature', 'Neither the Response nor the assertion is signed');

  const issuer = child(response, ASSERTION_NS, 'Issuer');
  if (issuer && textOnly(issuer, 'Issuer').trim() !== expected.idpEntityId)
    throw new SamlLoginError('saml_issuer_mismatch', "The Response's Issuer is not this connection's IdP");
  const assertionIssuer = assertionEncrypted ? null : child(assertion, ASSERTION_NS, 'Issuer');
  if (assertionIssuer && textOnly(assertionIssuer, 'Issuer').trim() !== expected.idpEntityId)
    throw new SamlLoginError('saml_issuer_mismatch', "The assertion's Issuer is not this connection's IdP");

  // SAML Bindings §3.5.5.2: a signed POST message must name its recipient, and the recipient must check it.
  const destination = attribute(response, 'Destination');
  if (destination === null && responseSigned)
    throw new SamlLoginError('saml_destination_mismatch', 'The signed Response has no Destination');
  if (destination !== null && destination !== expected.acsUrl)
    throw new SamlLoginError(
      'saml_destination_mismatch',
      "The Response's Destination is not this connection's ACS URL",
    );

  const inResponseTo = attribute(response, 'InResponseTo') || null;
  if (inResponseTo === null && !expected.allowIdpInitiated)
    throw new SamlLoginError(
      'saml_unsolicited_response',
      'The Response answers no request of ours and IdP-initiated login is not allowed for this connection',
    );

  return {
    responseSigned,
    assertionEncrypted,
    inResponseTo,
    unverifiedAssertion: assertionEncrypted ? null : assertion,
  };
};

const assertUniqueIds = (root: Element): void => {
  const seen = new Set<string>();
  for (const element of allElements(root)) {
    for (const name of ID_ATTRIBUTES) {
      const id = attribute(element, name);
      if (id === null) continue;
      if (seen.has(id))
        throw new SamlLoginError('saml_invalid_signature', `Two elements share the ID "${id.slice(0, 64)}"`);
      seen.add(id);
    }
  }
};

/**
 * Signatures are enveloped signatures of the Response or of its assertion — one each at most — that
 * reference exactly their parent by ID, with one SignedInfo, allowed algorithms, at most two plain
 * transforms, no `<Object>` (where wrapped copies hide) and digest / signature values that are text only.
 */
const assertSignaturesWellPlaced = (response: Element): void => {
  for (const signature of descendantsByLocalName(response, 'Signature')) {
    const fail = (message: string): never => {
      throw new SamlLoginError('saml_invalid_signature', message);
    };
    if (signature.namespaceURI !== DSIG_NS) fail('A Signature element is not an XML-DSig signature');
    const signed = signature.parentNode;
    const signedIsResponse = signed === response;
    const signedIsAssertion =
      signed !== null &&
      signed.nodeType === ELEMENT_NODE &&
      signed.parentNode === response &&
      (signed as Element).namespaceURI === ASSERTION_NS &&
      (signed as Element).localName === 'Assertion';
    if (!signedIsResponse && !signedIsAssertion)
      fail('A signature sits outside the Response and its assertion');
    const parent = signed as Element;
    if (children(parent, DSIG_NS, 'Signature').length > 1) fail('An element carries more than one signature');

    const elements = childElements(signature);
    const allowed = new Set(['SignedInfo', 'SignatureValue', 'KeyInfo']);
    for (const element of elements)
      if (element.namespaceURI !== DSIG_NS || !allowed.has(element.localName))
        fail(`A signature contains an unexpected <${element.localName}> element`);
    const signedInfos = children(signature, DSIG_NS, 'SignedInfo');
    if (signedInfos.length !== 1)
      fail(`A signature has ${signedInfos.length} SignedInfo elements; exactly one is accepted`);
    const signedInfo = signedInfos[0]!;
    if (children(signature, DSIG_NS, 'SignatureValue').length !== 1)
      fail('A signature has no single SignatureValue');
    if (!isTextOnly(child(signature, DSIG_NS, 'SignatureValue')!))
      fail('SignatureValue must contain text only');

    const canonicalization = algorithmOf(signedInfo, 'CanonicalizationMethod');
    if (canonicalization === null || !CANONICALIZATIONS.has(canonicalization))
      fail(`Canonicalization ${canonicalization ?? '(none)'} is not accepted`);
    const method = algorithmOf(signedInfo, 'SignatureMethod');
    if (method === null || !SIGNATURE_METHODS.has(method))
      fail(`Signature method ${method ?? '(none)'} is not accepted`);

    const references = children(signedInfo, DSIG_NS, 'Reference');
    if (references.length !== 1)
      fail(`A signature has ${references.length} References; exactly one is accepted`);
    const reference = references[0]!;
    const parentId = attribute(parent, 'ID');
    if (!parentId || attribute(reference, 'URI') !== `#${parentId}`)
      fail('A signature does not reference the element that carries it');

    const transforms = child(reference, DSIG_NS, 'Transforms');
    const transformList = transforms ? children(transforms, DSIG_NS, 'Transform') : [];
    if (transforms && childElements(transforms).length !== transformList.length)
      fail('Unexpected element among Transforms');
    if (transformList.length > 2)
      fail(`A signature uses ${transformList.length} transforms; at most two are accepted`);
    for (const transform of transformList) {
      const algorithm = attribute(transform, 'Algorithm');
      if (algorithm === null || !TRANSFORMS.has(algorithm))
        fail(`Transform ${algorithm ?? '(none)'} is not accepted`);
    }
    const digest = algorithmOf(reference, 'DigestMethod');
    if (digest === null || !DIGEST_METHODS.has(digest))
      fail(`Digest method ${digest ?? '(none)'} is not accepted`);
    const digestValues = children(reference, DSIG_NS, 'DigestValue');
    if (digestValues.length !== 1) fail('A Reference has no single DigestValue');
    if (!isTextOnly(digestValues[0]!)) fail('DigestValue must contain text only');
  }
};

const algorithmOf = (parent: Element, localName: string): string | null => {
  const elements = children(parent, DSIG_NS, localName);
  if (elements.length !== 1) return null;
  return attribute(elements[0]!, 'Algorithm');
};

const readStatus = (response: Element): { code: string; subCode: string | null; message: string | null } => {
  const status = child(response, PROTOCOL_NS, 'Status');
  const statusCode = status ? child(status, PROTOCOL_NS, 'StatusCode') : null;
  const code = statusCode ? attribute(statusCode, 'Value') : null;
  if (!status || !statusCode || !code)
    throw new SamlLoginError('saml_malformed', 'The Response has no StatusCode');
  const nested = child(statusCode, PROTOCOL_NS, 'StatusCode');
  const message = child(status, PROTOCOL_NS, 'StatusMessage');
  return {
    code,
    subCode: nested ? attribute(nested, 'Value') : null,
    message: message ? (message.textContent ?? '').trim().slice(0, 200) : null,
  };
};
