export type ContractViolationCode =
  | 'CONTRACTS_MALFORMED_JSON'
  | 'CONTRACTS_INVALID_ENVELOPE'
  | 'CONTRACTS_INVALID_DATA'
  | 'CONTRACTS_INVALID_HEADERS';

/** A message that does not honour the wire contract; `issues` lists each problem as `path: message`. */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';

  constructor(
    readonly code: ContractViolationCode,
    readonly issues: readonly string[],
  ) {
    super(`${code}: ${issues.join('; ')}`);
  }
}

export type WireResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ContractViolation };

export const violation = (code: ContractViolationCode, issues: readonly string[]): WireResult<never> => ({
  ok: false,
  error: new ContractViolation(code, issues),
});

export const describeIssues = (
  issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[],
  pathPrefix = '',
): string[] =>
  issues.map((issue) => {
    const path = [pathPrefix, ...issue.path.map(String)].filter((part) => part !== '').join('.');
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
