import { Controller, Get, type INestApplication, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TestIssuer } from '../testing/test-issuer';
import { createTokenVerifier } from '../verification/token-verifier';
import { type VerifiedToken } from '../verification/token-verifier';
import { CurrentToken, MandateAuthGuard, MandateAuthModule, RequireScopes } from './mandate-auth.guard';

@Controller('projects')
@UseGuards(MandateAuthGuard)
@RequireScopes('projects:read')
class ProjectsController {
  @Get()
  list(@CurrentToken() token: VerifiedToken) {
    return { subject: token.subject, actor: token.actor, orgId: token.orgId };
  }

  @Get('admin')
  @RequireScopes('projects:admin')
  admin() {
    return { ok: true };
  }
}

describe('MandateAuthGuard (Nest)', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    const verifier = createTokenVerifier({ issuer: issuer.issuer, audience: 'https://api.example.test' });

    @Module({
      imports: [MandateAuthModule.forRoot({ verifier, realm: 'projects' })],
      controllers: [ProjectsController],
    })
    class AppModule {}

    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await issuer.close();
  });

  const get = (path: string, token?: string) =>
    fetch(`${base.replace('[::1]', '127.0.0.1')}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });

  it('lets a token with the controller scope through, and injects it with @CurrentToken()', async () => {
    const response = await get(
      '/projects',
      await issuer.sign({ scope: 'projects:read', act: { sub: 'agt_7' } }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      subject: 'usr_01jqk6ry4b0000000000000000',
      actor: 'agt_7',
      orgId: 'org_01jqk6ry4b0000000000000000',
    });
  });

  it('answers 401 with a challenge without a token or with a refused one', async () => {
    const missing = await get('/projects');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="projects", scope="projects:read"');
    const forged = await get('/projects', `${await issuer.sign({ scope: 'projects:read' })}x`);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await forged.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('answers 403 insufficient_scope when the handler needs more than the controller', async () => {
    const reader = await issuer.sign({ scope: 'projects:read' });
    const response = await get('/projects/admin', reader);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('scope="projects:read projects:admin"');
    expect(
      (await get('/projects/admin', await issuer.sign({ scope: 'projects:read projects:admin' }))).status,
    ).toBe(200);
  });
});
