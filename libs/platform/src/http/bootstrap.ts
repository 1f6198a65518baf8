import { type DynamicModule, type Type } from '@nestjs/common';
import { type IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { uuidv7 } from '@mandate/eventstore';
import { type HttpEnv } from '../config/platform-env';
import { JsonLogger } from '../logging/json-logger';
import { requestContextMiddleware } from '../request-context/http-request-context';
import { type OpenApiOptions, setupOpenApi } from './openapi';
import { PublicUrl } from './public-url';

export interface HttpAppOptions extends OpenApiOptions {
  /** Largest request body accepted (413 beyond), default `1mb`. */
  readonly bodyLimit?: string;
  /** The app's logger; a JsonLogger at LOG_LEVEL by default. */
  readonly logger?: JsonLogger;
  /** Paths whose request bodies are left for their handler to read (an embedded protocol server). */
  readonly unparsedPathPrefixes?: readonly string[];
}

export interface HttpApp {
  readonly app: NestExpressApplication;
  readonly url: string;
  readonly logger: JsonLogger;
}

/**
 * Builds an app around its root module (which imports `PlatformModule`): JSON logs, request ids first,
 * JSON, form and raw (text, octet-stream) bodies up to `bodyLimit`, each also kept as `request.rawBody`
 * for signature checks (JSON also as `application/*+json`, e.g. SCIM), OpenAPI at
 * `/api/docs`, shutdown hooks for SIGTERM/SIGINT. Not listening yet.
 */
export const createHttpApp = async (
  module: Type | DynamicModule,
  config: Pick<HttpEnv, 'LOG_LEVEL'>,
  options: HttpAppOptions = {},
): Promise<{ app: NestExpressApplication; logger: JsonLogger }> => {
  const logger = options.logger ?? new JsonLogger(config.LOG_LEVEL);
  // rawBody: webhook receivers verify signatures on the bytes as sent (`request.rawBody`).
  const app = await NestFactory.create<NestExpressApplication>(module, {
    logger,
    bodyParser: false,
    rawBody: true,
  });
  const limit = options.bodyLimit ?? '1mb';
  app.disable('x-powered-by');
  app.use(requestContextMiddleware(logger, () => uuidv7()));
  const unparsed = options.unparsedPathPrefixes ?? [];
  const parse = (media: RegExp) => (req: IncomingMessage) =>
    media.test((req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()) &&
    !unparsed.some(
      (prefix) =>
        req.url === prefix || req.url?.startsWith(`${prefix}/`) || req.url?.startsWith(`${prefix}?`),
    );
  app.useBodyParser('json', { limit, type: parse(/^application\/([a-z0-9.-]+\+)?json$/) });
  app.useBodyParser('urlencoded', {
    limit,
    extended: false,
    type: parse(/^application\/x-www-form-urlencoded$/),
  });
  app.useBodyParser('raw', { limit, type: parse(/^(text\/plain|application\/octet-stream)$/) });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  setupOpenApi(app, options);
  return { app, logger };
};

const publicUrlOf = (app: NestExpressApplication): PublicUrl | undefined => {
  try {
    return app.get(PublicUrl, { strict: false });
  } catch {
    return undefined;
  }
};

/** `createHttpApp`, then listen on HOST:PORT; what every app's `main.ts` calls. */
export const bootstrapHttpApp = async (
  module: Type | DynamicModule,
  config: HttpEnv,
  options: HttpAppOptions = {},
): Promise<HttpApp> => {
  const { app, logger } = await createHttpApp(module, config, options);
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  publicUrlOf(app)?.set(config.MANDATE_PUBLIC_URL ?? url);
  logger.write('info', 'listening', { context: 'bootstrap', url });
  return { app, url, logger };
};
