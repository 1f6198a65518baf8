import { checkIdpUrl, settingsInvalid, type SettingsEnvironment } from '@mandate/authn-domain';
import { DomainError } from '@mandate/kernel';
import { createRequire } from 'node:module';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** IdP metadata documents are a few kilobytes; federation aggregates are not what a connection takes. */
export const MAX_METADATA_BYTES = 512 * 1024;
export const METADATA_FETCH_TIMEOUT_MS = 5_000;

/** What a connection needs of an IdP's metadata. */
export interface IdpMetadata {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly certificates: string[];
}

/** The little of a parsed document this reader touches. */
interface XmlElement {
  getAttribute(name: string): string | null;
  getElementsByTagNameNS(namespace: string, name: string): ArrayLike<XmlElement>;
  readonly textContent: string | null;
}
interface XmlDocument extends Pick<XmlElement, 'getElementsByTagNameNS'> {
  readonly documentElement: XmlElement | null;
}
interface XmlParser {
  parseFromString(xml: string, mimeType: string): XmlDocument;
}
type XmlParserClass = new (options: {
  errorHandler: {
    warning(message: unknown): void;
    error(message: unknown): void;
    fatalError(message: unknown): void;
  };
}) => XmlParser;

// Loaded without its type declarations: they reference the DOM library, which would retype `fetch`,
// `Response` and friends across the whole program.
const { DOMParser } = createRequire(__filename)('@xmldom/xmldom') as { DOMParser: XmlParserClass };

const refuse = (pointer: string, code: string, detail: string) =>
  settingsInvalid([{ pointer, code, detail }]);

const elements = (parent: Pick<XmlElement, 'getElementsByTagNameNS'>, namespace: string, name: string) =>
  Array.from(parent.getElementsByTagNameNS(namespace, name));

/**
 * Reads the entity id, the SSO endpoint (Redirect binding preferred, else POST) and the signing
 * certificates of one IdP from its SAML 2.0 metadata. A DOCTYPE is refused before parsing (no
 * entities, no external fetches), as is anything that is not exactly one IdP's descriptor.
 */
export const readIdpMetadata = (xml: string, pointer: string): IdpMetadata => {
  if (Buffer.byteLength(xml, 'utf8') > MAX_METADATA_BYTES)
    throw refuse(pointer, 'AUTHN_SAML_METADATA_TOO_LARGE', `Metadata is at most ${MAX_METADATA_BYTES} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml))
    throw refuse(pointer, 'AUTHN_SAML_METADATA_INVALID', 'Metadata must not contain a DOCTYPE');
  const problems: string[] = [];
  const document = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (message: unknown) => void problems.push(String(message)),
      fatalError: (message: unknown) => void problems.push(String(message)),
    },
  }).parseFromString(xml, 'text/xml');
  if (problems.length > 0 || !document.documentElement)
    throw refuse(pointer, 'AUTHN_SAML_METADATA_INVALID', 'Metadata is not well-formed XML');

  const descriptors = elements(document, MD, 'EntityDescriptor').filter(
    (entity) => elements(entity, MD, 'IDPSSODescriptor').length > 0,
  );
  const [entity, ...others] = descriptors;
  if (!entity || others.length > 0)
    throw refuse(
      pointer,
      'AUTHN_SAML_METADATA_INVALID',
      'Metadata must describe exactly one identity provider',
    );
  const entityId = entity.getAttribute('entityID')?.trim() ?? '';
  const [idp] = elements(entity, MD, 'IDPSSODescriptor');
  const services = elements(idp!, MD, 'SingleSignOnService');
  const service =
    services.find((candidate) => candidate.getAttribute('Binding') === REDIRECT) ??
    services.find((candidate) => candidate.getAttribute('Binding') === POST);
  const certificates = elements(idp!, MD, 'KeyDescriptor')
    .filter((key) => (key.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((key) => elements(key, DS, 'X509Certificate'))
    .map((certificate) => (certificate.textContent ?? '').replace(/\s+/g, ''))
    .filter((body) => body !== '');
  return { entityId, ssoUrl: service?.getAttribute('Location')?.trim() ?? '', certificates };
};

/** Where metadata comes from when the administrator gives a URL. */
export interface MetadataFetcher {
  fetch(url: string): Promise<string>;
}

/**
 * Fetches metadata over https within a deadline and a size cap, following no redirect (a redirect
 * could lead anywhere, including inside the network).
 */
export const httpMetadataFetcher = (
  timeoutMs = METADATA_FETCH_TIMEOUT_MS,
  maxBytes = MAX_METADATA_BYTES,
): MetadataFetcher => ({
  async fetch(url) {
    const pointer = '#/saml/metadataUrl';
    let response: Response;
    try {
      response = await fetch(url, {
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' },
      });
    } catch (error) {
      const timedOut = (error as { name?: string }).name === 'TimeoutError';
      throw refuse(
        pointer,
        'AUTHN_SAML_METADATA_UNREACHABLE',
        timedOut
          ? `The metadata URL did not answer within ${timeoutMs} ms`
          : 'The metadata URL cannot be reached',
      );
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw refuse(
        pointer,
        'AUTHN_SAML_METADATA_UNREACHABLE',
        `The metadata URL answered ${response.status}`,
      );
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw refuse(pointer, 'AUTHN_SAML_METADATA_TOO_LARGE', `Metadata is at most ${maxBytes} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body?.getReader();
    try {
      for (;;) {
        if (!reader) break;
        const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
        if (done || !value) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel();
          throw refuse(pointer, 'AUTHN_SAML_METADATA_TOO_LARGE', `Metadata is at most ${maxBytes} bytes`);
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw refuse(pointer, 'AUTHN_SAML_METADATA_UNREACHABLE', 'Reading the metadata failed');
    }
    return Buffer.concat(chunks).toString('utf8');
  },
});

/** Checks the metadata URL, fetches and reads it. */
export const fetchIdpMetadata = async (
  url: string,
  fetcher: MetadataFetcher,
  environment: SettingsEnvironment,
): Promise<IdpMetadata> => {
  const checked = checkIdpUrl(url, '#/saml/metadataUrl', environment, 'The metadata URL');
  return readIdpMetadata(await fetcher.fetch(checked), '#/saml/metadataUrl');
};
