import { ACR_MFA, authenticationContext } from '@mandate/authn-domain';
import { PostgresEventStore } from '@mandate/eventstore';
import {
  ApiKeyRepository,
  bootstrapHttpApp,
  ContextWriter,
  generateAdminKey,
  generateApiKey,
  JsonLogger,
  platformEntities,
  platformMigrations,
  PlatformModule,
  prefixedId,
  SecretBox,
} from '@mandate/platform';
import { Global, Module } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { describeWithServices, SoftwareWebauthnAuthenticator } from '@mandate/testing';
import { generate } from 'otplib';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { authnMigrations } from '../persistence/authn.migrations';
import { MfaController } from './mfa.controller';
import { CreateAuthnMfa1768262400000 } from './mfa.migration';
import { MfaProjection } from './mfa.projection';
import { MfaService } from './mfa.service';

const relyingParty = { rpId: 'example.com', rpName: 'Example', origin: 'https://login.example.com' };
const origin = relyingParty.origin;

/** Rejects with a DomainError of this code. */
const refused = (promise: Promise<unknown>, code: string) =>
  expect(promise).rejects.toMatchObject({ name: 'DomainError', code });

describeWithServices(['postgres'], 'MFA on PostgreSQL', ({ postgres }) => {
  const database = `mfa_test_${randomBytes(5).toString('hex')}`;
  const databaseUrl = () => {
    const url = new URL(postgres);
    url.pathname = `/${database}`;
    return url.toString();
  };
  let admin: DataSource;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let projection: MfaProjection;
  let service: MfaService;
  let now = new Date('2026-11-02T09:00:10.000Z');
  const orgId = prefixedId('org');

  beforeAll(async () => {
    admin = await new DataSource({ type: 'postgres', url: postgres, poolSize: 1 }).initialize();
    await admin.query(`create database ${database}`);
    dataSource = await new DataSource({
      type: 'postgres',
      url: databaseUrl(),
      entities: platformEntities,
      migrations: [...platformMigrations, ...authnMigrations, CreateAuthnMfa1768262400000],
      migrationsRun: true,
      poolSize: 4,
    }).initialize();
    store = await PostgresEventStore.create({
      connectionString: databaseUrl(),
      schema: 'authn_events',
      poolSize: 2,
    });
    projection = await MfaProjection.start(store, dataSource);
    const writer = new ContextWriter(store, projection, () => now, 'authn');
    service = new MfaService(dataSource, store, writer, new SecretBox(randomBytes(32)), {
      totpIssuer: 'Example',
    });
  });
  afterAll(async () => {
    await projection?.stop();
    await store?.close();
    await dataSource?.destroy();
    // A closed pool's backends linger for a moment; dropping under them would kill them mid-goodbye.
    for (let wait = 0; wait < 50; wait++) {
      const sessions = await admin.query<unknown[]>('select 1 from pg_stat_activity where datname = $1', [
        database,
      ]);
      if (sessions.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await admin?.query(`drop database if exists ${database}`);
    await admin?.destroy();
  });

  const newUser = async (): Promise<string> => {
    const userId = prefixedId('usr');
    await dataSource.query(
      `insert into authn.users (user_id, org_id, user_name, email, name, status, updated_at)
       values ($1, $2, $3, $4, 'Ada Lovelace', 'active', now())`,
      [userId, orgId, `ada-${userId}`, `ada-${userId.slice(-6)}@example.com`],
    );
    return userId;
  };
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  const codeAt = (secret: string, at = now) => generate({ secret, epoch: Math.floor(at.getTime() / 1000) });

  /** A user with a confirmed TOTP app, and its secret. */
  const withTotp = async () => {
    const userId = await newUser();
    const enrolment = await service.enrolTotp(orgId, userId);
    await service.confirmTotp(orgId, userId, enrolment.factorId, await codeAt(enrolment.secret));
    advance(30_000);
    return { userId, ...enrolment };
  };

  describe('TOTP', () => {
    it('is pending until a valid code confirms it, and the secret is never stored in clear', async () => {
      const userId = await newUser();
      const { factorId, otpauthUri, secret } = await service.enrolTotp(orgId, userId);
      expect(otpauthUri).toMatch(
        new RegExp(`^otpauth://totp/Example:ada-.*\\?secret=${secret}&issuer=Example`),
      );
      expect(await service.listFactors(orgId, userId)).toEqual([
        expect.objectContaining({ factorId, kind: 'totp', status: 'pending', confirmedAt: null }),
      ]);
      await refused(service.verifyTotp(orgId, userId, await codeAt(secret)), 'AUTHN_MFA_TOTP_NOT_ENROLLED');
      await refused(service.confirmTotp(orgId, userId, factorId, '000000'), 'AUTHN_MFA_CODE_INVALID');

      const confirmed = await service.confirmTotp(orgId, userId, factorId, await codeAt(secret));
      expect(confirmed).toMatchObject({ factorId, status: 'active', confirmedAt: now.toISOString() });
      const { events } = await store.readStream(`mfa-${userId}`);
      expect(JSON.stringify(events.map((event) => event.data))).not.toContain(secret);
    });

    it('verifies a code within one step of now, and never accepts a time step twice', async () => {
      const { userId, factorId, secret } = await withTotp();
      const code = await codeAt(secret);
      expect(await service.verifyTotp(orgId, userId, code)).toEqual({ factorId, factor: { kind: 'totp' } });
      await refused(service.verifyTotp(orgId, userId, code), 'AUTHN_MFA_CODE_REPLAYED');

      advance(30_000);
      // The code of the step before is within the window, but that step was spent.
      await refused(service.verifyTotp(orgId, userId, code), 'AUTHN_MFA_CODE_REPLAYED');
      const late = new Date(now.getTime() - 30_000 + 1_000);
      advance(30_000);
      await refused(service.verifyTotp(orgId, userId, await codeAt(secret, late)), 'AUTHN_MFA_CODE_INVALID');
      expect(await service.verifyTotp(orgId, userId, await codeAt(secret))).toMatchObject({ factorId });
      const [factor] = await service.listFactors(orgId, userId);
      expect(factor?.lastUsedAt).toBe(now.toISOString());
    });

    it('refuses a wrong code, a malformed one, and a second app while one is active', async () => {
      const { userId } = await withTotp();
      await refused(service.verifyTotp(orgId, userId, '123456'), 'AUTHN_MFA_CODE_INVALID');
      await refused(service.verifyTotp(orgId, userId, '12345a'), 'AUTHN_MFA_CODE_INVALID');
      await refused(service.enrolTotp(orgId, userId), 'AUTHN_MFA_TOTP_EXISTS');
      await refused(service.enrolTotp(orgId, prefixedId('usr')), 'AUTHN_USER_NOT_FOUND');
    });

    it('locks every factor of the user after five failures, until the lock expires', async () => {
      const { userId, secret } = await withTotp();
      for (let i = 0; i < 5; i++)
        await refused(service.verifyTotp(orgId, userId, '000000'), 'AUTHN_MFA_CODE_INVALID');
      const locked = service.verifyTotp(orgId, userId, await codeAt(secret));
      await expect(locked).rejects.toMatchObject({
        code: 'AUTHN_MFA_LOCKED',
        details: { lockedUntil: new Date(now.getTime() + 15 * 60_000).toISOString() },
      });
      await refused(service.useRecoveryCode(orgId, userId, 'aaaa-bbbb-cccc-dddd'), 'AUTHN_MFA_LOCKED');

      advance(15 * 60_000);
      await service.verifyTotp(orgId, userId, await codeAt(secret));
      // A success clears the count: four more failures do not lock.
      for (let i = 0; i < 4; i++)
        await refused(service.verifyTotp(orgId, userId, '000000'), 'AUTHN_MFA_CODE_INVALID');
      advance(30_000);
      await service.verifyTotp(orgId, userId, await codeAt(secret));
    });
  });

  describe('recovery codes', () => {
    it('are ten codes shown once, each usable once, replaced as a set', async () => {
      const userId = await newUser();
      const { factorId, codes } = await service.generateRecoveryCodes(orgId, userId);
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
      const { events } = await store.readStream(`mfa-${userId}`);
      const stored = JSON.stringify(events.map((event) => event.data));
      for (const code of codes) expect(stored).not.toContain(code.replace(/-/g, '').slice(0, 8));

      // Typed back in upper case, without dashes.
      expect(await service.useRecoveryCode(orgId, userId, codes[0]!.toUpperCase().replace(/-/g, ''))).toEqual(
        {
          factorId,
          factor: { kind: 'recovery_codes' },
          remaining: 9,
        },
      );
      await refused(service.useRecoveryCode(orgId, userId, codes[0]!), 'AUTHN_MFA_CODE_INVALID');
      expect(await service.listFactors(orgId, userId)).toEqual([
        expect.objectContaining({ factorId, kind: 'recovery_codes', details: { remaining: 9 } }),
      ]);

      const replacement = await service.generateRecoveryCodes(orgId, userId);
      await refused(service.useRecoveryCode(orgId, userId, codes[1]!), 'AUTHN_MFA_CODE_INVALID');
      await service.useRecoveryCode(orgId, userId, replacement.codes[1]!);
      expect(await service.listFactors(orgId, userId)).toEqual([
        expect.objectContaining({ factorId: replacement.factorId, details: { remaining: 9 } }),
      ]);
    });
  });

  describe('WebAuthn with a software authenticator', () => {
    const register = async (userId: string, authenticator: SoftwareWebauthnAuthenticator, name?: string) => {
      const options = await service.webauthnRegistrationOptions(orgId, userId, relyingParty);
      const response = authenticator.register(options, { origin });
      return service.verifyWebauthnRegistration(orgId, userId, response, name);
    };
    const assertion = async (
      userId: string,
      authenticator: SoftwareWebauthnAuthenticator,
      ceremony: { origin: string; rpId?: string } = { origin },
    ) => {
      const options = await service.webauthnAuthenticationOptions(orgId, userId, relyingParty);
      return authenticator.authenticate(options, ceremony);
    };

    it('registers a security key and signs in with it, the counter moving forward', async () => {
      const userId = await newUser();
      const key = SoftwareWebauthnAuthenticator.create({ transports: ['usb', 'nfc'] });
      const factor = await register(userId, key, 'YubiKey');
      expect(factor).toMatchObject({
        kind: 'webauthn',
        status: 'active',
        name: 'YubiKey',
        transports: ['usb', 'nfc'],
        details: { deviceType: 'singleDevice', backedUp: false, userVerified: true, counter: 0 },
      });

      const verified = await service.verifyWebauthnAuthentication(
        orgId,
        userId,
        await assertion(userId, key),
      );
      expect(verified).toEqual({
        factorId: factor.factorId,
        factor: { kind: 'webauthn', userVerified: true, deviceType: 'singleDevice' },
      });
      expect(authenticationContext(['pwd'], verified.factor)).toEqual({
        amr: ['pwd', 'hwk', 'user', 'mfa'],
        acr: ACR_MFA,
      });
      await service.verifyWebauthnAuthentication(orgId, userId, await assertion(userId, key));
      expect((await service.getFactor(orgId, userId, factor.factorId)).details).toMatchObject({ counter: 2 });

      // The same credential cannot be registered twice.
      const options = await service.webauthnRegistrationOptions(orgId, userId, relyingParty);
      expect(options.excludeCredentials).toEqual([
        { id: key.id, type: 'public-key', transports: ['usb', 'nfc'] },
      ]);
    });

    it('refuses a cloned authenticator whose counter falls behind', async () => {
      const userId = await newUser();
      const key = SoftwareWebauthnAuthenticator.create();
      await register(userId, key);
      await service.verifyWebauthnAuthentication(orgId, userId, await assertion(userId, key));
      const clone = key.clone();
      await service.verifyWebauthnAuthentication(orgId, userId, await assertion(userId, key));
      await refused(
        service.verifyWebauthnAuthentication(orgId, userId, await assertion(userId, clone)),
        'AUTHN_MFA_WEBAUTHN_COUNTER_REGRESSED',
      );
    });

    it('accepts a synced passkey without a counter, as swk', async () => {
      const userId = await newUser();
      const passkey = SoftwareWebauthnAuthenticator.create({
        synced: true,
        signCount: 'none',
        transports: ['hybrid', 'internal'],
      });
      await register(userId, passkey, 'iCloud Keychain');
      for (let i = 0; i < 2; i++) {
        const verified = await service.verifyWebauthnAuthentication(
          orgId,
          userId,
          await assertion(userId, passkey),
        );
        expect(authenticationContext([], verified.factor).amr).toEqual(['swk', 'user', 'mfa']);
      }
    });

    it('refuses a response from another origin or for another RP ID', async () => {
      const userId = await newUser();
      const key = SoftwareWebauthnAuthenticator.create();
      await register(userId, key);
      await refused(
        service.verifyWebauthnAuthentication(
          orgId,
          userId,
          await assertion(userId, key, { origin: 'https://login.evil.example' }),
        ),
        'AUTHN_MFA_WEBAUTHN_INVALID',
      );
      await refused(
        service.verifyWebauthnAuthentication(
          orgId,
          userId,
          await assertion(userId, key, { origin, rpId: 'login.example.com' }),
        ),
        'AUTHN_MFA_WEBAUTHN_INVALID',
      );
      const options = await service.webauthnRegistrationOptions(orgId, userId, relyingParty);
      const phished = SoftwareWebauthnAuthenticator.create().register(options, {
        origin: 'https://example.com.evil.example',
      });
      await refused(service.verifyWebauthnRegistration(orgId, userId, phished), 'AUTHN_MFA_WEBAUTHN_INVALID');
      await refused(
        service.webauthnRegistrationOptions(orgId, userId, { ...relyingParty, rpId: 'other.example' }),
        'AUTHN_MFA_RELYING_PARTY_INVALID',
      );
    });

    it('uses a challenge once, and not after it expires', async () => {
      const userId = await newUser();
      const key = SoftwareWebauthnAuthenticator.create();
      await register(userId, key);
      const response = await assertion(userId, key);
      await service.verifyWebauthnAuthentication(orgId, userId, response);
      await refused(
        service.verifyWebauthnAuthentication(orgId, userId, response),
        'AUTHN_MFA_CHALLENGE_INVALID',
      );

      const late = await assertion(userId, key);
      advance(5 * 60_000 + 1);
      await refused(service.verifyWebauthnAuthentication(orgId, userId, late), 'AUTHN_MFA_CHALLENGE_EXPIRED');
      // A registration challenge does not answer an authentication, nor the other way round.
      const options = await service.webauthnRegistrationOptions(orgId, userId, relyingParty);
      const crossed = key.authenticate({ challenge: options.challenge, rpId: relyingParty.rpId }, { origin });
      await refused(
        service.verifyWebauthnAuthentication(orgId, userId, crossed),
        'AUTHN_MFA_CHALLENGE_INVALID',
      );
    });
  });

  it('lists every kind of factor and removes one at a time', async () => {
    const { userId, factorId: totpId } = await withTotp();
    const key = SoftwareWebauthnAuthenticator.create();
    const options = await service.webauthnRegistrationOptions(orgId, userId, relyingParty);
    const credential = await service.verifyWebauthnRegistration(
      orgId,
      userId,
      key.register(options, { origin }),
    );
    const codes = await service.generateRecoveryCodes(orgId, userId);
    expect((await service.listFactors(orgId, userId)).map((factor) => factor.kind).sort()).toEqual([
      'recovery_codes',
      'totp',
      'webauthn',
    ]);
    expect(
      await service.requirement(orgId, userId, { required: true, allowedFactors: ['webauthn', 'totp'] }, [
        'pwd',
      ]),
    ).toEqual({ step: 'verify', factors: ['webauthn', 'totp'] });

    await service.removeFactor(orgId, userId, credential.factorId);
    await service.removeFactor(orgId, userId, totpId);
    await refused(service.removeFactor(orgId, userId, totpId), 'AUTHN_MFA_FACTOR_NOT_FOUND');
    await refused(service.getFactor(orgId, userId, totpId), 'AUTHN_MFA_FACTOR_NOT_FOUND');
    expect((await service.listFactors(orgId, userId)).map((factor) => factor.factorId)).toEqual([
      codes.factorId,
    ]);
    await refused(
      service.webauthnAuthenticationOptions(orgId, userId, relyingParty),
      'AUTHN_MFA_WEBAUTHN_NOT_ENROLLED',
    );
  });

  describe('the management API', () => {
    const adminKey = generateAdminKey();
    let app: NestExpressApplication;
    let url: string;
    let orgKey: string;

    beforeAll(async () => {
      @Global()
      @Module({
        providers: [
          { provide: DataSource, useValue: dataSource },
          { provide: MfaService, useValue: service },
        ],
        exports: [DataSource, MfaService],
      })
      class TestDependencies {}
      @Module({
        imports: [TestDependencies, PlatformModule.forRoot({ adminKey })],
        controllers: [MfaController],
      })
      class MfaTestApp {}
      ({ app, url } = await bootstrapHttpApp(
        MfaTestApp,
        { HOST: '127.0.0.1', PORT: 0, LOG_LEVEL: 'error' },
        { logger: new JsonLogger('error', () => undefined), title: 'MFA' },
      ));
      const key = generateApiKey();
      await app.get(ApiKeyRepository).upsertIssued({
        keyId: key.keyId,
        orgId,
        name: 'mfa e2e',
        secretHash: key.hash,
        lastFour: key.lastFour,
        createdAt: new Date(),
        revokedAt: null,
      });
      orgKey = key.token;
    });
    afterAll(async () => {
      await app?.close();
    });

    const call = async (method: string, path: string, body?: unknown, key = orgKey) => {
      const response = await fetch(`${url}/api/v1/organizations/${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
      };
    };

    it('enrols, lists and removes factors with an organization key', async () => {
      const userId = await newUser();
      const enrolled = await call('POST', `${orgId}/users/${userId}/mfa/totp`);
      expect(enrolled).toMatchObject({
        status: 201,
        body: { otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//) as string },
      });
      const { factorId, secret } = enrolled.body as { factorId: string; secret: string };
      const confirmed = await call('POST', `${orgId}/users/${userId}/mfa/totp/${factorId}/confirm`, {
        code: await codeAt(secret),
      });
      expect(confirmed).toMatchObject({ status: 200, body: { factorId, status: 'active' } });

      const key = SoftwareWebauthnAuthenticator.create();
      const options = await call(
        'POST',
        `${orgId}/users/${userId}/mfa/webauthn/registration-options`,
        relyingParty,
      );
      expect(options).toMatchObject({ status: 200, body: { rp: { id: 'example.com', name: 'Example' } } });
      const registered = await call('POST', `${orgId}/users/${userId}/mfa/webauthn/registrations`, {
        name: 'Backup key',
        response: key.register(options.body as never, { origin }),
      });
      expect(registered).toMatchObject({ status: 201, body: { kind: 'webauthn', name: 'Backup key' } });
      const codes = await call('POST', `${orgId}/users/${userId}/mfa/recovery-codes`);
      expect((codes.body as { codes: string[] }).codes).toHaveLength(10);

      const listed = await call('GET', `${orgId}/users/${userId}/mfa/factors`);
      expect(listed.status).toBe(200);
      const factors = (listed.body as { data: Record<string, unknown>[] }).data;
      expect(factors.map((factor) => factor['kind'])).toEqual(['totp', 'webauthn', 'recovery_codes']);
      expect(JSON.stringify(factors)).not.toContain(secret);

      expect((await call('DELETE', `${orgId}/users/${userId}/mfa/factors/${factorId}`)).status).toBe(204);
      expect(await call('GET', `${orgId}/users/${userId}/mfa/factors/${factorId}`)).toMatchObject({
        status: 404,
        type: expect.stringContaining('application/problem+json') as string,
        body: { code: 'AUTHN_MFA_FACTOR_NOT_FOUND' },
      });
    });

    it('answers problems: a wrong code, a bad body, another organization, an unknown user', async () => {
      const userId = await newUser();
      const { body } = await call('POST', `${orgId}/users/${userId}/mfa/totp`);
      const factorId = (body as { factorId: string }).factorId;
      expect(
        await call('POST', `${orgId}/users/${userId}/mfa/totp/${factorId}/confirm`, { code: '000000' }),
      ).toMatchObject({
        status: 403,
        body: { code: 'AUTHN_MFA_CODE_INVALID' },
      });
      expect(
        await call('POST', `${orgId}/users/${userId}/mfa/totp/${factorId}/confirm`, {
          code: '1',
          extra: true,
        }),
      ).toMatchObject({ status: 400, body: { code: 'PLATFORM_VALIDATION_FAILED' } });
      expect(
        await call('POST', `${orgId}/users/${userId}/mfa/webauthn/registration-options`, {
          ...relyingParty,
          origin: 'http://login.example.com',
        }),
      ).toMatchObject({ status: 400, body: { code: 'AUTHN_MFA_RELYING_PARTY_INVALID' } });
      expect(await call('GET', `${prefixedId('org')}/users/${userId}/mfa/factors`)).toMatchObject({
        status: 404,
        body: { code: 'PLATFORM_ORG_NOT_FOUND' },
      });
      expect(await call('GET', `${orgId}/users/${prefixedId('usr')}/mfa/factors`)).toMatchObject({
        status: 404,
        body: { code: 'AUTHN_USER_NOT_FOUND' },
      });
      expect((await call('GET', `${orgId}/users/${userId}/mfa/factors`, undefined, 'nope')).status).toBe(401);
    });
  });
});
