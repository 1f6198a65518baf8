import {
  attribute,
  complex,
  type AttributeDefinition,
  type AttributeOptions,
  type ResourceTypeDefinition,
  type SchemaDefinition,
} from './attribute';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const AGENT_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Agent';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export type ResourceTypeName = 'User' | 'Group' | 'Agent';
export const RESOURCE_TYPE_NAMES: readonly ResourceTypeName[] = ['User', 'Group', 'Agent'];

const text = (name: string, description: string, options: AttributeOptions = {}) =>
  attribute(name, 'string', { description, ...options });
const identifier = (name: string, description: string, options: AttributeOptions = {}) =>
  text(name, description, { caseExact: true, ...options });
const reference = (name: string, referenceTypes: readonly string[], description: string, options = {}) =>
  attribute(name, 'reference', { description, referenceTypes, caseExact: true, ...options });
const primary = attribute('primary', 'boolean', {
  description: 'Whether this value is the preferred one; at most one value may be primary.',
});

/** The `value` / `display` / `type` / `primary` shape shared by most multi-valued attributes. */
const labelledValues = (
  name: string,
  description: string,
  canonicalTypes: readonly string[] | undefined,
  value: AttributeDefinition = text('value', `The ${name} value.`),
): AttributeDefinition =>
  complex(
    name,
    [
      value,
      text('display', 'A human-readable name, primarily used for display purposes.'),
      text('type', 'A label indicating the function of this value.', {
        ...(canonicalTypes ? { canonicalValues: canonicalTypes } : {}),
      }),
      primary,
    ],
    { multiValued: true, description },
  );

/** RFC 7643 §3.1 attributes every resource has; not part of any schema's published attribute list. */
export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [
  identifier('id', 'Unique identifier assigned by the service provider.', {
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  identifier('externalId', 'Identifier of the resource as defined by the provisioning client.'),
  complex(
    'meta',
    [
      identifier('resourceType', 'The name of the resource type.', {
        mutability: 'readOnly',
        returned: 'always',
      }),
      attribute('created', 'dateTime', {
        description: 'When the resource was added.',
        mutability: 'readOnly',
      }),
      attribute('lastModified', 'dateTime', {
        description: 'When the resource was last updated.',
        mutability: 'readOnly',
      }),
      reference('location', ['uri'], 'The URI of the resource.', { mutability: 'readOnly' }),
      identifier('version', 'The version (ETag) of the resource.', { mutability: 'readOnly' }),
    ],
    { description: 'Resource metadata.', mutability: 'readOnly' },
  ),
  reference('schemas', ['uri'], 'The schemas the resource uses.', {
    multiValued: true,
    caseExact: false,
    mutability: 'readOnly',
    returned: 'always',
  }),
];

export const USER_SCHEMA_DEFINITION: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    text('userName', 'Unique identifier for the User, used to authenticate.', {
      required: true,
      uniqueness: 'server',
    }),
    complex(
      'name',
      [
        text('formatted', 'The full name, formatted for display.'),
        text('familyName', 'The family name, or last name.'),
        text('givenName', 'The given name, or first name.'),
        text('middleName', 'The middle name(s).'),
        text('honorificPrefix', 'The honorific prefix(es), or title.'),
        text('honorificSuffix', 'The honorific suffix(es).'),
      ],
      { description: "The components of the user's real name." },
    ),
    text('displayName', 'The name of the User, suitable for display to end-users.'),
    text('nickName', 'The casual way to address the user.'),
    reference('profileUrl', ['external'], "A URI to the user's online profile."),
    text('title', "The user's title, such as 'Vice President'."),
    text('userType', 'The relationship between the organization and the user.'),
    text('preferredLanguage', "The user's preferred written or spoken language."),
    text('locale', "The user's default location for localization."),
    text('timezone', "The user's time zone in IANA Time Zone database format."),
    attribute('active', 'boolean', { description: "The user's administrative status." }),
    text('password', "The user's cleartext password; never returned.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    labelledValues('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    labelledValues('phoneNumbers', 'Phone numbers for the user.', [
      'work',
      'home',
      'mobile',
      'fax',
      'pager',
      'other',
    ]),
    labelledValues('ims', 'Instant messaging addresses for the user.', [
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]),
    labelledValues(
      'photos',
      'URLs of photos of the user.',
      ['photo', 'thumbnail'],
      reference('value', ['external'], 'URL of a photo of the user.'),
    ),
    complex(
      'addresses',
      [
        text('formatted', 'The full mailing address, formatted for display.'),
        text('streetAddress', 'The full street address component.'),
        text('locality', 'The city or locality component.'),
        text('region', 'The state or region component.'),
        text('postalCode', 'The zip code or postal code component.'),
        text('country', 'The country name component, ISO 3166-1 alpha-2.'),
        text('type', 'A label indicating the function of this address.', {
          canonicalValues: ['work', 'home', 'other'],
        }),
        primary,
      ],
      { multiValued: true, description: 'Physical mailing addresses for this user.' },
    ),
    complex(
      'groups',
      [
        identifier('value', 'The identifier of the group.', { mutability: 'readOnly' }),
        reference('$ref', ['User', 'Group'], 'The URI of the group.', { mutability: 'readOnly' }),
        text('display', 'A human-readable name of the group.', { mutability: 'readOnly' }),
        text('type', 'Direct or indirect membership.', {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
      {
        multiValued: true,
        mutability: 'readOnly',
        description: 'The groups the user belongs to; changed through the Group resource only.',
      },
    ),
    labelledValues('entitlements', 'Entitlements for the user.', undefined),
    labelledValues('roles', 'Roles for the user.', undefined),
    labelledValues(
      'x509Certificates',
      'X.509 certificates issued to the user.',
      undefined,
      attribute('value', 'binary', { description: 'The DER-encoded certificate, base64.', caseExact: true }),
    ),
  ],
};

export const ENTERPRISE_USER_SCHEMA_DEFINITION: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    text('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person by the organization.'),
    text('costCenter', 'Identifies the name of a cost center.'),
    text('organization', 'Identifies the name of an organization.'),
    text('division', 'Identifies the name of a division.'),
    text('department', 'Identifies the name of a department.'),
    complex(
      'manager',
      [
        identifier('value', 'The id of the SCIM resource representing the manager.'),
        reference('$ref', ['User'], 'The URI of the manager.'),
        text('displayName', 'The display name of the manager.', { mutability: 'readOnly' }),
      ],
      { description: "The user's manager." },
    ),
  ],
};

export const GROUP_SCHEMA_DEFINITION: SchemaDefinition = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    text('displayName', 'A human-readable name for the Group.', { required: true }),
    complex(
      'members',
      [
        identifier('value', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        reference('$ref', ['User', 'Group'], 'The URI of the member.', { mutability: 'immutable' }),
        // Computed from the member's own name (readOnly here), so it can never go stale or lie.
        text('display', 'A human-readable name of the member.', { mutability: 'readOnly' }),
        text('type', 'The type of the member.', {
          mutability: 'immutable',
          canonicalValues: ['User', 'Group'],
        }),
      ],
      { multiValued: true, description: 'A list of members of the Group.' },
    ),
  ],
};

export const AGENT_SCHEMA_DEFINITION: SchemaDefinition = {
  id: AGENT_SCHEMA,
  name: 'Agent',
  description: 'An AI agent or other non-human actor that acts inside the organization.',
  attributes: [
    text('agentUserName', 'A unique name for the agent.', { uniqueness: 'server' }),
    text('displayName', 'The name of the agent, suitable for display.', { required: true }),
    text('description', 'What the agent does.'),
    attribute('active', 'boolean', { description: "The agent's administrative status." }),
    complex(
      'owners',
      [
        identifier('value', 'The id of a User who owns the agent.', { required: true }),
        reference('$ref', ['User'], 'The URI of the owner.'),
        text('display', 'A human-readable name of the owner.', { mutability: 'readOnly' }),
      ],
      { multiValued: true, description: 'The users accountable for the agent.' },
    ),
  ],
};

export const BUILTIN_SCHEMAS: readonly SchemaDefinition[] = [
  USER_SCHEMA_DEFINITION,
  ENTERPRISE_USER_SCHEMA_DEFINITION,
  GROUP_SCHEMA_DEFINITION,
  AGENT_SCHEMA_DEFINITION,
];

export const BUILTIN_RESOURCE_TYPES: readonly ResourceTypeDefinition[] = [
  {
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
  },
  {
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: 'Group',
    schema: GROUP_SCHEMA,
    schemaExtensions: [],
  },
  {
    id: 'Agent',
    name: 'Agent',
    endpoint: '/Agents',
    description: 'AI agent',
    schema: AGENT_SCHEMA,
    schemaExtensions: [],
  },
];
