import { and, eq } from 'drizzle-orm';
import { runMutation, systemActor, type Database, type Logger } from '@ipay/platform';
import { auditHead, auditLog, outbox, paymentSessions } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { parsePaymentReference } from '../domain/reference.ts';
import { eventFromNotification, type NormalisedNotification, type PspCode } from '../adapters/psp/adapter.ts';
import { applyPaymentEvent, lockSession, NothingToStore, settleRefunds, unlessNothingToStore } from './payments.ts';

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

async function storeNotification(
  db: Db,
  psp: PspCode,
  livemode: boolean,
  notification: NormalisedNotification,
  rawPayloadRef: string | null,
  logger: Logger,
): Promise<NotificationOutcome> {
  const sessionId = await findSessionId(db, psp, livemode, notification);
  if (!sessionId) {
    // Our own reference that we do not know is not ours to act on; a bare PSP id may belong to a session whose
    // creation is still committing, so the PSP should try again.
    if (notification.merchantReference && parsePaymentReference(notification.merchantReference).ok) {
      logger.warn(
        { psp, pspEventId: notification.pspEventId, reference: notification.merchantReference },
        'PSP notification for an unknown session; acknowledged and skipped',
      );
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
      if (event.type === 'REFUND' || event.type === 'REFUND_FAILED')
        await settleRefunds(uow, applied.row, notification.modificationReference, event.type === 'REFUND_FAILED');
      return applied.outcome;
    }),
  );
}
