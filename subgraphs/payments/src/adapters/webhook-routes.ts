import type { IncomingMessage, ServerResponse } from 'node:http';
import { newId, type Database, type Logger, type RouteHandler } from '@ipay/platform';
import { pspNotifications } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { DeliverAgain, storeNotifications } from '../app/notifications.ts';
import { PSP_CODES, webhookErrorResponse, type ParseNotificationResult, type PspCode, type WebhookResponse } from './psp/adapter.ts';
import { readRawBody } from './psp/webhook.ts';
import { webhookPath, type PaymentsServices } from '../app/services.ts';

type Db = Database<typeof schema>;

function send(res: ServerResponse, response: WebhookResponse): void {
  res.writeHead(response.status, { 'content-type': response.contentType, 'content-length': Buffer.byteLength(response.body) });
  res.end(response.body);
}

/**
 * One public route per PSP. The verifying adapter decides the mode: the sandbox adapter's secrets only ever reach
 * test-mode sessions, live secrets live sessions. The body is stored as received, then every notification is applied
 * before the PSP gets its acknowledgement; a failure answers 500 so the PSP delivers again.
 */
export function webhookRoutes(deps: { db: Db; services: PaymentsServices; logger: Logger }): Record<string, RouteHandler> {
  const { db, services } = deps;
  const route =
    (psp: PspCode): RouteHandler =>
    async ({ req, res, logger: requestLogger }: { req: IncomingMessage; res: ServerResponse; logger: Logger }) => {
      if (req.method !== 'POST') return send(res, { status: 405, contentType: 'text/plain', body: 'POST only' });
      const rawBody = await readRawBody(req);
      if (rawBody === null) return send(res, { status: 413, contentType: 'text/plain', body: 'body too large' });
      const candidates = (
        [
          [false, services.adapters.sandbox[psp]],
          [true, services.adapters.live[psp]],
        ] as const
      ).filter(([, adapter]) => adapter);
      if (candidates.length === 0) return send(res, { status: 404, contentType: 'text/plain', body: `${psp} is not configured` });
      let chosen: { livemode: boolean; result: Extract<ParseNotificationResult, { ok: true }>; ack: WebhookResponse } | null = null;
      let refused: Extract<ParseNotificationResult, { ok: false }> | null = null;
      for (const [livemode, adapter] of candidates) {
        const result = await adapter!.parseNotification({ headers: req.headers, rawBody });
        if (!result.ok) {
          refused ??= result;
          continue;
        }
        // An empty but valid answer (e.g. a Mollie id the sandbox does not know) may still be the other mode's.
        if (!chosen || result.notifications.length > 0) chosen = { livemode, result, ack: adapter!.acknowledgement };
        if (result.notifications.length > 0) break;
      }
      if (!chosen) {
        requestLogger.warn({ psp, code: refused!.error.code, reason: refused!.error.message }, 'refused a PSP webhook');
        return send(res, webhookErrorResponse(refused!.error));
      }
      try {
        let rawPayloadRef: string | null = null;
        if (chosen.result.notifications.length > 0) {
          rawPayloadRef = newId('pwh');
          await db.insert(pspNotifications).values({ id: rawPayloadRef, psp, livemode: chosen.livemode, body: rawBody.toString('utf8') });
        }
        const outcomes = await storeNotifications(db, psp, chosen.livemode, chosen.result.notifications, rawPayloadRef, requestLogger);
        requestLogger.info({ psp, livemode: chosen.livemode, rawPayloadRef, outcomes }, 'PSP webhook stored');
        // After the commit, without keeping the PSP waiting: void superseded sessions, submit capture reversals.
        if (outcomes.includes('applied'))
          void services.settlePspWork().catch((err) => requestLogger.error({ err }, 'PSP follow-up after a webhook failed; the sweep retries'));
        return send(res, chosen.ack);
      } catch (error) {
        if (error instanceof DeliverAgain) requestLogger.info({ psp, reason: error.message }, 'PSP webhook not applicable yet; asked for redelivery');
        else requestLogger.error({ err: error, psp }, 'PSP webhook could not be stored');
        return send(res, { status: error instanceof DeliverAgain ? 503 : 500, contentType: 'text/plain', body: 'not stored; deliver again' });
      }
    };
  return Object.fromEntries(PSP_CODES.map((psp) => [webhookPath(psp), route(psp)]));
}
