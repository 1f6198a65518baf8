import { inflateRawSync } from 'node:zlib';
import { SamlLoginError } from './saml-errors';

export const MAX_INFLATED_SAML_MESSAGE_BYTES = 256 * 1024;

/**
 * Inflates an HTTP-Redirect binding message (raw DEFLATE, base64) with a hard output cap, so a
 * deflate bomb (≈1000:1) stops at `maxBytes` instead of exhausting memory — node-saml's own
 * redirect validation inflates without one.
 */
export const inflateBounded = (
  deflatedBase64: string,
  maxBytes = MAX_INFLATED_SAML_MESSAGE_BYTES,
): Buffer => {
  // A deflated message is never larger than its inflated form allows, so the input is capped too.
  if (deflatedBase64.length > maxBytes)
    throw new SamlLoginError(
      'saml_message_too_large',
      `The deflated SAML message exceeds ${maxBytes} characters`,
    );
  const base64 = deflatedBase64.replace(/[\r\n\t ]/g, '');
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
    throw new SamlLoginError('saml_malformed', 'The SAML message is not base64');
  try {
    return inflateRawSync(Buffer.from(base64, 'base64'), { maxOutputLength: maxBytes });
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new SamlLoginError(
        'saml_message_too_large',
        `The SAML message inflates to more than ${maxBytes} bytes`,
      );
    throw new SamlLoginError('saml_malformed', 'The SAML message is not valid DEFLATE data');
  }
};
