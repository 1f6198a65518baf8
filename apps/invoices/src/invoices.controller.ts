import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { type VerifiedToken } from '@mandate/sdk';
import { CurrentToken, MandateAuthGuard, RequireScopes } from '@mandate/sdk/nest';
import { InvoiceBook, InvoiceError, type InvoiceErrorCode } from './invoice-book';

/** The clock approvals are stamped with (tests pass a fixed one). */
export const CLOCK = Symbol('CLOCK');

const STATUS: Record<InvoiceErrorCode, number> = { INVOICES_NOT_FOUND: 404, INVOICES_ALREADY_APPROVED: 409 };

/** The app's one mapping of its error codes to HTTP. */
@Catch(InvoiceError)
export class InvoiceErrorFilter implements ExceptionFilter<InvoiceError> {
  catch(error: InvoiceError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>()
      .status(STATUS[error.code])
      .json({ code: error.code, message: error.message });
  }
}

/**
 * The organization's invoices, for tokens of that organization: reading needs `invoices:read`,
 * approving `invoices:approve`. An approval records `sub` (the human) and `act.sub` (the agent acting
 * for them), so the books say who decided and who clicked.
 */
@Controller('invoices')
@UseGuards(MandateAuthGuard)
@UseFilters(InvoiceErrorFilter)
export class InvoicesController {
  constructor(
    @Inject(InvoiceBook) private readonly book: InvoiceBook,
    @Inject(CLOCK) private readonly now: () => Date,
  ) {}

  @Get()
  @RequireScopes('invoices:read')
  list(@CurrentToken() token: VerifiedToken) {
    return { data: this.book.list(token.orgId) };
  }

  @Post(':invoiceId/approve')
  @HttpCode(200)
  @RequireScopes('invoices:approve')
  approve(@Param('invoiceId') invoiceId: string, @CurrentToken() token: VerifiedToken) {
    return this.book.approve(token.orgId, invoiceId, {
      subject: token.subject,
      actor: token.actor,
      clientId: token.clientId,
      grantId: token.grantId,
      approvedAt: this.now().toISOString(),
    });
  }
}
