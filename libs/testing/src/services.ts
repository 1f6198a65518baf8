/**
 * Real-service suites (PostgreSQL, Kafka, KurrentDB) run when the service is configured and are
 * skipped otherwise — unless REQUIRE_SERVICES names them, and then a missing service fails the run.
 * REQUIRE_SERVICES=1 means PostgreSQL and Kafka; a comma list (`postgres,kafka,eventstoredb`) names them.
 */
export type ExternalService = 'postgres' | 'kafka' | 'eventstoredb';

const variables: Record<ExternalService, string> = {
  postgres: 'DATABASE_URL',
  kafka: 'KAFKA_BROKERS',
  eventstoredb: 'EVENTSTORE_URL',
};

export const requiredServices = (value = process.env['REQUIRE_SERVICES'] ?? ''): Set<ExternalService> => {
  const raw = value.trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return new Set();
  if (raw === '1' || raw === 'true') return new Set(['postgres', 'kafka']);
  return new Set(raw.split(',').map((name) => name.trim()) as ExternalService[]);
};

/** The service's connection string, or null when it is not configured (and not required). */
export const serviceUrl = (service: ExternalService): string | null => {
  const url = process.env[variables[service]]?.trim();
  if (url) return url;
  if (requiredServices().has(service)) {
    throw new Error(
      `${service} is required (REQUIRE_SERVICES=${process.env['REQUIRE_SERVICES']}) but ${variables[service]} is not set`,
    );
  }
  return null;
};

/** `describe` that runs only when every named service is reachable through its environment variable. */
export const describeWithServices = (
  services: readonly ExternalService[],
  name: string,
  body: (urls: Record<ExternalService, string>) => void,
): void => {
  const urls = Object.fromEntries(services.map((service) => [service, serviceUrl(service)])) as Record<
    ExternalService,
    string | null
  >;
  const missing = services.filter((service) => urls[service] === null);
  if (missing.length > 0) {
    describe.skip(`${name} (needs ${missing.map((service) => variables[service]).join(', ')})`, () => {
      it('is skipped', () => undefined);
    });
    return;
  }
  describe(name, () => body(urls as Record<ExternalService, string>));
};
