import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { isManagementApiPath } from '../auth/api-auth.guard';

export const OPENAPI_UI_PATH = 'api/docs';
export const OPENAPI_JSON_PATH = 'api/docs/openapi.json';
export const BEARER_SCHEME = 'bearer';

export interface OpenApiOptions {
  readonly title?: string;
  readonly description?: string;
  readonly version?: string;
}

/**
 * The OpenAPI document of an app: every route Nest knows, the bearer scheme required on `/api`, none
 * on the probes.
 */
export const buildOpenApiDocument = (app: INestApplication, options: OpenApiOptions = {}): OpenAPIObject => {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title ?? 'Mandate API')
      .setDescription(
        options.description ??
          'Management API. Authenticate with "Authorization: Bearer <key>": the admin key or an organization API key. ' +
            'Errors are RFC 9457 application/problem+json with a stable `code`. POST honours Idempotency-Key.',
      )
      .setVersion(options.version ?? '1')
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: 'Admin key or organization API key' },
        BEARER_SCHEME,
      )
      .build(),
  );
  for (const [path, item] of Object.entries(document.paths)) {
    const security = isManagementApiPath(path) ? [{ [BEARER_SCHEME]: [] }] : [];
    for (const operation of Object.values(item)) {
      if (typeof operation === 'object' && operation !== null && 'responses' in operation) {
        (operation as { security?: unknown }).security = security;
      }
    }
  }
  return document;
};

/** Serves the UI at `/api/docs` and the document at `/api/docs/openapi.json` (no authentication). */
export const setupOpenApi = (app: INestApplication, options: OpenApiOptions = {}): OpenAPIObject => {
  const document = buildOpenApiDocument(app, options);
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    customSiteTitle: document.info.title,
  });
  return document;
};
