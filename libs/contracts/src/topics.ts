/** The bounded contexts that publish events (ARCHITECTURE §1); each owns one topic. */
export const CONTEXTS = ['directory', 'authn', 'authz', 'audit'] as const;

export type Context = (typeof CONTEXTS)[number];

export const isContext = (value: string): value is Context => (CONTEXTS as readonly string[]).includes(value);

/** The context an event type belongs to: its prefix before the first dot, or null when that is no context. */
export const contextOf = (eventType: string): Context | null => {
  const dot = eventType.indexOf('.');
  const prefix = dot === -1 ? eventType : eventType.slice(0, dot);
  return dot > 0 && isContext(prefix) ? prefix : null;
};

/** The one topic a context's integration events travel on: `mandate.<context>.events.v1`. */
export const topicFor = (context: Context): string => `mandate.${context}.events.v1`;

/** Where messages of `topic` that could not be delivered are parked, with the reason in their headers. */
export const deadLetterTopicFor = (topic: string): string => `${topic}.dlq`;
