import { z } from 'zod';
import { IntegrationEventRegistry } from './integration-events';

describe('IntegrationEventRegistry', () => {
  const registry = new IntegrationEventRegistry();
  const userProvisionedV1 = registry.define(
    'directory.user.provisioned',
    1,
    z.object({ userId: z.string(), email: z.email() }),
  );
  registry.define(
    'directory.user.provisioned',
    2,
    z.object({ userId: z.string(), emails: z.array(z.email()) }),
  );

  it('validates data against the schema of its exact type and version', () => {
    expect(
      registry.validate('directory.user.provisioned', 1, { userId: 'u1', email: 'ada@example.com' }),
    ).toEqual({ status: 'valid', data: { userId: 'u1', email: 'ada@example.com' } });
    expect(
      registry.validate('directory.user.provisioned', 2, { userId: 'u1', email: 'ada@example.com' }),
    ).toEqual({
      status: 'invalid',
      issues: [expect.stringContaining('data.emails')],
    });
  });

  it('reports every problem with its path', () => {
    const result = registry.validate('directory.user.provisioned', 1, { userId: 7, email: 'not an address' });
    expect(result.status).toBe('invalid');
    expect(result.status === 'invalid' && result.issues.map((issue) => issue.split(':')[0])).toEqual([
      'data.userId',
      'data.email',
    ]);
  });

  it('returns the schema output, so undeclared fields do not reach consumers', () => {
    expect(
      registry.validate('directory.user.provisioned', 1, {
        userId: 'u1',
        email: 'a@example.com',
        extra: true,
      }),
    ).toEqual({ status: 'valid', data: { userId: 'u1', email: 'a@example.com' } });
  });

  it('calls an undefined type or version unknown', () => {
    expect(registry.validate('directory.user.provisioned', 3, {})).toEqual({ status: 'unknown' });
    expect(registry.validate('authz.mandate.revoked', 1, {})).toEqual({ status: 'unknown' });
  });

  it('refuses a second definition, a malformed type, a foreign context and a version below 1', () => {
    expect(() => registry.define('directory.user.provisioned', 1, z.object({}))).toThrow(/defined twice/);
    expect(() => registry.define('directory.userProvisioned', 1, z.object({}))).toThrow(/is not/);
    expect(() => registry.define('billing.invoice.paid', 1, z.object({}))).toThrow(/known context/);
    expect(() => registry.define('directory.user.renamed', 0, z.object({}))).toThrow(/versions are integers/);
    expect(() => registry.define('directory.user.renamed', 1.5, z.object({}))).toThrow(
      /versions are integers/,
    );
  });

  it('names its schema by URI and narrows events by type and version', () => {
    expect(userProvisionedV1.dataSchemaUri).toBe('urn:mandate:schema:directory.user.provisioned:v1');
    const event = { type: 'directory.user.provisioned', schemaVersion: 1 } as Parameters<
      typeof userProvisionedV1.is
    >[0];
    expect(userProvisionedV1.is(event)).toBe(true);
    expect(userProvisionedV1.is({ ...event, schemaVersion: 2 })).toBe(false);
    expect(userProvisionedV1.is({ ...event, type: 'directory.user.deactivated' })).toBe(false);
  });
});
