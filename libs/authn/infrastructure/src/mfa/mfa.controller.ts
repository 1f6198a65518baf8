import { ZodBody } from '@mandate/platform';
import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MfaService } from './mfa.service';

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url');

const confirmTotp = z.strictObject({ code: z.string().max(20) });

const relyingParty = z.strictObject({
  rpId: z.string().min(1).max(253),
  rpName: z.string().min(1).max(100),
  origin: z.string().min(1).max(300),
});

/** A `PublicKeyCredential` of `navigator.credentials.create()`, as `toJSON()` gives it (WebAuthn L3). */
const webauthnRegistration = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  response: z.strictObject({
    id: base64url.max(1400),
    rawId: base64url.max(1400),
    type: z.literal('public-key'),
    response: z.strictObject({
      clientDataJSON: base64url.max(10_000),
      attestationObject: base64url.max(100_000),
      authenticatorData: base64url.max(100_000).optional(),
      transports: z.array(z.string().max(20)).max(10).optional(),
      publicKeyAlgorithm: z.number().int().optional(),
      publicKey: base64url.max(10_000).optional(),
    }),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
    clientExtensionResults: z.record(z.string(), z.unknown()),
  }),
});

/**
 * Second factors of a user, for administrators: list and remove them, and enrol an authenticator
 * app, a security key or passkey, or a new set of recovery codes. The TOTP secret and the recovery
 * codes are in the answer once and never again. Verification during sign-in is not an HTTP API:
 * the login flow calls `MfaService` in-process.
 */
@ApiTags('authn: mfa')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/users/:userId/mfa')
export class MfaController {
  constructor(private readonly mfa: MfaService) {}

  @Get('factors')
  @ApiOperation({ summary: "List the user's second factors" })
  async list(@Param('orgId') orgId: string, @Param('userId') userId: string) {
    return { data: await this.mfa.listFactors(orgId, userId) };
  }

  @Get('factors/:factorId')
  @ApiOperation({ summary: 'Read a second factor' })
  get(@Param('orgId') orgId: string, @Param('userId') userId: string, @Param('factorId') factorId: string) {
    return this.mfa.getFactor(orgId, userId, factorId);
  }

  @Delete('factors/:factorId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a second factor (a lost key, a new phone, a spent set of codes)' })
  async remove(
    @Param('orgId') orgId: string,
    @Param('userId') userId: string,
    @Param('factorId') factorId: string,
  ) {
    await this.mfa.removeFactor(orgId, userId, factorId);
  }

  @Post('totp')
  @ApiOperation({
    summary: 'Enrol an authenticator app',
    description:
      'Answers the otpauth URI (for a QR code) and the secret, once. The factor is pending until confirmed.',
  })
  enrolTotp(@Param('orgId') orgId: string, @Param('userId') userId: string) {
    return this.mfa.enrolTotp(orgId, userId);
  }

  @Post('totp/:factorId/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm a pending authenticator app with a code it shows' })
  confirmTotp(
    @Param('orgId') orgId: string,
    @Param('userId') userId: string,
    @Param('factorId') factorId: string,
    @ZodBody(confirmTotp) body: z.infer<typeof confirmTotp>,
  ) {
    return this.mfa.confirmTotp(orgId, userId, factorId, body.code);
  }

  @Post('recovery-codes')
  @ApiOperation({ summary: 'Generate ten recovery codes, shown once; any earlier set stops working' })
  generateRecoveryCodes(@Param('orgId') orgId: string, @Param('userId') userId: string) {
    return this.mfa.generateRecoveryCodes(orgId, userId);
  }

  @Post('webauthn/registration-options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Options for navigator.credentials.create()',
    description: 'The challenge is single-use and expires after five minutes.',
  })
  webauthnRegistrationOptions(
    @Param('orgId') orgId: string,
    @Param('userId') userId: string,
    @ZodBody(relyingParty) body: z.infer<typeof relyingParty>,
  ) {
    return this.mfa.webauthnRegistrationOptions(orgId, userId, body);
  }

  @Post('webauthn/registrations')
  @ApiOperation({ summary: 'Register the credential navigator.credentials.create() returned' })
  verifyWebauthnRegistration(
    @Param('orgId') orgId: string,
    @Param('userId') userId: string,
    @ZodBody(webauthnRegistration) body: z.infer<typeof webauthnRegistration>,
  ) {
    return this.mfa.verifyWebauthnRegistration(orgId, userId, body.response, body.name);
  }
}
