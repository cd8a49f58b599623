import { and, asc, eq, lte } from 'drizzle-orm';
import { newId, notFound, type Database, type Logger, type UnitOfWork } from '@ipay/platform';
import { crmSyncJobs, merchants, type CrmSyncJobRow, type MerchantRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { CRM_MAX_ATTEMPTS, crmBackoffMs, crmSnapshot, type CrmAccountSnapshot, type CrmAdapter } from '../domain/crm.ts';

type Db = Database<typeof schema>;

/** Enqueued in the transaction of the change, so a merchant change is never lost on its way to the CRM. */
export async function enqueueCrmSync(tx: Db, merchant: MerchantRow): Promise<string> {
  const id = newId('crm');
  await tx.insert(crmSyncJobs).values({ id, merchantId: merchant.id, snapshot: crmSnapshot(merchant) });
  return id;
}

/** How long a claimed job is reserved for its worker; a worker that dies mid-call frees it after this. */
const LEASE_MS = 5 * 60_000;

/**
 * Processes due jobs. Jobs are claimed in a short transaction (`for update skip locked`, so several identity
 * replicas share the queue, and a lease, so a crashed worker's job comes back); the CRM is called outside any
 * transaction, since holding one open across a network call would block the database.
 */
export async function runCrmSync(
  db: Db,
  adapter: CrmAdapter,
  logger: Logger,
  now = new Date(),
  batch = 20,
): Promise<{ succeeded: number; failed: number; retrying: number }> {
  const outcome = { succeeded: 0, failed: 0, retrying: 0 };
  const claimed = await db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(crmSyncJobs)
      .where(and(eq(crmSyncJobs.status, 'PENDING'), lte(crmSyncJobs.nextAttemptAt, now)))
      .orderBy(asc(crmSyncJobs.nextAttemptAt))
      .limit(batch)
      .for('update', { skipLocked: true });
    for (const job of due) {
      await tx
        .update(crmSyncJobs)
        .set({ attempts: job.attempts + 1, nextAttemptAt: new Date(now.getTime() + LEASE_MS) })
        .where(eq(crmSyncJobs.id, job.id));
    }
    return due.map((job) => ({ ...job, attempts: job.attempts + 1 }));
  });
  for (const job of claimed) {
    try {
      await adapter.upsertAccount(job.snapshot as CrmAccountSnapshot);
      await db.update(crmSyncJobs).set({ status: 'SUCCEEDED', completedAt: now, lastError: null }).where(eq(crmSyncJobs.id, job.id));
      outcome.succeeded += 1;
    } catch (error) {
      const message = (error as Error).message;
      const exhausted = job.attempts >= CRM_MAX_ATTEMPTS;
      await db
        .update(crmSyncJobs)
        .set({ lastError: message, status: exhausted ? 'FAILED' : 'PENDING', nextAttemptAt: new Date(now.getTime() + crmBackoffMs(job.attempts)) })
        .where(eq(crmSyncJobs.id, job.id));
      logger.warn({ job: job.id, merchant: job.merchantId, attempts: job.attempts, exhausted, err: message }, 'CRM sync failed');
      if (exhausted) outcome.failed += 1;
      else outcome.retrying += 1;
    }
  }
  return outcome;
}

/** `syncMerchantToCrm`: queues the merchant's current state for the CRM, audited as the caller's request. */
export async function requestCrmSync(uow: UnitOfWork<typeof schema>, merchantId: string): Promise<string> {
  const [merchant] = await uow.tx.select().from(merchants).where(eq(merchants.id, merchantId));
  if (!merchant) throw notFound('Merchant', merchantId);
  const id = await enqueueCrmSync(uow.tx, merchant);
  uow.audit({ action: 'merchant.crm_sync.request', entityType: 'Merchant', entityId: merchantId, merchantId, after: { job: id } });
  return id;
}

export async function crmSyncJob(db: Db, id: string): Promise<CrmSyncJobRow> {
  const [job] = await db.select().from(crmSyncJobs).where(eq(crmSyncJobs.id, id));
  return job!;
}
