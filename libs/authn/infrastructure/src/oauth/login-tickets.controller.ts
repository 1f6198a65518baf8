import { Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LoginTickets } from './login-tickets';

@ApiTags('authn: sign-in')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/users/:userId/login-tickets')
export class LoginTicketsController {
  constructor(private readonly tickets: LoginTickets) {}

  @Post()
  @ApiOperation({
    summary: 'Issue a one-time login ticket for a user',
    description:
      'The user signs in with it at the authorization endpoint (five minutes, once), for the applications ' +
      "of the user's organization. Kept hashed.",
  })
  issue(@Param('orgId') orgId: string, @Param('userId') userId: string) {
    return this.tickets.issue(orgId, userId);
  }
}
