import type { IncomingMessage, ServerResponse } from 'node:http';
import { webhookErrorResponse, type NormalisedNotification, type PspAdapter, type WebhookResponse, type WebhookVerificationError } from './adapter.ts';

export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/**
 * Handles one inbound webhook over HTTP: reads the raw body, verifies and normalises it, hands the notifications to
 * `store` and answers the PSP. The PSP only gets its acknowledgement once `store` resolved; if `store` throws (database
 * down, a retryable refusal), the answer is 500 so the PSP delivers the notification again.
 */
export function webhookHandler(
  adapter: PspAdapter,
  store: (notifications: readonly NormalisedNotification[]) => Promise<void>,
  hooks: { onError?: (error: unknown) => void; onRefused?: (error: WebhookVerificationError) => void } = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const onError = hooks.onError ?? (() => {});
  const onRefused = hooks.onRefused ?? (() => {});
  return (req, res) => {
    void (async () => {
      let response: WebhookResponse;
      try {
        const rawBody = req.method === 'POST' ? await readRawBody(req) : undefined;
        if (rawBody === undefined) {
          response = { status: 405, contentType: 'text/plain', body: 'POST only' };
        } else if (rawBody === null) {
          response = { status: 413, contentType: 'text/plain', body: 'body too large' };
        } else {
          const parsed = await adapter.parseNotification({ headers: req.headers, rawBody });
          if (parsed.ok) {
            await store(parsed.notifications);
            response = adapter.acknowledgement;
          } else {
            onRefused(parsed.error);
            response = webhookErrorResponse(parsed.error);
          }
        }
      } catch (error) {
        onError(error);
        response = { status: 500, contentType: 'text/plain', body: 'not stored; deliver again' };
      }
      res.writeHead(response.status, { 'content-type': response.contentType, 'content-length': Buffer.byteLength(response.body) });
      res.end(response.body);
    })();
  };
}

/** The body's bytes, untouched (signatures are over them), or null past the size limit. */
export async function readRawBody(req: IncomingMessage, limit = MAX_WEBHOOK_BODY_BYTES): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
