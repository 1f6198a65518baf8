import { Inject, Injectable } from '@nestjs/common';
import { PLATFORM_CLOCK, type Clock } from '../persistence/platform-data-source';
import { apiKeySecretMatches, parseApiKey } from './api-key';
import { ApiKeyRepository, type ApiKeyRecord } from './api-key.repository';
import { type ApiKeyPrincipal } from './principal';

export type ApiKeyVerification =
  | { readonly ok: true; readonly principal: ApiKeyPrincipal }
  /** `invalid`: malformed, unknown, or a wrong secret (indistinguishable on purpose). */
  | { readonly ok: false; readonly reason: 'invalid' | 'revoked' };

/**
 * Decides whether a presented key is good, given the stored record of its key id. A revoked key is
 * reported as such only when its secret matches, so the answer tells nothing to someone without it.
 */
export const checkApiKey = (token: string, record: ApiKeyRecord | null, now: Date): ApiKeyVerification => {
  const parsed = parseApiKey(token);
  if (
    !parsed ||
    !record ||
    record.keyId !== parsed.keyId ||
    !apiKeySecretMatches(parsed.secret, record.secretHash)
  ) {
    return { ok: false, reason: 'invalid' };
  }
  if (record.revokedAt !== null && record.revokedAt.getTime() <= now.getTime())
    return { ok: false, reason: 'revoked' };
  return {
    ok: true,
    principal: { type: 'api_key', keyId: record.keyId, orgId: record.orgId, name: record.name },
  };
};

/** The port the auth guard verifies organization API keys through. */
export abstract class ApiKeyVerifier {
  abstract verify(token: string): Promise<ApiKeyVerification>;
}

/** Verifies keys against the `api_keys` read model. */
@Injectable()
export class StoredApiKeyVerifier extends ApiKeyVerifier {
  constructor(
    private readonly keys: ApiKeyRepository,
    @Inject(PLATFORM_CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  /** Reads of the read model in flight, by key id. */
  private readonly reading = new Map<string, Promise<ApiKeyRecord | null>>();

  async verify(token: string): Promise<ApiKeyVerification> {
    const parsed = parseApiKey(token);
    if (!parsed) return { ok: false, reason: 'invalid' };
    return checkApiKey(token, await this.record(parsed.keyId), this.clock());
  }

  /**
   * The stored record of a key id. Requests presenting the same key while its row is being read share
   * that read instead of queueing one each (an application's key is on every concurrent request): the
   * row they get is no older than the read — as if they had arrived a moment earlier — and a read
   * starting after the last one settled sees any revocation committed by then. Nothing is kept.
   */
  private record(keyId: string): Promise<ApiKeyRecord | null> {
    let read = this.reading.get(keyId);
    if (!read) {
      read = this.keys.find(keyId).finally(() => this.reading.delete(keyId));
      this.reading.set(keyId, read);
    }
    return read;
  }
}
