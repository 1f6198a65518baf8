import { Controller, Get, Inject } from '@nestjs/common';
import { type RevocationList } from '@mandate/sdk';

export const REVOCATIONS = Symbol('REVOCATIONS');

/** Liveness, and whether the revocation feed is followed right now. */
@Controller('health')
export class HealthController {
  constructor(@Inject(REVOCATIONS) private readonly revocations: RevocationList) {}

  @Get()
  health() {
    return { status: 'ok', revocations: { connected: this.revocations.connected } };
  }
}
