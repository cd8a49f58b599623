import type { IncomingMessage, ServerResponse } from 'node:http';
import { and, eq } from 'drizzle-orm';
import { newId, runMutation, systemActor, type Database, type Logger, type RouteHandler } from '@ipay/platform';
import { auditHead, auditLog, outbox, paymentSessions, pspNotifications } from './db/schema.ts';
import type * as schema from './db/schema.ts';
import { parsePaymentReference } from './domain/reference.ts';
import { applyPaymentEvent, lockSession, NothingToStore, settleRefunds, unlessNothingToStore } from './payments.ts';
import { eventFromNotification, PSP_CODES, webhookErrorResponse, type NormalisedNotification, type ParseNotificationResult, type PspCode, type WebhookResponse } from './psp/adapter.ts';
import { readRawBody } from './psp/webhook.ts';
import { webhookPath, type PaymentsServices } from './services.ts';

type Db = Database<typeof schema>;

/** A notification the PSP should deliver again later (it overtook what it depends on, or we could not find its session yet). */
export class DeliverAgain extends Error {}

export type NotificationOutcome = 'applied' | 'recorded' | 'ignored' | 'duplicate' | 'unknown-session' | 'needs-attention';

/**
 * Stores verified notifications of one PSP and mode, each exactly once: the session row is locked (`select … for
 * update`), the event id is looked up in the session's history (unique index as the backstop), and the state machine
 * decides. Everything a notification changes commits together with its audit record (actor `psp:<psp>`) and events.
 */
export async function storeNotifications(
  db: Db,
  psp: PspCode,
  livemode: boolean,
  notifications: readonly NormalisedNotification[],
  rawPayloadRef: string | null,
  logger: Logger,
): Promise<NotificationOutcome[]> {
  const outcomes: NotificationOutcome[] = [];
  for (const notification of notifications) outcomes.push(await storeNotification(db, psp, livemode, notification, rawPayloadRef, logger));
  return outcomes;
}

async function findSessionId(db: Db, psp: PspCode, livemode: boolean, notification: NormalisedNotification): Promise<string | null> {
  const parsed = notification.merchantReference ? parsePaymentReference(notification.merchantReference) : null;
  const where = parsed?.ok ? eq(paymentSessions.reference, parsed.reference) : eq(paymentSessions.pspReference, notification.pspReference);
  const [row] = await db
    .select({ id: paymentSessions.id })
    .from(paymentSessions)
    // A notification only ever reaches a session of its own PSP and mode: a sandbox signature never moves live money.
    .where(and(where, eq(paymentSessions.psp, psp), eq(paymentSessions.livemode, livemode)));
  return row?.id ?? null;
}

async function storeNotification(db: Db, psp: PspCode, livemode: boolean, notification: NormalisedNotification, rawPayloadRef: string | null, logger: Logger): Promise<NotificationOutcome> {
  const sessionId = await findSessionId(db, psp, livemode, notification);
  if (!sessionId) {
    // Our own reference that we do not know is not ours to act on; a bare PSP id may belong to a session whose
    // creation is still committing, so the PSP should try again.
    if (notification.merchantReference && parsePaymentReference(notification.merchantReference).ok) {
      logger.warn({ psp, pspEventId: notification.pspEventId, reference: notification.merchantReference }, 'PSP notification for an unknown session; acknowledged and skipped');
      return 'unknown-session';
    }
    throw new DeliverAgain(`no session for ${psp} payment ${notification.pspReference} yet`);
  }
  const event = eventFromNotification(notification, rawPayloadRef);
  const tables = { audit: { auditLog, auditHead }, outbox };
  return unlessNothingToStore<NotificationOutcome, NotificationOutcome>(() =>
    runMutation(db, tables, systemActor(`psp:${psp}`, livemode), async (uow) => {
      const row = await lockSession(uow.tx, sessionId);
      if (!row) throw new Error(`payment session ${sessionId} vanished`);
      const applied = await applyPaymentEvent(uow, row, event);
      if (applied.outcome === 'duplicate') throw new NothingToStore<NotificationOutcome>('duplicate');
      if (applied.outcome === 'refused') {
        const refusal = applied.refusal!;
        if (refusal.retryable) throw new DeliverAgain(refusal.reason);
        // Money moved at the PSP in a way our state contradicts (captured after cancelled, ...): acknowledge so the
        // PSP stops retrying, and raise it for someone to reconcile.
        logger.error({ psp, sessionId, eventId: event.eventId, refusal }, 'PSP notification contradicts the payment session; needs reconciliation');
        throw new NothingToStore<NotificationOutcome>('needs-attention');
      }
      if (event.type === 'REFUND' || event.type === 'REFUND_FAILED') await settleRefunds(uow, applied.row, notification.modificationReference, event.type === 'REFUND_FAILED');
      return applied.outcome;
    }),
  );
}

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
  const route = (psp: PspCode): RouteHandler => async ({ req, res, logger: requestLogger }: { req: IncomingMessage; res: ServerResponse; logger: Logger }) => {
    if (req.method !== 'POST') return send(res, { status: 405, contentType: 'text/plain', body: 'POST only' });
    const rawBody = await readRawBody(req);
    if (rawBody === null) return send(res, { status: 413, contentType: 'text/plain', body: 'body too large' });
    const candidates = ([[false, services.adapters.sandbox[psp]], [true, services.adapters.live[psp]]] as const).filter(([, adapter]) => adapter);
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
      if (outcomes.includes('applied')) void services.settlePspWork().catch((err) => requestLogger.error({ err }, 'PSP follow-up after a webhook failed; the sweep retries'));
      return send(res, chosen.ack);
    } catch (error) {
      if (error instanceof DeliverAgain) requestLogger.info({ psp, reason: error.message }, 'PSP webhook not applicable yet; asked for redelivery');
      else requestLogger.error({ err: error, psp }, 'PSP webhook could not be stored');
      return send(res, { status: error instanceof DeliverAgain ? 503 : 500, contentType: 'text/plain', body: 'not stored; deliver again' });
    }
  };
  return Object.fromEntries(PSP_CODES.map((psp) => [webhookPath(psp), route(psp)]));
}
