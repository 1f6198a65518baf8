/** RFC 7643 §2.3 data types. */
export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export const ATTRIBUTE_TYPES: readonly AttributeType[] = [
  'string',
  'boolean',
  'decimal',
  'integer',
  'dateTime',
  'reference',
  'binary',
  'complex',
];
export const MUTABILITIES: readonly Mutability[] = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
export const RETURNED_VALUES: readonly Returned[] = ['always', 'never', 'default', 'request'];
export const UNIQUENESS_VALUES: readonly Uniqueness[] = ['none', 'server', 'global'];

/** An attribute definition as `/Schemas` publishes it (RFC 7643 §7), every characteristic explicit. */
export interface AttributeDefinition {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDefinition[];
}

export interface SchemaDefinition {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDefinition[];
}

export interface ResourceTypeDefinition {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly description: string;
  readonly schema: string;
  readonly schemaExtensions: readonly { readonly schema: string; readonly required: boolean }[];
}

export type AttributeOptions = Partial<Omit<AttributeDefinition, 'name' | 'type'>>;

/** An attribute with RFC 7643 §2.2 defaults for every characteristic not given. */
export const attribute = (
  name: string,
  type: AttributeType,
  options: AttributeOptions = {},
): AttributeDefinition => ({
  name,
  type,
  multiValued: false,
  description: '',
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...options,
});

export const complex = (
  name: string,
  subAttributes: readonly AttributeDefinition[],
  options: AttributeOptions = {},
): AttributeDefinition => attribute(name, 'complex', { ...options, subAttributes });

export const subAttribute = (
  definition: AttributeDefinition,
  name: string,
): AttributeDefinition | undefined => {
  const lower = name.toLowerCase();
  return definition.subAttributes?.find((sub) => sub.name.toLowerCase() === lower);
};

export const isStringLike = (type: AttributeType): boolean =>
  type === 'string' || type === 'reference' || type === 'binary' || type === 'dateTime';
