import { deadLetterTopicFor, encodeCloudEvent, type IncomingHeaders } from '@mandate/contracts';
import { type RecordedEvent } from '@mandate/kernel';
import { type IHeaders, type Message } from 'kafkajs';
import { type DeadLetter, deadLetterHeaders } from '../delivery/dead-letter';

/** An event as a Kafka record: keyed by organization (per-org order), CloudEvents headers, JSON envelope. */
export const toKafkaMessage = (event: RecordedEvent): Message => {
  const { headers, value } = encodeCloudEvent(event);
  return { key: event.orgId, value, headers };
};

const toBuffer = (value: string | Uint8Array): Buffer | string =>
  typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);

const copyHeaders = (headers: IncomingHeaders): IHeaders =>
  Object.fromEntries(
    Object.entries(headers)
      .filter((entry): entry is [string, NonNullable<(typeof entry)[1]>] => entry[1] !== undefined)
      .map(([name, value]) => [
        name,
        Array.isArray(value)
          ? (value as readonly (string | Uint8Array)[]).map(toBuffer)
          : toBuffer(value as string | Uint8Array),
      ]),
  );

/**
 * The record that parks a Kafka message: its original key, value and headers, unchanged, plus the
 * headers that say why and where it came from, on the dead-letter topic of its topic.
 */
export const toDeadLetterRecord = (letter: DeadLetter): { topic: string; message: Message } => {
  const { origin, key, value, headers } = letter.message;
  if (origin.kind !== 'kafka')
    throw new Error(`A Kafka dead-letter topic cannot park a ${origin.kind} message`);
  return {
    topic: deadLetterTopicFor(origin.topic),
    message: {
      key: key === null ? null : toBuffer(key),
      value: value === null ? null : toBuffer(value),
      headers: { ...copyHeaders(headers), ...deadLetterHeaders(letter) },
    },
  };
};
