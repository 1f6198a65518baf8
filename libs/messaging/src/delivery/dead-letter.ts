import { type IncomingHeaders } from '@mandate/contracts';

/** Where a message came from: a Kafka record, or an event read by an in-process subscription. */
export type MessageOrigin =
  | { readonly kind: 'kafka'; readonly topic: string; readonly partition: number; readonly offset: string }
  | { readonly kind: 'event-store'; readonly subscriptionId: string; readonly position: string };

/** A message as a transport received it, before it is decoded. */
export interface IncomingMessage {
  readonly origin: MessageOrigin;
  readonly key: string | Uint8Array | null;
  readonly headers: IncomingHeaders;
  readonly value: string | Uint8Array | null;
}

/**
 * `malformed`: the message breaks the wire contract (bad JSON, envelope, headers or data), so no
 * retry can help. `handler-failed`: the handler kept throwing until the retry policy gave up.
 */
export type DeadLetterReason = 'malformed' | 'handler-failed';

export interface DeadLetter {
  readonly reason: DeadLetterReason;
  readonly groupId: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  /** Handler attempts made; 0 for a malformed message. */
  readonly attempts: number;
  readonly message: IncomingMessage;
}

/** Keeps messages that could not be delivered, with why, so an operator can inspect and replay them. */
export interface DeadLetterSink {
  park(letter: DeadLetter): Promise<void>;
}

/** Headers a dead-lettered Kafka record carries beside its original ones. */
export const DEAD_LETTER_HEADERS = {
  reason: 'mandate_dead_letter_reason',
  error: 'mandate_error',
  errorCode: 'mandate_error_code',
  consumerGroup: 'mandate_consumer_group',
  attempts: 'mandate_attempts',
  originalTopic: 'mandate_original_topic',
  originalPartition: 'mandate_original_partition',
  originalOffset: 'mandate_original_offset',
  originalPosition: 'mandate_original_position',
  subscriptionId: 'mandate_subscription_id',
} as const;

export const describeError = (error: unknown): { code: string; message: string } => {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' ? code : error instanceof Error ? error.name : 'UNKNOWN',
    message: error instanceof Error ? error.message : String(error),
  };
};

export const describeOrigin = (origin: MessageOrigin): string => {
  switch (origin.kind) {
    case 'kafka':
      return `${origin.topic}/${origin.partition}@${origin.offset}`;
    case 'event-store':
      return `${origin.subscriptionId}@${origin.position}`;
  }
};

/** The metadata headers that explain why a record was dead-lettered and where it came from. */
export const deadLetterHeaders = (letter: DeadLetter): Record<string, string> => {
  const { origin } = letter.message;
  const originHeaders: Record<string, string> =
    origin.kind === 'kafka'
      ? {
          [DEAD_LETTER_HEADERS.originalTopic]: origin.topic,
          [DEAD_LETTER_HEADERS.originalPartition]: String(origin.partition),
          [DEAD_LETTER_HEADERS.originalOffset]: origin.offset,
        }
      : {
          [DEAD_LETTER_HEADERS.subscriptionId]: origin.subscriptionId,
          [DEAD_LETTER_HEADERS.originalPosition]: origin.position,
        };
  return {
    [DEAD_LETTER_HEADERS.reason]: letter.reason,
    [DEAD_LETTER_HEADERS.error]: letter.errorMessage,
    [DEAD_LETTER_HEADERS.errorCode]: letter.errorCode,
    [DEAD_LETTER_HEADERS.consumerGroup]: letter.groupId,
    [DEAD_LETTER_HEADERS.attempts]: String(letter.attempts),
    ...originHeaders,
  };
};
