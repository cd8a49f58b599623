import { and, asc, inArray, isNotNull, lt } from 'drizzle-orm';
import { runMutation, systemActor, type Database, type Logger } from '@ipay/platform';
import { auditHead, auditLog, outbox, paymentSessions, type PaymentSessionRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { applyPaymentEvent, lockSession, NothingToStore, unlessNothingToStore } from './payments.ts';
import type { PspAdapter, PspCode } from '../adapters/psp/adapter.ts';

const OPEN = ['CREATED', 'REQUESTED'] as const;

/**
 * Expires sessions the shopper did not pay before `expiresAt` (payment.failed with status "expired"), then asks the
 * PSP to cancel the payment so a late payment cannot be captured on a closed session. Safe to run in several processes:
 * each session is re-checked under its row lock.
 */
export async function expireOverdueSessions(
  db: Database<typeof schema>,
  adapterFor: (psp: PspCode, livemode: boolean) => PspAdapter | null,
  logger: Logger,
  now = new Date(),
  limit = 100,
): Promise<string[]> {
  const due = await db
    .select({ id: paymentSessions.id, livemode: paymentSessions.livemode })
    .from(paymentSessions)
    // Sessions started through the API (they carry the caller's idempotency key); seeded sandbox fixtures stay as seeded.
    .where(and(inArray(paymentSessions.status, [...OPEN]), lt(paymentSessions.expiresAt, now), isNotNull(paymentSessions.idempotencyKey)))
    .orderBy(asc(paymentSessions.expiresAt))
    .limit(limit);
  const expired: string[] = [];
  for (const { id, livemode } of due) {
    const row = await unlessNothingToStore<PaymentSessionRow, null>(() =>
      runMutation(db, { audit: { auditLog, auditHead }, outbox }, systemActor('system:payment-expiry', livemode), async (uow) => {
        const session = await lockSession(uow.tx, id);
        if (!session || !(OPEN as readonly string[]).includes(session.status) || session.expiresAt >= now) throw new NothingToStore<null>(null);
        const applied = await applyPaymentEvent(uow, session, { type: 'EXPIRE', source: 'system', eventId: `system:${id}:expired`, occurredAt: now });
        if (applied.outcome !== 'applied') throw new NothingToStore<null>(null);
        return applied.row;
      }),
    );
    if (!row) continue;
    expired.push(id);
    const adapter = row.pspReference ? adapterFor(row.psp as PspCode, row.livemode) : null;
    if (adapter && row.pspReference) {
      await adapter.cancel({ pspReference: row.pspReference, reference: row.reference, idempotencyKey: `${row.id}:expire` }).catch((error: unknown) => {
        // The PSP closes unpaid payments on its own as well; a late notification is then ignored as stale.
        logger.warn({ err: error, sessionId: row.id }, 'could not cancel an expired payment at the PSP');
      });
    }
  }
  return expired;
}
