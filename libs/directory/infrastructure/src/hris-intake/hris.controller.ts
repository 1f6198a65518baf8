import { ApiProblem } from '@mandate/platform';
import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Request } from 'express';
import { DirectoriesService } from '../directories/directories.service';
import { HrisDeliveryRefused, HrisInbox } from './hris-inbox';

const lowerCaseHeaders = (request: Request): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name.toLowerCase(),
      Array.isArray(value) ? value.join(', ') : value,
    ]),
  );

/**
 * Where HR systems post: `/hris/{bamboohr|rippling|workday|generic}/{directoryId}`. A delivery is
 * acknowledged (202) only once its raw body is stored; a retry of a stored delivery is acknowledged
 * again and not processed twice. A bad or stale signature is refused (401) and nothing is stored.
 */
@ApiTags('hris webhooks')
@Controller('hris')
export class HrisController {
  constructor(private readonly inbox: HrisInbox) {}

  @Post(':provider/:directoryId')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Receive an HR system webhook',
    description: 'Signature formats and payloads per provider: docs/hris-webhooks.md.',
  })
  async receive(
    @Param('provider') provider: string,
    @Param('directoryId') directoryId: string,
    @Req() request: Request & { rawBody?: Buffer },
  ) {
    try {
      const accepted = await this.inbox.receive(
        { provider, directoryId },
        {
          headers: lowerCaseHeaders(request),
          rawBody: request.rawBody ?? Buffer.alloc(0),
          receivedAt: new Date(),
        },
      );
      return { id: accepted.id, deliveryId: accepted.deliveryId, duplicate: !accepted.first };
    } catch (error) {
      if (!(error instanceof HrisDeliveryRefused)) throw error;
      throw error.status === 404
        ? new ApiProblem('PLATFORM_NOT_FOUND', error.message)
        : new ApiProblem('PLATFORM_CREDENTIALS_INVALID', error.message, {
            extensions: { reason: error.code },
          });
    }
  }
}

/** What became of the webhooks an HRIS directory received. */
@ApiTags('hris webhooks')
@ApiBearerAuth()
@Controller('api/v1/organizations/:orgId/directories/:directoryId/deliveries')
export class HrisDeliveriesController {
  constructor(
    private readonly inbox: HrisInbox,
    private readonly directories: DirectoriesService,
  ) {}

  @Get(':deliveryId')
  @ApiOperation({ summary: 'How a delivery was processed (the id is the one the 202 returned)' })
  async delivery(
    @Param('orgId') orgId: string,
    @Param('directoryId') directoryId: string,
    @Param('deliveryId') id: string,
  ) {
    await this.directories.row(orgId, directoryId);
    const delivery = /^[0-9a-f-]{36}$/.test(id) ? await this.inbox.delivery(directoryId, id) : null;
    if (!delivery) throw new ApiProblem('PLATFORM_NOT_FOUND', 'No delivery has this id');
    return {
      id: delivery.id,
      deliveryId: delivery.delivery_id,
      status: delivery.status,
      error: delivery.error,
      receivedAt: delivery.received_at.toISOString(),
    };
  }
}
