import { DOMParser } from '@xmldom/xmldom';
import { SamlLoginError } from './saml-errors';

export const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';

export const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

/** No SAML message needs more; 10 000-deep nesting (CVE-2026-41673) is refused before any recursion. */
export const MAX_ELEMENT_DEPTH = 48;

/**
 * Refuses what a SAML message never needs and parsers disagree about: any DTD (entities, XXE,
 * billion laughs, the ruby-saml round-trip differential) and processing instructions other than
 * the XML declaration. Runs on the text, before any parser sees it.
 */
export const assertNoDtdOrProcessingInstructions = (xml: string): void => {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml))
    throw new SamlLoginError(
      'saml_doctype_forbidden',
      'The SAML message contains a DOCTYPE or entity declaration',
    );
  const body = xml.replace(/^\uFEFF?<\?xml\s[^<>]*\?>/, '');
  if (body.includes('<?'))
    throw new SamlLoginError('saml_malformed', 'The SAML message contains a processing instruction');
};

/**
 * Parses untrusted XML with xmldom, treating its warnings as errors, and insists on exactly one root
 * element with nothing but whitespace and comments around it and no element deeper than `maxDepth`.
 */
export const parseStrictXml = (
  xml: string,
  what = 'SAML message',
  maxDepth = MAX_ELEMENT_DEPTH,
): Document => {
  const fail = (message: string): never => {
    throw new SamlLoginError('saml_malformed', `The ${what} is not well-formed XML: ${message}`);
  };
  let document: Document;
  try {
    document = new DOMParser({
      errorHandler: {
        warning: (message: string) => fail(String(message)),
        error: (message: string) => fail(String(message)),
        fatalError: (message: string) => fail(String(message)),
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    if (error instanceof SamlLoginError) throw error;
    const message = (error instanceof Error ? error.message : String(error))
      .replace(/\s+/g, ' ')
      .slice(0, 200);
    throw new SamlLoginError('saml_malformed', `The ${what} is not well-formed XML: ${message}`);
  }
  let roots = 0;
  for (let node = document.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) roots++;
    else if (node.nodeType === TEXT_NODE) {
      if ((node.nodeValue ?? '').trim() !== '') fail('text outside the root element');
    } else if (node.nodeType !== COMMENT_NODE && !isXmlDeclaration(node))
      fail('unexpected node outside the root element');
  }
  if (roots !== 1) fail(roots === 0 ? 'no root element' : `${roots} root elements`);
  assertDepth(document.documentElement, maxDepth, what);
  return document;
};

/** xmldom reports the XML declaration as a processing instruction named "xml", first in the document. */
const isXmlDeclaration = (node: Node): boolean =>
  node.nodeType === PROCESSING_INSTRUCTION_NODE && node.nodeName === 'xml' && node.previousSibling === null;

const assertDepth = (root: Element, maxDepth: number, what: string): void => {
  const stack: Array<[Element, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [element, depth] = stack.pop()!;
    if (depth > maxDepth)
      throw new SamlLoginError('saml_malformed', `The ${what} nests elements deeper than ${maxDepth} levels`);
    for (const child of childElements(element)) stack.push([child, depth + 1]);
  }
};

export const childElements = (parent: Node): Element[] => {
  const children: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling)
    if (node.nodeType === ELEMENT_NODE) children.push(node as Element);
  return children;
};

/** Direct children named `localName` in namespace `ns`. */
export const children = (parent: Node, ns: string, localName: string): Element[] =>
  childElements(parent).filter((child) => child.namespaceURI === ns && child.localName === localName);

export const child = (parent: Node, ns: string, localName: string): Element | null =>
  children(parent, ns, localName)[0] ?? null;

/** Every descendant element whose local name is `localName`, in any namespace (or none). */
export const descendantsByLocalName = (root: Element, localName: string): Element[] =>
  allElements(root).filter((element) => element.localName === localName);

/** The element and all its descendants. */
export const allElements = (root: Element): Element[] => {
  const found: Element[] = [];
  const stack: Element[] = [root];
  while (stack.length > 0) {
    const element = stack.pop()!;
    found.push(element);
    stack.push(...childElements(element));
  }
  return found;
};

/**
 * The element's text when it consists of text (and CDATA) only. A comment or element inside —
 * `admin@victim.com<!---->.evil.com` — is refused rather than read as either half (CMT-1).
 */
export const textOnly = (element: Element, what: string): string => {
  if (!isTextOnly(element)) throw new SamlLoginError('saml_malformed', `${what} must contain text only`);
  let text = '';
  for (let node = element.firstChild; node; node = node.nextSibling) text += node.nodeValue ?? '';
  return text;
};

export const isTextOnly = (element: Element): boolean => {
  for (let node = element.firstChild; node; node = node.nextSibling)
    if (node.nodeType !== TEXT_NODE && node.nodeType !== CDATA_SECTION_NODE) return false;
  return true;
};

export const attribute = (element: Element, name: string): string | null =>
  element.hasAttribute(name) ? element.getAttribute(name) : null;
