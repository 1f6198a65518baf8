import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { type Response } from 'express';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from '../http/platform.options';
import { ReadinessRegistry, type ReadinessReport } from './readiness';

/** Liveness and readiness probes, outside `/api` and unauthenticated. */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly registry: ReadinessRegistry,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformModuleOptions,
  ) {}

  /** The process is alive and serving HTTP. */
  @Get('health')
  @ApiOkResponse({ description: 'The process is alive.' })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Every registered indicator is up (200), or not (503). */
  @Get('ready')
  @ApiOkResponse({ description: 'Every dependency is up.' })
  @ApiServiceUnavailableResponse({ description: 'At least one dependency is down.' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<ReadinessReport> {
    const report = await this.registry.check(this.options.readinessTimeoutMs);
    response.status(report.status === 'up' ? 200 : 503);
    return report;
  }
}
