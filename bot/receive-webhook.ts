import type { EmitterWebhookEventName } from '@octokit/webhooks';
import type { Probot } from 'probot';
import { errorMessage } from '../findings/errors.js';

/** API Gateway (REST v1 or HTTP v2) and Lambda Function URL requests: the fields the bot reads. */
export interface HttpEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined> | null;
  httpMethod?: string;
  requestContext?: { http?: { method?: string } };
}

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const json = (statusCode: number, value: object): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

/** The HTTP status an error asks for: webhooks wraps its errors in an AggregateError, the inner one has it. */
export function statusOf(error: unknown): number {
  const inner = error instanceof AggregateError ? [...error.errors][0] : error;
  const status = (inner as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

export function isHttpEvent(event: unknown): event is HttpEvent {
  return typeof event === 'object' && event !== null && ('requestContext' in event || 'httpMethod' in event);
}

/**
 * A webhook delivery over HTTP → Probot. Header names are lower-cased (API Gateway v1 keeps GitHub's
 * case); the raw body is verified against X-Hub-Signature-256 before anything runs: a missing or bad
 * signature is a 400 and nothing else happens.
 */
export async function receiveWebhook(probot: Probot, event: HttpEvent): Promise<HttpResult> {
  const method = (event.requestContext?.http?.method ?? event.httpMethod ?? '').toUpperCase();
  if (method !== 'POST') return json(405, { error: 'pipewarden: webhooks are POST requests' });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (typeof v === 'string') headers[k.toLowerCase()] = v;
  const name = headers['x-github-event'];
  const id = headers['x-github-delivery'];
  const signature = headers['x-hub-signature-256'];
  const missing = [
    !name && 'x-github-event',
    !id && 'x-github-delivery',
    !signature && 'x-hub-signature-256',
  ].filter(Boolean);
  if (missing.length)
    return json(400, { error: `pipewarden: required headers missing: ${missing.join(', ')}` });
  const body = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  try {
    await probot.webhooks.verifyAndReceive({
      id: id!,
      name: name as EmitterWebhookEventName,
      payload: body,
      signature: signature!,
    });
    return json(200, { ok: true });
  } catch (error) {
    const status = statusOf(error);
    // A 400 says what was wrong with the request; a 500 names the failure (never a secret).
    const message =
      status !== 400
        ? errorMessage(error)
        : /JSON/i.test(errorMessage(error))
          ? 'the body is not valid JSON'
          : 'signature does not match event payload and secret';
    return json(status, { error: `pipewarden: ${message}` });
  }
}
