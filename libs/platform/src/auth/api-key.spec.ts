import {
  adminKeyMatches,
  API_KEY_PATTERN,
  API_KEY_SCAN_PATTERN,
  apiKeySecretMatches,
  generateAdminKey,
  generateApiKey,
  hashApiKeySecret,
  parseApiKey,
} from './api-key';
import { type ApiKeyRecord, type ApiKeyRepository } from './api-key.repository';
import { checkApiKey, StoredApiKeyVerifier } from './api-key.verifier';
import {
  ADMIN_PRINCIPAL,
  type ApiKeyPrincipal,
  assertAdmin,
  assertOrgAccess,
  principalActor,
  principalId,
} from './principal';
import { ApiProblem } from '../errors/problem';

describe('API keys', () => {
  it('look like mandate_sk_<keyId>_<secret>, with 256 random bits of secret', () => {
    const key = generateApiKey();
    expect(key.token).toBe(`mandate_sk_${key.keyId}_${key.secret}`);
    expect(key.token).toMatch(API_KEY_PATTERN);
    expect(key.keyId).toMatch(/^[0-9a-f]{20}$/);
    expect(Buffer.from(key.secret, 'base64url')).toHaveLength(32);
    expect(key.lastFour).toBe(key.secret.slice(-4));
    expect(generateApiKey().token).not.toBe(key.token);
  });

  it('can be found in text by secret scanners', () => {
    const key = generateApiKey();
    expect(`export TOKEN="${key.token}" # ci`.match(API_KEY_SCAN_PATTERN)).toEqual([key.token]);
  });

  it('parse back into key id and secret, secrets with _ and - included', () => {
    const secret = `${'_'.repeat(21)}${'-'.repeat(22)}`;
    expect(parseApiKey(`mandate_sk_0123456789abcdef0123_${secret}`)).toEqual({
      keyId: '0123456789abcdef0123',
      secret,
    });
    const key = generateApiKey();
    expect(parseApiKey(key.token)).toEqual({ keyId: key.keyId, secret: key.secret });
  });

  it.each([
    ['another prefix', (token: string) => token.replace('mandate_sk_', 'mandate_pk_')],
    ['a short secret', (token: string) => token.slice(0, -1)],
    ['a long secret', (token: string) => `${token}A`],
    [
      'an upper-case key id',
      (token: string) => token.replace(/_([0-9a-f]{20})_/, (_m, id: string) => `_${id.toUpperCase()}X_`),
    ],
    ['surrounding space', (token: string) => ` ${token}`],
  ])('are refused with %s', (_case, mangle) => {
    expect(parseApiKey(mangle(generateApiKey().token))).toBeNull();
  });

  it('are stored as the SHA-256 of the secret and compared to it', () => {
    const key = generateApiKey();
    expect(key.hash).toBe(hashApiKeySecret(key.secret));
    expect(hashApiKeySecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(apiKeySecretMatches(key.secret, key.hash)).toBe(true);
    expect(apiKeySecretMatches(`${key.secret.slice(0, -1)}x`, key.hash)).toBe(false);
    expect(apiKeySecretMatches(key.secret, 'not-hex')).toBe(false);
  });
});

describe('checkApiKey', () => {
  const key = generateApiKey();
  const record: ApiKeyRecord = {
    keyId: key.keyId,
    orgId: 'org-1',
    name: 'deploy bot',
    secretHash: key.hash,
    lastFour: key.lastFour,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    revokedAt: null,
  };
  const now = new Date('2026-02-01T00:00:00Z');

  it('accepts the key of a live record as an organization principal', () => {
    expect(checkApiKey(key.token, record, now)).toEqual({
      ok: true,
      principal: { type: 'api_key', keyId: key.keyId, orgId: 'org-1', name: 'deploy bot' },
    });
  });

  it('cannot tell an unknown key from a wrong secret', () => {
    const other = generateApiKey();
    expect(checkApiKey(key.token, null, now)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkApiKey(`mandate_sk_${key.keyId}_${other.secret}`, record, now)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(checkApiKey(other.token, record, now)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('says revoked only to the holder of the secret, from the revocation time on', () => {
    const revoked = { ...record, revokedAt: now };
    expect(checkApiKey(key.token, revoked, now)).toEqual({ ok: false, reason: 'revoked' });
    expect(checkApiKey(key.token, revoked, new Date(now.getTime() - 1)).ok).toBe(true);
    expect(checkApiKey(`mandate_sk_${key.keyId}_${generateApiKey().secret}`, revoked, now)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });
});

describe('StoredApiKeyVerifier', () => {
  const key = generateApiKey();
  const record: ApiKeyRecord = {
    keyId: key.keyId,
    orgId: 'org-1',
    name: 'app',
    secretHash: key.hash,
    lastFour: key.lastFour,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    revokedAt: null,
  };
  const now = new Date('2026-02-01T00:00:00Z');

  it('shares a read of the row among concurrent requests with the same key, and keeps nothing after it', async () => {
    let stored = record;
    const find = jest.fn((_keyId: string) => Promise.resolve(stored));
    const verifier = new StoredApiKeyVerifier({ find } as unknown as ApiKeyRepository, () => now);
    const concurrent = await Promise.all([
      verifier.verify(key.token),
      verifier.verify(key.token),
      verifier.verify(`mandate_sk_${key.keyId}_${generateApiKey().secret}`),
    ]);
    expect(concurrent.map((verification) => verification.ok)).toEqual([true, true, false]);
    expect(find).toHaveBeenCalledTimes(1);

    stored = { ...record, revokedAt: now };
    expect(await verifier.verify(key.token)).toEqual({ ok: false, reason: 'revoked' });
    expect(find).toHaveBeenCalledTimes(2);
  });

  it('lets a failed read fail every request that shared it, and reads again on the next', async () => {
    const find = jest
      .fn((_keyId: string) => Promise.resolve<ApiKeyRecord | null>(record))
      .mockRejectedValueOnce(new Error('connection lost'));
    const verifier = new StoredApiKeyVerifier({ find } as unknown as ApiKeyRepository, () => now);
    const results = await Promise.allSettled([verifier.verify(key.token), verifier.verify(key.token)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((await verifier.verify(key.token)).ok).toBe(true);
    expect(find).toHaveBeenCalledTimes(2);
  });
});

describe('admin key', () => {
  it('is recognisable and long', () => {
    expect(generateAdminKey()).toMatch(/^mandate_admin_[A-Za-z0-9_-]{43}$/);
  });

  it('matches only itself', () => {
    const adminKey = generateAdminKey();
    expect(adminKeyMatches(adminKey, adminKey)).toBe(true);
    expect(adminKeyMatches(adminKey.slice(0, -1), adminKey)).toBe(false);
    expect(adminKeyMatches('', adminKey)).toBe(false);
  });
});

describe('principals', () => {
  const orgKey: ApiKeyPrincipal = { type: 'api_key', keyId: 'k1', orgId: 'org-1', name: 'ci' };

  const problemCode = (fn: () => void): string | undefined => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ApiProblem) return `${error.status} ${error.code}`;
      throw error;
    }
    return undefined;
  };

  it('let the admin into every organization and an organization key into its own only', () => {
    expect(problemCode(() => assertOrgAccess(ADMIN_PRINCIPAL, 'org-2'))).toBeUndefined();
    expect(problemCode(() => assertOrgAccess(orgKey, 'org-1'))).toBeUndefined();
    expect(problemCode(() => assertOrgAccess(orgKey, 'org-2'))).toBe('404 PLATFORM_ORG_NOT_FOUND');
  });

  it('reserve admin operations to the admin key', () => {
    expect(problemCode(() => assertAdmin(ADMIN_PRINCIPAL))).toBeUndefined();
    expect(problemCode(() => assertAdmin(orgKey))).toBe('403 PLATFORM_ADMIN_REQUIRED');
  });

  it('have stable ids and actors for events', () => {
    expect(principalId(ADMIN_PRINCIPAL)).toBe('admin');
    expect(principalId(orgKey)).toBe('api_key:k1');
    expect(principalActor(ADMIN_PRINCIPAL)).toEqual({ type: 'system', id: 'admin_key' });
    expect(principalActor(orgKey)).toEqual({ type: 'service', id: 'api_key:k1' });
  });
});
