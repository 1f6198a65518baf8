import { requestContextOf, setContextPrincipal } from '@mandate/platform';
import {
  type BulkOperation,
  executeBulk,
  type ListQuery,
  parseBulkRequest,
  parseIfMatch,
  parseListQuery,
  parseSearchRequest,
  renderResourceType,
  renderResourceTypes,
  renderSchema,
  renderSchemas,
  renderServiceProviderConfig,
  type ResourceTypeName,
  ScimError,
} from '@mandate/scim';
import { All, Controller, Delete, Get, Param, Patch, Post, Put, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type Request, type Response } from 'express';
import { baseUrlOf } from '../http/base-url';
import { SCIM_CONTENT_TYPE, toScimError } from './scim-errors';
import {
  type Projection,
  SCIM_BULK_LIMITS,
  SCIM_MAX_RESULTS,
  type ScimResult,
  type ScimScope,
  ScimService,
} from './scim.service';

type RawRequest = Request & { rawBody?: Buffer };

const RESOURCE_TYPES: Readonly<Record<string, ResourceTypeName>> = {
  users: 'User',
  groups: 'Group',
  agents: 'Agent',
};

const typeOf = (endpoint: string): ResourceTypeName => {
  const type = RESOURCE_TYPES[endpoint.toLowerCase()];
  if (!type) throw new ScimError(404, undefined, 'No such SCIM endpoint');
  return type;
};

const list = (value: unknown): string[] =>
  (Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);

/** `attributes` / `excludedAttributes` of a single-resource request (RFC 7644 §3.9). */
const projectionOf = (request: Request): Projection => {
  const query = request.query as Record<string, unknown>;
  const lookup = (name: string) =>
    query[Object.keys(query).find((key) => key.toLowerCase() === name.toLowerCase()) ?? ''];
  return { attributes: list(lookup('attributes')), excludedAttributes: list(lookup('excludedAttributes')) };
};

const send = (response: Response, result: ScimResult): void => {
  response.status(result.status);
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
  if (result.body === undefined) {
    response.end();
    return;
  }
  response.type(SCIM_CONTENT_TYPE).send(JSON.stringify(result.body));
};

/**
 * SCIM 2.0 (RFC 7644) per directory at `/scim/v2/{directoryId}`: Users, Groups and Agents, with
 * discovery, `.search` and Bulk. Authenticated by the directory's bearer token; every error is a
 * SCIM error body (`application/scim+json`).
 */
@ApiExcludeController()
@Controller('scim/v2/:directoryId')
export class ScimController {
  constructor(private readonly scim: ScimService) {}

  @Get('ServiceProviderConfig')
  async serviceProviderConfig(@Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    this.refuseFilter(request);
    send(response, {
      status: 200,
      body: renderServiceProviderConfig({
        baseUrl: scope.baseUrl,
        bulk: { supported: true, ...SCIM_BULK_LIMITS },
        filter: { maxResults: SCIM_MAX_RESULTS },
      }),
    });
  }

  @Get('ResourceTypes')
  async resourceTypes(@Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    this.refuseFilter(request);
    send(response, { status: 200, body: renderResourceTypes(scope.registry, scope.baseUrl) });
  }

  @Get('ResourceTypes/:name')
  async resourceType(@Param('name') name: string, @Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    send(response, { status: 200, body: renderResourceType(scope.registry, name, scope.baseUrl) });
  }

  @Get('Schemas')
  async schemas(@Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    this.refuseFilter(request);
    send(response, { status: 200, body: renderSchemas(scope.registry, scope.baseUrl) });
  }

  @Get('Schemas/:id')
  async schema(@Param('id') id: string, @Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    send(response, { status: 200, body: renderSchema(scope.registry, id, scope.baseUrl) });
  }

  @All(['ServiceProviderConfig', 'ResourceTypes', 'ResourceTypes/:name', 'Schemas', 'Schemas/:id'])
  async discoveryIsReadOnly(@Req() request: Request, @Res() response: Response) {
    await this.scope(request);
    response.setHeader('Allow', 'GET');
    throw new ScimError(405, undefined, 'Discovery endpoints are read-only: use GET');
  }

  @All('Me')
  async me(@Req() request: Request) {
    await this.scope(request);
    throw new ScimError(
      501,
      undefined,
      '/Me is not supported: a directory token acts for the directory, not a user',
    );
  }

  @Post('Bulk')
  async bulk(@Req() request: RawRequest, @Res() response: Response) {
    const scope = await this.scope(request);
    const bulk = parseBulkRequest(request.body, {
      ...SCIM_BULK_LIMITS,
      ...(request.rawBody && { payloadSize: request.rawBody.length }),
    });
    const result = await executeBulk(bulk, async (operation) => {
      try {
        const answer = await this.bulkOperation(scope, operation);
        const createdId =
          operation.method === 'POST' ? (answer.body?.['id'] as string | undefined) : undefined;
        const location =
          answer.headers?.['Location'] ??
          (answer.id ? `${scope.baseUrl}/${answer.endpoint}/${answer.id}` : undefined);
        return {
          status: answer.status,
          ...(createdId !== undefined && { id: createdId }),
          ...(location !== undefined && { location }),
          ...(answer.headers?.['ETag'] !== undefined && { version: answer.headers['ETag'] }),
        };
      } catch (error) {
        throw toScimError(error);
      }
    });
    send(response, { status: 200, body: result as unknown as ScimResult['body'] });
  }

  @Post('.search')
  async searchAll(@Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    const types: ResourceTypeName[] = ['User', 'Group', 'Agent'];
    const queries: { type: ResourceTypeName; query: ListQuery }[] = [];
    let firstError: unknown;
    for (const type of types) {
      try {
        queries.push({
          type,
          query: parseSearchRequest(scope.registry, type, request.body, { maxResults: SCIM_MAX_RESULTS }),
        });
      } catch (error) {
        firstError ??= error;
      }
    }
    if (queries.length === 0) throw firstError;
    if (queries.some(({ query }) => query.sort)) {
      throw new ScimError(
        400,
        'invalidValue',
        'sortBy is not supported when searching every resource type at once',
      );
    }
    // Pages run across the types in a fixed order: first every user, then groups, then agents.
    const { startIndex, count } = queries[0]!.query;
    let skip = startIndex - 1;
    let remaining = count;
    let total = 0;
    const resources: unknown[] = [];
    for (const { type, query } of queries) {
      const counted = await this.scim.list(scope, type, { ...query, startIndex: 1, count: 0 });
      const typeTotal = counted.body!['totalResults'] as number;
      total += typeTotal;
      if (remaining > 0 && skip < typeTotal) {
        const page = await this.scim.list(scope, type, { ...query, startIndex: skip + 1, count: remaining });
        const found = page.body!['Resources'] as unknown[];
        resources.push(...found);
        remaining -= found.length;
      }
      skip = Math.max(0, skip - typeTotal);
    }
    send(response, {
      status: 200,
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: total,
        itemsPerPage: resources.length,
        startIndex,
        Resources: resources as never,
      },
    });
  }

  @Get(':endpoint')
  async list(@Param('endpoint') endpoint: string, @Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    const type = typeOf(endpoint);
    const query = parseListQuery(scope.registry, type, request.query as Record<string, string>, {
      maxResults: SCIM_MAX_RESULTS,
      defaultCount: 100,
    });
    send(response, await this.scim.list(scope, type, query));
  }

  @Post(':endpoint/.search')
  async search(@Param('endpoint') endpoint: string, @Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    const type = typeOf(endpoint);
    const query = parseSearchRequest(scope.registry, type, request.body, {
      maxResults: SCIM_MAX_RESULTS,
      defaultCount: 100,
    });
    send(response, await this.scim.list(scope, type, query));
  }

  @Post(':endpoint')
  async create(@Param('endpoint') endpoint: string, @Req() request: Request, @Res() response: Response) {
    const scope = await this.scope(request);
    send(response, await this.scim.create(scope, typeOf(endpoint), request.body, projectionOf(request)));
  }

  @Get(':endpoint/:id')
  async get(
    @Param('endpoint') endpoint: string,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    const scope = await this.scope(request);
    const result = await this.scim.get(scope, typeOf(endpoint), id, projectionOf(request));
    const ifNoneMatch = parseIfMatch(request.headers['if-none-match']);
    if (ifNoneMatch && result.headers?.['ETag'] && this.matches(ifNoneMatch, result.headers['ETag'])) {
      send(response, { status: 304, headers: result.headers });
      return;
    }
    send(response, result);
  }

  @Put(':endpoint/:id')
  replace(
    @Param('endpoint') endpoint: string,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    return this.modify('replace', endpoint, id, request, response);
  }

  @Patch(':endpoint/:id')
  patch(
    @Param('endpoint') endpoint: string,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    return this.modify('patch', endpoint, id, request, response);
  }

  @Delete(':endpoint/:id')
  async delete(
    @Param('endpoint') endpoint: string,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    const scope = await this.scope(request);
    send(
      response,
      await this.scim.delete(scope, typeOf(endpoint), id, parseIfMatch(request.headers['if-match'])),
    );
  }

  @All('*path')
  async unknown(@Req() request: Request) {
    await this.scope(request);
    throw new ScimError(404, undefined, 'No such SCIM endpoint');
  }

  /** One operation of a Bulk request, `bulkId:` references already resolved. */
  private async bulkOperation(
    scope: ScimScope,
    operation: BulkOperation,
  ): Promise<ScimResult & { endpoint: string; id: string | undefined }> {
    const [, endpoint = '', id] = operation.path.split('/');
    const type = typeOf(endpoint);
    const none: Projection = { attributes: [], excludedAttributes: [] };
    const ifMatch = parseIfMatch(operation.version);
    const on = { endpoint, id };
    if (id === undefined) {
      if (operation.method !== 'POST')
        throw new ScimError(400, 'invalidPath', `${operation.method} needs /${endpoint}/{id}`);
      return { ...on, ...(await this.scim.create(scope, type, operation.data, none)) };
    }
    switch (operation.method) {
      case 'POST':
        throw new ScimError(400, 'invalidPath', `POST goes to /${endpoint}, not to one resource`);
      case 'PUT':
        return { ...on, ...(await this.scim.replace(scope, type, id, operation.data, ifMatch, none)) };
      case 'PATCH':
        return { ...on, ...(await this.scim.patch(scope, type, id, operation.data, ifMatch, none)) };
      case 'DELETE':
        return { ...on, ...(await this.scim.delete(scope, type, id, ifMatch)) };
    }
  }

  private async modify(
    how: 'replace' | 'patch',
    endpoint: string,
    id: string,
    request: Request,
    response: Response,
  ): Promise<void> {
    const scope = await this.scope(request);
    const ifMatch = parseIfMatch(request.headers['if-match']);
    send(
      response,
      await this.scim[how](scope, typeOf(endpoint), id, request.body, ifMatch, projectionOf(request)),
    );
  }

  private async scope(request: Request): Promise<ScimScope> {
    const directoryId = String(request.params['directoryId']);
    const scope = await this.scim.authenticate(
      directoryId,
      request.headers.authorization,
      baseUrlOf(request),
    );
    const context = requestContextOf(request);
    if (context) setContextPrincipal(context, scope.principal);
    return scope;
  }

  /** Discovery collections ignore query parameters, and a filter is refused (RFC 7644 §4). */
  private refuseFilter(request: Request): void {
    if (Object.keys(request.query).some((key) => key.toLowerCase() === 'filter')) {
      throw new ScimError(403, undefined, 'Discovery endpoints cannot be filtered');
    }
  }

  private matches(condition: NonNullable<ReturnType<typeof parseIfMatch>>, etag: string): boolean {
    if (condition.kind === 'any') return true;
    const opaque = /"([^"]*)"/.exec(etag)?.[1];
    return condition.tags.some((tag) => tag.opaque === opaque);
  }
}
