import { invoicesConfigFrom } from './invoices.config';
import { startInvoicesService } from './start-invoices-service';

const main = async () => {
  const config = invoicesConfigFrom(process.env);
  const service = await startInvoicesService(config);
  console.log(
    `invoices listening on ${service.url} (audience ${service.audience}, issuer ${config.issuer}, ` +
      `revocations over ${config.revocations.over})`,
  );
  const stop = () => {
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
