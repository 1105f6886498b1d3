import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Probot } from 'probot';
import { receiveWebhook } from '../../../bot/receive-webhook.js';
/**
 * An HTTP request handler that does what the Lambda runtime does for a Function URL: the raw request as
 * an event with a base64 body, handed to the Lambda's webhook door (`receiveWebhook`).
 */
export function functionUrlDoor(probot: Probot): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void receiveWebhook(probot, {
        requestContext: { http: { method: req.method ?? 'GET' } },
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('base64'),
        isBase64Encoded: true,
      }).then((r) => res.writeHead(r.statusCode, r.headers).end(r.body));
    });
  };
}
