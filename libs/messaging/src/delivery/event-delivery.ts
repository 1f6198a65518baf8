import { decodeCloudEvent, type IntegrationEventRegistry, integrationEvents } from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { type EventHandler } from '../event-transport';
import { type MessagingLogger } from '../messaging-logger';
import { type DeadLetterSink, describeError, describeOrigin, type IncomingMessage } from './dead-letter';
import { backoffDelay, type RetryPolicy, waitWithKeepAlive } from './retry-policy';

export interface EventDeliveryOptions {
  readonly groupId: string;
  readonly handle: EventHandler;
  readonly retry: RetryPolicy;
  readonly deadLetters: DeadLetterSink;
  readonly logger: MessagingLogger;
  /** Aborted when the consumer stops: a delivery in back-off gives up without acknowledging. */
  readonly signal: AbortSignal;
  readonly registry?: IntegrationEventRegistry;
}

export type DeliveryOutcome = 'handled' | 'parked-malformed' | 'parked-poison';

/**
 * The consuming half both transports share, so handlers cannot tell them apart: decode and
 * validate the message, hand the event to the handler with retries, and park what cannot be
 * delivered. Resolving means the message may be acknowledged; it rejects only when the consumer
 * is stopping or the dead-letter sink failed, and then the message must be delivered again.
 */
export class EventDelivery {
  constructor(private readonly options: EventDeliveryOptions) {}

  async deliver(message: IncomingMessage, keepAlive?: () => Promise<void>): Promise<DeliveryOutcome> {
    const { groupId, deadLetters, logger } = this.options;
    const decoded = decodeCloudEvent(
      message.headers,
      message.value,
      this.options.registry ?? integrationEvents,
    );
    if (!decoded.ok) {
      await deadLetters.park({
        reason: 'malformed',
        groupId,
        errorCode: decoded.error.code,
        errorMessage: decoded.error.message,
        attempts: 0,
        message,
      });
      logger.warn(
        `MESSAGING_MALFORMED_MESSAGE_PARKED group=${groupId} origin=${describeOrigin(message.origin)} error=${decoded.error.message}`,
      );
      return 'parked-malformed';
    }
    return this.handleWithRetries(decoded.value, message, keepAlive);
  }

  private async handleWithRetries(
    event: RecordedEvent,
    message: IncomingMessage,
    keepAlive: (() => Promise<void>) | undefined,
  ): Promise<DeliveryOutcome> {
    const { groupId, handle, retry, deadLetters, logger, signal } = this.options;
    for (let attempt = 1; ; attempt += 1) {
      signal.throwIfAborted();
      try {
        await handle(event);
        return 'handled';
      } catch (error) {
        const { code, message: reason } = describeError(error);
        const where = `group=${groupId} event=${event.id} type=${event.type} origin=${describeOrigin(message.origin)}`;
        if (attempt >= retry.maxAttempts) {
          await deadLetters.park({
            reason: 'handler-failed',
            groupId,
            errorCode: code,
            errorMessage: reason,
            attempts: attempt,
            message,
          });
          logger.error(`MESSAGING_POISON_MESSAGE_PARKED ${where} attempts=${attempt} error=${reason}`);
          return 'parked-poison';
        }
        const delayMs = backoffDelay(retry, attempt);
        logger.warn(
          `MESSAGING_HANDLER_FAILED ${where} attempt=${attempt} retryInMs=${delayMs} error=${reason}`,
        );
        await waitWithKeepAlive(delayMs, signal, keepAlive);
      }
    }
  }
}
