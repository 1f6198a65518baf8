import { type AttributePath } from '../schema/attribute-path';
import { type ResolvedAttribute } from '../schema/schema-registry';

export type CompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le';
export const COMPARE_OPERATORS: readonly CompareOperator[] = [
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'lt',
  'ge',
  'le',
];

/** `compValue` (RFC 7644 §3.4.2.2). An unquoted word that is no JSON literal is a `string` (Entra). */
export type FilterLiteral =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number; readonly text: string }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'null' };

/** A filter as written, attribute paths not yet checked against any schema. */
export type FilterExpression =
  | {
      readonly kind: 'comparison';
      readonly path: AttributePath;
      readonly operator: CompareOperator;
      readonly value: FilterLiteral;
    }
  | { readonly kind: 'present'; readonly path: AttributePath }
  | { readonly kind: 'and' | 'or'; readonly filters: readonly FilterExpression[] }
  | { readonly kind: 'not'; readonly filter: FilterExpression }
  /** `emails[type eq "work"]`: the inner filter's paths are sub-attributes of `path`. */
  | { readonly kind: 'valuePath'; readonly path: AttributePath; readonly filter: FilterExpression };

/** A comparison value checked against the attribute's type: strings for string, reference, binary, dateTime. */
export type ComparisonValue = string | number | boolean;

/**
 * A filter resolved against a schema registry: every path names a known attribute, every comparison
 * suits its attribute's type. Inside a `valuePath`, attributes are relative to one value of the
 * multi-valued (or complex) attribute, so their `extension` is undefined.
 */
export type Filter =
  | {
      readonly kind: 'comparison';
      readonly attribute: ResolvedAttribute;
      readonly operator: CompareOperator;
      readonly value: ComparisonValue;
    }
  | { readonly kind: 'present'; readonly attribute: ResolvedAttribute }
  | { readonly kind: 'and' | 'or'; readonly filters: readonly Filter[] }
  | { readonly kind: 'not'; readonly filter: Filter }
  | { readonly kind: 'valuePath'; readonly attribute: ResolvedAttribute; readonly filter: Filter };
