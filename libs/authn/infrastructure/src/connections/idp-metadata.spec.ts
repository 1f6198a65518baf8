import { type DomainError } from '@mandate/kernel';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { fetchIdpMetadata, httpMetadataFetcher, readIdpMetadata } from './idp-metadata';

const certificateBody = 'MIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVCb2R5';
const idpMetadata = ({
  entityId = 'https://idp.example.com/saml',
  signingCertificate = certificateBody,
  services = [
    ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'https://idp.example.com/sso/post'],
    ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', 'https://idp.example.com/sso/redirect'],
  ],
} = {}) => `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>ENCRYPTION</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
      ${signingCertificate}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    ${services.map(([binding, location]) => `<md:SingleSignOnService Binding="${binding}" Location="${location}"/>`).join('\n')}
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;

const faultOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as DomainError).details?.['errors'];
  }
  throw new Error('accepted');
};

describe('IdP metadata', () => {
  it('reads the entity id, the Redirect SSO endpoint and the signing certificates only', () => {
    expect(readIdpMetadata(idpMetadata(), '#/saml/metadataXml')).toEqual({
      entityId: 'https://idp.example.com/saml',
      ssoUrl: 'https://idp.example.com/sso/redirect',
      certificates: [certificateBody],
    });
  });

  it('falls back to the POST binding', () => {
    const xml = idpMetadata({
      services: [['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'https://idp/post']],
    });
    expect(readIdpMetadata(xml, '#/saml/metadataXml').ssoUrl).toBe('https://idp/post');
  });

  it.each([
    [
      'a DOCTYPE (entities, external fetches)',
      `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${idpMetadata()}`,
    ],
    ['malformed XML', '<md:EntityDescriptor'],
    ['no IdP', '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="sp"/>'],
    [
      'two IdPs',
      `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${[1, 2]
        .map((n) => idpMetadata({ entityId: `idp${n}` }).replace('<?xml version="1.0"?>', ''))
        .join('')}</md:EntitiesDescriptor>`,
    ],
    ['an oversized document', `${idpMetadata()}<!--${'x'.repeat(600 * 1024)}-->`],
  ])('refuses %s, naming the metadata field', (_what, xml) => {
    expect(faultOf(() => readIdpMetadata(xml, '#/saml/metadataXml'))).toEqual([
      expect.objectContaining({ pointer: '#/saml/metadataXml' }),
    ]);
  });

  describe('fetched from a URL', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((request, response) => {
        if (request.url === '/metadata') response.end(idpMetadata());
        else if (request.url === '/slow') setTimeout(() => response.end(idpMetadata()), 2_000).unref();
        else if (request.url === '/huge') response.end('x'.repeat(200_000));
        else if (request.url === '/moved') response.writeHead(302, { location: '/metadata' }).end();
        else response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    );

    const development = { allowLoopbackHttp: true };
    const fetcher = httpMetadataFetcher(500, 100_000);
    const refusal = async (path: string, environment = development) => {
      try {
        await fetchIdpMetadata(`${base}${path}`, fetcher, environment);
      } catch (error) {
        return ((error as DomainError).details?.['errors'] as { pointer: string; code: string }[])[0];
      }
      throw new Error('accepted');
    };

    it('reads the document at the URL', async () => {
      await expect(fetchIdpMetadata(`${base}/metadata`, fetcher, development)).resolves.toMatchObject({
        entityId: 'https://idp.example.com/saml',
      });
    });

    it('refuses plain http outside development, before fetching', async () => {
      expect(await refusal('/metadata', { allowLoopbackHttp: false })).toEqual({
        pointer: '#/saml/metadataUrl',
        code: 'AUTHN_CONNECTION_URL_NOT_HTTPS',
        detail: expect.any(String) as string,
      });
    });

    it.each([
      ['/slow', 'AUTHN_SAML_METADATA_UNREACHABLE'],
      ['/huge', 'AUTHN_SAML_METADATA_TOO_LARGE'],
      ['/moved', 'AUTHN_SAML_METADATA_UNREACHABLE'],
      ['/missing', 'AUTHN_SAML_METADATA_UNREACHABLE'],
    ])('refuses %s with %s', async (path, code) => {
      expect(await refusal(path)).toMatchObject({ pointer: '#/saml/metadataUrl', code });
    });
  });
});
