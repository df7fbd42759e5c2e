import { ConsentMetricsError } from '../errors.ts';

const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'CredentialsProviderError',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE']);

/**
 * One line for a failed S3 call, naming what it was about (`s3://bucket/key`). Never includes
 * credentials: only the error's name, and its message for errors that carry no secret.
 *
 * @example
 * throw s3Error(error, 'listing', 's3://events/raw/');
 */
export function s3Error(error: unknown, action: string, location: string): ConsentMetricsError {
  const { name = 'Error', message = '', code, $metadata } = error as {
    name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number };
  };
  const status = $metadata?.httpStatusCode;
  const bucket = /^s3:\/\/[^/]+/.exec(location)?.[0] ?? location;
  let text: string;
  if (name === 'NoSuchBucket') text = `bucket not found: ${bucket}`;
  else if (name === 'NoSuchKey' || (name === 'NotFound' && status === 404)) text = `object not found: ${location}`;
  else if (CREDENTIAL_ERRORS.has(name)) text = `bad or missing AWS credentials (${name}) ${action} ${location}`;
  else if (name === 'AccessDenied' || status === 403) text = `access denied ${action} ${location}`;
  else if (NETWORK_CODES.has(code ?? name) || name === 'TimeoutError') text = `cannot reach S3 ${action} ${location}: ${code ?? name}`;
  else if (message.includes('Region is missing')) text = `no AWS region configured ${action} ${location}: set AWS_REGION`;
  else text = `S3 error ${action} ${location}: ${name}${status ? ` (HTTP ${status})` : ''}${message && message !== name ? `: ${message.split('\n')[0]}` : ''}`;
  return new ConsentMetricsError(text);
}
