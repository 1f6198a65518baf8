/** Who approved an invoice: the token's `sub` and, when an agent acted for them, its `act.sub`. */
export interface Approval {
  /** `sub`: the human (or the principal itself when nobody acts for anybody). */
  readonly subject: string;
  /** `act.sub`: the agent acting for `subject`, or null. */
  readonly actor: string | null;
  readonly clientId: string;
  readonly grantId: string;
  readonly approvedAt: string;
}

export interface Invoice {
  readonly id: string;
  readonly vendor: string;
  readonly total: { readonly amount: string; readonly currency: string };
  readonly status: 'pending' | 'approved';
  readonly approval: Approval | null;
}

export type InvoiceErrorCode = 'INVOICES_NOT_FOUND' | 'INVOICES_ALREADY_APPROVED';

export class InvoiceError extends Error {
  override readonly name = 'InvoiceError';

  constructor(
    readonly code: InvoiceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Every organization starts with the same three pending invoices. */
const SAMPLE: readonly Invoice[] = [
  { id: 'inv-1', vendor: 'Northwind Traders', total: { amount: '1250.00', currency: 'EUR' } },
  { id: 'inv-2', vendor: 'Contoso Cloud', total: { amount: '89.90', currency: 'EUR' } },
  { id: 'inv-3', vendor: 'Fabrikam Office Supply', total: { amount: '412.35', currency: 'EUR' } },
].map((invoice) => ({ ...invoice, status: 'pending', approval: null }));

/**
 * The invoices of each organization, in memory: the organization of the token is the boundary, so
 * one organization never sees or approves another's invoices.
 */
export class InvoiceBook {
  private readonly byOrganization = new Map<string, Map<string, Invoice>>();

  list(orgId: string): Invoice[] {
    return [...this.invoicesOf(orgId).values()];
  }

  approve(orgId: string, invoiceId: string, approval: Approval): Invoice {
    const invoices = this.invoicesOf(orgId);
    const invoice = invoices.get(invoiceId);
    if (invoice === undefined) throw new InvoiceError('INVOICES_NOT_FOUND', `No invoice ${invoiceId}`);
    if (invoice.status === 'approved')
      throw new InvoiceError('INVOICES_ALREADY_APPROVED', `Invoice ${invoiceId} is already approved`);
    const approved: Invoice = { ...invoice, status: 'approved', approval };
    invoices.set(invoiceId, approved);
    return approved;
  }

  private invoicesOf(orgId: string): Map<string, Invoice> {
    let invoices = this.byOrganization.get(orgId);
    if (invoices === undefined) {
      invoices = new Map(SAMPLE.map((invoice) => [invoice.id, invoice]));
      this.byOrganization.set(orgId, invoices);
    }
    return invoices;
  }
}
