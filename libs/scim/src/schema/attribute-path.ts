/** An attribute path as written (RFC 7644 §3.10): `[URI ":"] ATTRNAME ["." subAttr]`, not yet resolved. */
export interface AttributePath {
  readonly schema: string | undefined;
  readonly attribute: string;
  readonly subAttribute: string | undefined;
}

const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/i;

export const isAttributeName = (name: string): boolean => ATTRIBUTE_NAME.test(name);

/**
 * Splits a path into schema URN, attribute and sub-attribute; undefined if it is not one. URNs hold
 * dots (`…:enterprise:2.0:User:manager.value`), so the URN ends at the last colon, never at a dot.
 */
export const parseAttributePath = (text: string): AttributePath | undefined => {
  let schema: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const lastColon = text.lastIndexOf(':');
    schema = text.slice(0, lastColon);
    rest = text.slice(lastColon + 1);
  }
  const [attribute, subAttribute, ...extra] = rest.split('.');
  if (attribute === undefined || !isAttributeName(attribute) || extra.length > 0) return undefined;
  if (subAttribute !== undefined && !isAttributeName(subAttribute)) return undefined;
  return { schema, attribute, subAttribute };
};

export const formatAttributePath = (path: AttributePath): string =>
  `${path.schema ? `${path.schema}:` : ''}${path.attribute}${path.subAttribute ? `.${path.subAttribute}` : ''}`;
