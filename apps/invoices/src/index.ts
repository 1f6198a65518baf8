export * from './invoice-book';
export * from './start-invoices-service';
export * from './invoices.config';
