import { type DynamicModule, Global, Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ApiAuthGuard } from '../auth/api-auth.guard';
import { ApiKeyRepository } from '../auth/api-key.repository';
import { ApiKeyVerifier, StoredApiKeyVerifier } from '../auth/api-key.verifier';
import { ProblemExceptionFilter } from '../errors/problem.filter';
import { HealthController } from '../health/health.controller';
import { DatabaseReadinessIndicator, ReadinessRegistry } from '../health/readiness';
import { IdempotencyCleanup } from '../idempotency/idempotency-cleanup';
import { IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { PLATFORM_CLOCK, PLATFORM_DATA_SOURCE } from '../persistence/platform-data-source';
import { PLATFORM_OPTIONS, type PlatformModuleOptions } from './platform.options';
import { PublicUrl } from './public-url';

/**
 * The management-API platform of an app: bearer authentication for `/api`, problem+json errors,
 * Idempotency-Key on POST, `/health` and `/ready` (with a database indicator). Global, so that any
 * module can inject `ReadinessRegistry`, `ApiKeyRepository` or `ApiKeyVerifier`. Import it once, in the
 * composition root, next to the TypeORM DataSource that holds `platformEntities`.
 */
@Global()
@Module({})
export class PlatformModule implements OnModuleInit {
  private readonly logger = new Logger('PlatformModule');

  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly database: DatabaseReadinessIndicator,
    @Inject(PLATFORM_OPTIONS) private readonly options: PlatformModuleOptions,
  ) {}

  static forRoot(options: PlatformModuleOptions = {}): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController],
      providers: [
        { provide: PLATFORM_OPTIONS, useValue: options },
        { provide: PLATFORM_DATA_SOURCE, useExisting: options.dataSource ?? DataSource },
        { provide: PLATFORM_CLOCK, useValue: options.clock ?? (() => new Date()) },
        ApiKeyRepository,
        { provide: ApiKeyVerifier, useClass: StoredApiKeyVerifier },
        IdempotencyRepository,
        IdempotencyCleanup,
        ReadinessRegistry,
        DatabaseReadinessIndicator,
        PublicUrl,
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_FILTER, useClass: ProblemExceptionFilter },
      ],
      exports: [
        ApiKeyRepository,
        ApiKeyVerifier,
        IdempotencyRepository,
        ReadinessRegistry,
        PLATFORM_CLOCK,
        PublicUrl,
        PLATFORM_OPTIONS,
      ],
    };
  }

  onModuleInit(): void {
    this.readiness.register(this.database);
    if (this.options.adminKey === undefined && this.options.adminKeySha256 === undefined) {
      this.logger.warn('MANDATE_ADMIN_KEY is not set: only organization API keys are accepted on /api');
    }
  }
}
