import { type Event, type RecordedEvent } from '@mandate/kernel';
import { type z } from 'zod';
import { describeIssues } from './contract-violation';
import { contextOf } from './topics';

/** `<context>.<entity>.<past-tense-verb>`, lower case words joined by dots (ARCHITECTURE §2). */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9]*(\.[a-z][a-zA-Z0-9_-]*){2,}$/;

export interface IntegrationEventDefinition<
  Type extends string = string,
  Schema extends z.ZodType = z.ZodType,
> {
  readonly type: Type;
  readonly version: number;
  /** Schema of the event's `data` at this version. */
  readonly schema: Schema;
  /** URI naming this (type, version), carried as the CloudEvents `dataschema` attribute. */
  readonly dataSchemaUri: string;
  /**
   * Narrows an event delivered by a transport, which has already validated its data against
   * this schema; it checks type and version only.
   */
  is(event: RecordedEvent): event is RecordedEvent<Event<Type, z.output<Schema>>>;
}

export type IntegrationEventValidation =
  | { readonly status: 'valid'; readonly data: unknown }
  | { readonly status: 'unknown' }
  | { readonly status: 'invalid'; readonly issues: readonly string[] };

/** The domain event a definition describes: its type and the output of its data schema. */
export type EventOf<Definition extends { type: string; schema: z.ZodType }> = Event<
  Definition['type'],
  z.output<Definition['schema']>
>;

export const dataSchemaUriFor = (type: string, version: number): string =>
  `urn:mandate:schema:${type}:v${version}`;

/**
 * The runtime schemas of the integration events, by (type, version). Definitions register
 * themselves when their module loads, so importing `@mandate/contracts` registers them all.
 *
 * A (type, version) that nobody defined is `unknown`: consumers receive such events with only
 * their envelope validated, so a producer can ship a new event or version before every consumer
 * knows it. A known pair whose data does not match its schema is a malformed message.
 */
export class IntegrationEventRegistry {
  private readonly definitions = new Map<string, IntegrationEventDefinition>();

  define<Type extends string, Schema extends z.ZodType>(
    type: Type,
    version: number,
    schema: Schema,
  ): IntegrationEventDefinition<Type, Schema> {
    if (!EVENT_TYPE_PATTERN.test(type) || contextOf(type) === null)
      throw new Error(`Integration event type "${type}" is not <context>.<entity>.<verb> of a known context`);
    if (!Number.isSafeInteger(version) || version < 1)
      throw new Error(`Integration event ${type} has version ${version}; versions are integers from 1`);
    const key = registryKey(type, version);
    if (this.definitions.has(key)) throw new Error(`Integration event ${type} v${version} is defined twice`);
    const definition: IntegrationEventDefinition<Type, Schema> = {
      type,
      version,
      schema,
      dataSchemaUri: dataSchemaUriFor(type, version),
      is: (event): event is RecordedEvent<Event<Type, z.output<Schema>>> =>
        event.type === type && event.schemaVersion === version,
    };
    this.definitions.set(key, definition);
    return definition;
  }

  lookup(type: string, version: number): IntegrationEventDefinition | undefined {
    return this.definitions.get(registryKey(type, version));
  }

  /** Validates `data` against the schema of (type, version), returning the schema's output when valid. */
  validate(type: string, version: number, data: unknown): IntegrationEventValidation {
    const definition = this.lookup(type, version);
    if (!definition) return { status: 'unknown' };
    const parsed = definition.schema.safeParse(data);
    return parsed.success
      ? { status: 'valid', data: parsed.data }
      : { status: 'invalid', issues: describeIssues(parsed.error.issues, 'data') };
  }
}

const registryKey = (type: string, version: number): string => `${type}@${version}`;

/** The registry every transport validates against. */
export const integrationEvents = new IntegrationEventRegistry();

export const defineIntegrationEvent = <Type extends string, Schema extends z.ZodType>(
  type: Type,
  version: number,
  schema: Schema,
): IntegrationEventDefinition<Type, Schema> => integrationEvents.define(type, version, schema);

export const validateIntegrationEvent = (
  type: string,
  schemaVersion: number,
  data: unknown,
): IntegrationEventValidation => integrationEvents.validate(type, schemaVersion, data);
