import { invalidSyntax, ScimError, type ScimErrorBody } from '../errors/scim-error';
import { findKeyIgnoringCase, isJsonObject, type JsonObject, type JsonValue } from '../json';
import { BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA } from '../schema/builtin-schemas';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS: readonly BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

export interface BulkOperation {
  /** Position in the request, from 0. */
  readonly index: number;
  readonly method: BulkMethod;
  readonly bulkId: string | undefined;
  readonly version: string | undefined;
  /** `/Users` for POST, `/Users/{id}` otherwise; may hold `bulkId:<id>`. */
  readonly path: string;
  readonly data: JsonValue | undefined;
}

export interface BulkRequest {
  /** Errors accepted before the rest is skipped; undefined means no limit. */
  readonly failOnErrors: number | undefined;
  readonly operations: readonly BulkOperation[];
}

export interface BulkLimits {
  readonly maxOperations: number;
  readonly maxPayloadSize: number;
  /** The size of the request body in bytes, when the caller knows it. */
  readonly payloadSize?: number;
}

/** What the caller's executor reports for one operation. */
export interface BulkOperationResult {
  readonly status: number;
  /** The id of the resource a POST created; `bulkId:` references to this operation resolve to it. */
  readonly id?: string;
  readonly location?: string;
  readonly version?: string;
  readonly response?: JsonValue;
}

export interface BulkResponseOperation {
  readonly method: BulkMethod;
  readonly bulkId?: string;
  readonly version?: string;
  readonly location?: string;
  /** The HTTP status as a string, as in RFC 7644 §3.7.3. */
  readonly status: string;
  readonly response?: JsonValue | ScimErrorBody;
}

export interface BulkResponse {
  readonly schemas: readonly [typeof BULK_RESPONSE_SCHEMA];
  readonly Operations: readonly BulkResponseOperation[];
}

/** Runs one operation, `bulkId:` references already replaced by resource ids. Throw a ScimError to fail it. */
export type BulkExecutor = (operation: BulkOperation) => Promise<BulkOperationResult>;

const BULK_ID_REFERENCE = /^bulkId:(.+)$/;
const tooLarge = (detail: string) => new ScimError(413, undefined, detail);

/** Validates a BulkRequest body (RFC 7644 §3.7); too many operations or too large a payload is 413. */
export const parseBulkRequest = (body: unknown, limits: BulkLimits): BulkRequest => {
  if (limits.payloadSize !== undefined && limits.payloadSize > limits.maxPayloadSize) {
    throw tooLarge(`the request is larger than the maximum of ${limits.maxPayloadSize} bytes`);
  }
  if (!isJsonObject(body)) throw invalidSyntax('the request body must be a JSON object');
  const get = (object: JsonObject, name: string): JsonValue | undefined => {
    const key = findKeyIgnoringCase(object, name);
    return key === undefined ? undefined : object[key];
  };
  const schemas = get(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.includes(BULK_REQUEST_SCHEMA)) {
    throw invalidSyntax(`'schemas' must be ["${BULK_REQUEST_SCHEMA}"]`);
  }
  const failOnErrors = get(body, 'failOnErrors');
  if (
    failOnErrors !== undefined &&
    (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1)
  ) {
    throw invalidSyntax("'failOnErrors' must be a positive integer");
  }
  const operations = get(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0)
    throw invalidSyntax("'Operations' must be a non-empty array");
  if (operations.length > limits.maxOperations) {
    throw tooLarge(`the request has ${operations.length} operations; the maximum is ${limits.maxOperations}`);
  }
  const bulkIds = new Set<string>();
  const parsed = operations.map((operation, index): BulkOperation => {
    const where = `operation ${index + 1}`;
    if (!isJsonObject(operation)) throw invalidSyntax(`${where} must be an object`);
    const method = get(operation, 'method');
    const upper = typeof method === 'string' ? method.toUpperCase() : '';
    if (!METHODS.includes(upper as BulkMethod))
      throw invalidSyntax(`${where}: 'method' must be POST, PUT, PATCH or DELETE`);
    const bulkId = get(operation, 'bulkId');
    if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === '')) {
      throw invalidSyntax(`${where}: 'bulkId' must be a non-empty string`);
    }
    if (upper === 'POST' && bulkId === undefined) throw invalidSyntax(`${where}: a POST needs a 'bulkId'`);
    if (typeof bulkId === 'string') {
      if (bulkIds.has(bulkId)) throw invalidSyntax(`${where}: bulkId '${bulkId}' is used twice`);
      bulkIds.add(bulkId);
    }
    const path = get(operation, 'path');
    const segments = typeof path === 'string' ? path.split('/').slice(1) : [];
    const expected = upper === 'POST' ? 1 : 2;
    if (
      typeof path !== 'string' ||
      !path.startsWith('/') ||
      segments.length !== expected ||
      segments.some((s) => s === '')
    ) {
      throw invalidSyntax(
        `${where}: 'path' must be ${upper === 'POST' ? '/{resourceType}' : '/{resourceType}/{id}'}`,
      );
    }
    const data = get(operation, 'data');
    if (upper !== 'DELETE' && !isJsonObject(data)) throw invalidSyntax(`${where}: a ${upper} needs 'data'`);
    const version = get(operation, 'version');
    if (version !== undefined && typeof version !== 'string')
      throw invalidSyntax(`${where}: 'version' must be a string`);
    return {
      index,
      method: upper as BulkMethod,
      bulkId: typeof bulkId === 'string' ? bulkId : undefined,
      version,
      path,
      data: upper === 'DELETE' ? undefined : data,
    };
  });
  return { failOnErrors, operations: parsed };
};

/** Every `bulkId:<id>` an operation refers to, in its path or anywhere in its data. */
export const bulkIdReferences = (operation: BulkOperation): string[] => {
  const found = new Set<string>();
  const visit = (value: JsonValue | undefined) => {
    if (typeof value === 'string') {
      const match = BULK_ID_REFERENCE.exec(value);
      if (match?.[1] !== undefined) found.add(match[1]);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (isJsonObject(value)) Object.values(value).forEach(visit);
  };
  operation.path.split('/').forEach(visit);
  visit(operation.data);
  return [...found];
};

const substitute = (
  value: JsonValue | undefined,
  ids: ReadonlyMap<string, string>,
): JsonValue | undefined => {
  if (typeof value === 'string') {
    const match = BULK_ID_REFERENCE.exec(value);
    return match?.[1] !== undefined ? (ids.get(match[1]) ?? value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, ids) ?? null);
  if (isJsonObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substitute(item, ids) ?? null]),
    );
  }
  return value;
};

const substitutePath = (path: string, ids: ReadonlyMap<string, string>): string =>
  path
    .split('/')
    .map((segment) => {
      const match = BULK_ID_REFERENCE.exec(segment);
      return match?.[1] !== undefined ? (ids.get(match[1]) ?? segment) : segment;
    })
    .join('/');

type Plan = { readonly order: BulkOperation[]; readonly refused: Map<number, string> };

/**
 * Orders operations so that each runs after the POSTs whose bulkIds it references (RFC 7644 §3.7.1),
 * keeping request order otherwise. Operations referring to an unknown bulkId, or caught in a cycle
 * (directly or through what they depend on), are refused rather than run.
 */
export const planBulk = (operations: readonly BulkOperation[]): Plan => {
  const definedBy = new Map(
    operations.flatMap((operation) =>
      operation.method === 'POST' && operation.bulkId !== undefined
        ? [[operation.bulkId, operation] as const]
        : [],
    ),
  );
  const refused = new Map<number, string>();
  const dependencies = new Map<number, BulkOperation[]>();
  for (const operation of operations) {
    const references = bulkIdReferences(operation);
    const unknown = references.find((reference) => !definedBy.has(reference));
    if (unknown !== undefined)
      refused.set(operation.index, `bulkId '${unknown}' is not defined by any POST in this request`);
    dependencies.set(
      operation.index,
      references.flatMap((reference) => {
        const definer = definedBy.get(reference);
        return definer ? [definer] : [];
      }),
    );
  }
  const order: BulkOperation[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (operation: BulkOperation, stack: BulkOperation[]): void => {
    const current = state.get(operation.index);
    if (current === 'done') return;
    if (current === 'visiting') {
      const cycle = stack.slice(stack.indexOf(operation));
      for (const member of cycle) {
        refused.set(
          member.index,
          `circular bulkId references between ${cycle.map((item) => `'${item.bulkId}'`).join(', ')}`,
        );
      }
      return;
    }
    state.set(operation.index, 'visiting');
    for (const dependency of dependencies.get(operation.index) ?? []) {
      if (dependency !== operation) visit(dependency, [...stack, operation]);
      else refused.set(operation.index, `operation refers to its own bulkId '${operation.bulkId}'`);
    }
    state.set(operation.index, 'done');
    order.push(operation);
  };
  for (const operation of operations) visit(operation, []);
  return { order, refused };
};

const errorEntry = (operation: BulkOperation, error: ScimError): BulkResponseOperation => ({
  method: operation.method,
  ...(operation.bulkId !== undefined ? { bulkId: operation.bulkId } : {}),
  status: String(error.status),
  response: error.toScimErrorBody(),
});

/**
 * Runs a bulk request through `execute`, one operation at a time in dependency order, and builds
 * the BulkResponse. After `failOnErrors` errors the remaining operations are neither run nor reported.
 * A ScimError thrown by `execute` fails that operation only; any other error propagates.
 */
export const executeBulk = async (request: BulkRequest, execute: BulkExecutor): Promise<BulkResponse> => {
  const { order, refused } = planBulk(request.operations);
  const ids = new Map<string, string>();
  const failed = new Set<string>();
  const results: BulkResponseOperation[] = [];
  let errors = 0;
  for (const operation of order) {
    if (request.failOnErrors !== undefined && errors >= request.failOnErrors) break;
    const pending = bulkIdReferences(operation).find((reference) => !ids.has(reference));
    const refusal =
      refused.get(operation.index) ??
      (pending !== undefined
        ? `bulkId '${pending}' cannot be resolved: ${failed.has(pending) ? 'its operation failed' : 'it has no id'}`
        : undefined);
    let entry: BulkResponseOperation;
    if (refusal !== undefined) {
      entry = errorEntry(operation, new ScimError(409, undefined, refusal));
    } else {
      const resolved: BulkOperation = {
        ...operation,
        path: substitutePath(operation.path, ids),
        data: substitute(operation.data, ids),
      };
      try {
        const result = await execute(resolved);
        if (
          result.status < 400 &&
          operation.method === 'POST' &&
          operation.bulkId !== undefined &&
          result.id
        ) {
          ids.set(operation.bulkId, result.id);
        }
        entry = {
          method: operation.method,
          ...(operation.bulkId !== undefined ? { bulkId: operation.bulkId } : {}),
          ...(result.version !== undefined ? { version: result.version } : {}),
          ...(result.location !== undefined ? { location: result.location } : {}),
          status: String(result.status),
          ...(result.response !== undefined ? { response: result.response } : {}),
        };
      } catch (error) {
        if (!(error instanceof ScimError)) throw error;
        entry = errorEntry(operation, error);
      }
    }
    if (Number(entry.status) >= 400) {
      errors += 1;
      if (operation.bulkId !== undefined) failed.add(operation.bulkId);
    }
    results.push(entry);
  }
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations: results };
};
