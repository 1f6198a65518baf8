import { type z } from 'zod';

export type HrisPayloadErrorCode = 'HRIS_PAYLOAD_INVALID';

/** A delivery body that does not match its provider's format; `issues` lists each problem as `path: message`. */
export class HrisPayloadError extends Error {
  override readonly name = 'HrisPayloadError';
  readonly code: HrisPayloadErrorCode = 'HRIS_PAYLOAD_INVALID';

  constructor(
    readonly provider: string,
    readonly issues: readonly string[],
  ) {
    super(`HRIS_PAYLOAD_INVALID (${provider}): ${issues.join('; ')}`);
  }
}

const describeIssue = (issue: z.ZodError['issues'][number]): string => {
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
};

/** Parses with a schema, turning a zod failure into a `HrisPayloadError` that names each bad field. */
export const parseWith = <S extends z.ZodType>(provider: string, schema: S, value: unknown): z.output<S> => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HrisPayloadError(provider, result.error.issues.map(describeIssue));
};

/** The body as text when it arrived as bytes or text, otherwise `undefined` (already decoded). */
export const bodyText = (body: unknown): string | undefined => {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return undefined;
};

/** Decodes a JSON body given as bytes or text; a value that is already decoded is returned as is. */
export const decodeJsonBody = (provider: string, body: unknown): unknown => {
  const text = bodyText(body);
  if (text === undefined) return body;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HrisPayloadError(provider, ['body: not valid JSON']);
  }
};
