import { httpAttemptResult, signedContent, streamedAction, type StreamedRecord } from '@mandate/audit-domain';
import { createHmac } from 'node:crypto';
import { refused, type StreamSender } from './stream-sender';

/**
 * POSTs each record to an HTTP endpoint as a Standard Webhooks message: `{type, timestamp, data}` with
 * `webhook-id` (the record id), `webhook-timestamp` and `webhook-signature: v1,<HMAC-SHA256>`.
 */
export class HttpSender implements StreamSender {
  readonly batchSize = 1;

  constructor(
    private readonly url: string,
    private readonly secret: Buffer,
    private readonly clock: () => Date,
    private readonly fetchFn: typeof fetch,
    private readonly timeoutMs: number,
  ) {}

  async send([record]: readonly StreamedRecord[]) {
    if (!record) return httpAttemptResult(204);
    const body = JSON.stringify({
      type: `mandate.audit.${streamedAction(record)}`,
      timestamp: record.occurredAt,
      data: record,
    });
    const timestamp = Math.floor(this.clock().getTime() / 1000);
    const signature = createHmac('sha256', this.secret)
      .update(signedContent(record.id, timestamp, body))
      .digest('base64');
    try {
      const response = await this.fetchFn(this.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'webhook-id': record.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': `v1,${signature}`,
        },
        body,
      });
      await response.arrayBuffer().catch(() => undefined);
      const retryAfter = Number(response.headers.get('retry-after'));
      return httpAttemptResult(
        response.status,
        null,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      );
    } catch (error) {
      return refused(error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
