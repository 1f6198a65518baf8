import { SamlConfigError, SamlLoginError } from './saml-errors';
import { toCertificatePem } from './saml-connection-config';
import {
  assertNoDtdOrProcessingInstructions,
  attribute,
  children,
  DSIG_NS,
  METADATA_NS,
  parseStrictXml,
  textOnly,
} from './saml-xml';

/** Federation metadata of large IdPs runs to a few hundred KiB; one entity's is far smaller. */
export const MAX_IDP_METADATA_LENGTH = 1024 * 1024;

const REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface IdpMetadata {
  readonly entityId: string;
  readonly ssoRedirectUrl: string;
  readonly ssoPostUrl?: string;
  /** PEM signing certificates (KeyDescriptors with `use="signing"` or no `use`). */
  readonly certificates: string[];
}

/**
 * Reads an IdP's SAML metadata: one EntityDescriptor (alone or as the only one in an
 * EntitiesDescriptor) with an IDPSSODescriptor, its HTTP-Redirect SSO endpoint and signing
 * certificates. DTDs are refused and the size is capped; errors say what is missing.
 */
export const parseIdpMetadata = (xml: string): IdpMetadata => {
  if (typeof xml !== 'string' || xml.trim() === '') throw new SamlConfigError('metadata', 'is empty');
  if (xml.length > MAX_IDP_METADATA_LENGTH)
    throw new SamlConfigError('metadata', `is larger than ${MAX_IDP_METADATA_LENGTH} characters`);
  let document: Document;
  try {
    assertNoDtdOrProcessingInstructions(xml);
    document = parseStrictXml(xml, 'IdP metadata', 64);
  } catch (error) {
    if (error instanceof SamlLoginError) throw new SamlConfigError('metadata', error.message);
    throw error;
  }

  const root = document.documentElement;
  if (root.namespaceURI !== METADATA_NS)
    throw new SamlConfigError('metadata', 'is not SAML 2.0 metadata (urn:oasis:names:tc:SAML:2.0:metadata)');
  let entity: Element;
  if (root.localName === 'EntityDescriptor') entity = root;
  else if (root.localName === 'EntitiesDescriptor') {
    const entities = children(root, METADATA_NS, 'EntityDescriptor');
    if (entities.length !== 1)
      throw new SamlConfigError(
        'metadata',
        `holds ${entities.length} EntityDescriptors; give the one for this IdP`,
      );
    entity = entities[0]!;
  } else throw new SamlConfigError('metadata', `has root <${root.localName}>; expected an EntityDescriptor`);

  const entityId = attribute(entity, 'entityID')?.trim();
  if (!entityId) throw new SamlConfigError('metadata.entityID', 'is missing from the EntityDescriptor');

  const descriptors = children(entity, METADATA_NS, 'IDPSSODescriptor');
  if (descriptors.length !== 1)
    throw new SamlConfigError(
      'metadata.IDPSSODescriptor',
      descriptors.length === 0 ? 'is missing' : 'appears more than once',
    );
  const descriptor = descriptors[0]!;
  const protocols = (attribute(descriptor, 'protocolSupportEnumeration') ?? '').split(/\s+/);
  if (!protocols.includes('urn:oasis:names:tc:SAML:2.0:protocol'))
    throw new SamlConfigError('metadata.IDPSSODescriptor', 'does not support the SAML 2.0 protocol');

  const services = children(descriptor, METADATA_NS, 'SingleSignOnService');
  const location = (binding: string): string | undefined =>
    services
      .find((service) => attribute(service, 'Binding') === binding)
      ?.getAttribute('Location')
      ?.trim() || undefined;
  const ssoRedirectUrl = location(REDIRECT_BINDING);
  if (!ssoRedirectUrl)
    throw new SamlConfigError('metadata.SingleSignOnService', 'has no HTTP-Redirect binding endpoint');
  const ssoPostUrl = location(POST_BINDING);

  const certificates = children(descriptor, METADATA_NS, 'KeyDescriptor')
    .filter((key) => {
      const use = attribute(key, 'use');
      return use === null || use === 'signing';
    })
    .flatMap((key) => children(key, DSIG_NS, 'KeyInfo'))
    .flatMap((info) => children(info, DSIG_NS, 'X509Data'))
    .flatMap((data) => children(data, DSIG_NS, 'X509Certificate'))
    .map((certificate) => toCertificatePem(textOnly(certificate, 'X509Certificate')));
  if (certificates.length === 0)
    throw new SamlConfigError('metadata.KeyDescriptor', 'has no signing X509Certificate');

  return {
    entityId,
    ssoRedirectUrl,
    ...(ssoPostUrl && { ssoPostUrl }),
    certificates: [...new Set(certificates)],
  };
};
