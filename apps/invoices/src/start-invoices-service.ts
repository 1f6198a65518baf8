import { type INestApplication, type LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  createTokenVerifier,
  followRevocationsOverHttp,
  type RevocationList,
  TokenVerificationError,
  type TokenVerifier,
} from '@mandate/sdk';
import { followRevocationsOnKafka } from '@mandate/sdk/kafka';
import { MandateAuthModule } from '@mandate/sdk/nest';
import { HealthController, REVOCATIONS } from './health.controller';
import { InvoiceBook } from './invoice-book';
import { CLOCK, InvoicesController } from './invoices.controller';

/** Where revocations come from: Mandate's HTTP feed (SSE), or its Kafka topic. */
export type RevocationSource =
  | { readonly over: 'http'; readonly baseUrl: string; readonly apiKey: string }
  | { readonly over: 'kafka'; readonly brokers: readonly string[]; readonly topicPrefix?: string };

export interface InvoicesServiceOptions {
  /** Mandate's issuer identifier (its base URL); discovery and JWKS are read from it. */
  readonly issuer: string;
  /** This service's identifier, which `aud` must contain; its own URL by default. */
  readonly audience?: string;
  /** 0 (the default) lets the system choose. */
  readonly port?: number;
  readonly host?: string;
  readonly revocations: RevocationSource;
  /** How long to wait for the initial revocation catch-up before giving up (10 s by default). */
  readonly readyTimeoutMs?: number;
  /** The clock approvals are stamped with. */
  readonly now?: () => Date;
  /** Nest's log levels (warnings and errors by default). */
  readonly logLevels?: LogLevel[];
}

export interface InvoicesService {
  readonly url: string;
  readonly audience: string;
  close(): Promise<void>;
}

const followRevocations = (source: RevocationSource): RevocationList => {
  switch (source.over) {
    case 'http':
      return followRevocationsOverHttp({ baseUrl: source.baseUrl, apiKey: source.apiKey });
    case 'kafka':
      return followRevocationsOnKafka({
        brokers: source.brokers,
        ...(source.topicPrefix === undefined ? {} : { topicPrefix: source.topicPrefix }),
      });
  }
};

const within = async (promise: Promise<void>, ms: number, what: string): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Starts the invoices API: tokens verified against Mandate's keys, grants revoked on Mandate's feed
 * refused at once. Resolves once it has caught up with the revocations and listens.
 */
export const startInvoicesService = async (options: InvoicesServiceOptions): Promise<InvoicesService> => {
  const revocations = followRevocations(options.revocations);
  let verifier: TokenVerifier | null = null;
  // The guard is wired before the app listens, the verifier once the audience (by default our URL) is known.
  const verifierOnceListening: TokenVerifier = {
    issuer: options.issuer,
    revocations,
    verify: (token) =>
      verifier === null
        ? Promise.reject(new TokenVerificationError('TOKEN_ISSUER_UNAVAILABLE', 'starting'))
        : verifier.verify(token),
    warmUp: async () => verifier?.warmUp(),
  };

  @Module({
    imports: [MandateAuthModule.forRoot({ verifier: verifierOnceListening, realm: 'invoices' })],
    controllers: [InvoicesController, HealthController],
    providers: [
      { provide: InvoiceBook, useValue: new InvoiceBook() },
      { provide: CLOCK, useValue: options.now ?? (() => new Date()) },
      { provide: REVOCATIONS, useValue: revocations },
    ],
  })
  class InvoicesModule {}

  let app: INestApplication | null = null;
  const close = async () => {
    await app?.close();
    await revocations.close();
  };
  try {
    await within(
      revocations.ready(),
      options.readyTimeoutMs ?? 10_000,
      `The initial catch-up of revocations (over ${options.revocations.over})`,
    );
    app = await NestFactory.create(InvoicesModule, { logger: options.logLevels ?? ['warn', 'error'] });
    await app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', 'localhost');
    const audience = options.audience ?? url;
    verifier = createTokenVerifier({ issuer: options.issuer, audience, revocations });
    return { url, audience, close };
  } catch (error) {
    await close();
    throw error;
  }
};
