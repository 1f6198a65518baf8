import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SessionsService } from './sessions.service';

/** A user's sign-in sessions at Mandate: what is open, and ending them. */
@ApiTags('authn: sessions')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/users/:userId/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({
    summary: "List the user's sign-in sessions",
    description:
      'Each session with when it was signed in, last used and expires, its amr / acr, and the applications ' +
      'signed in through it. Cookies are never shown.',
  })
  async list(@Param('orgId') orgId: string, @Param('userId') userId: string) {
    return { data: await this.sessions.list(orgId, userId) };
  }

  @Delete(':sessionId')
  @ApiOperation({
    summary: 'Revoke a session',
    description:
      'The browser must sign in again, the grants issued through the session are revoked and its applications ' +
      'receive a back-channel logout token. Answers what each application was told.',
  })
  async revoke(
    @Param('orgId') orgId: string,
    @Param('userId') userId: string,
    @Param('sessionId') sessionId: string,
  ) {
    return { logout: await this.sessions.revoke(orgId, userId, sessionId) };
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke every session of the user' })
  async revokeAll(@Param('orgId') orgId: string, @Param('userId') userId: string) {
    return { revoked: await this.sessions.revokeAllOf(orgId, userId) };
  }
}
