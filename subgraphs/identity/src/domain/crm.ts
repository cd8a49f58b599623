import { and, asc, eq, lte, sql } from 'drizzle-orm';
import { newId, type Database, type Logger } from '@ipay/platform';
import { crmSandboxRecords, crmSyncJobs, type MerchantRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';

type Db = Database<typeof schema>;

/** What a CRM learns about a merchant. */
export interface CrmAccountSnapshot {
  merchantId: string;
  slug: string;
  name: string;
  country: string;
  currency: string;
  onboardingStatus: string;
  updatedAt: string;
}

export const crmSnapshot = (m: MerchantRow): CrmAccountSnapshot => ({
  merchantId: m.id,
  slug: m.slug,
  name: m.name,
  country: m.country,
  currency: m.defaultCurrency,
  onboardingStatus: m.onboardingStatus,
  updatedAt: m.updatedAt.toISOString(),
});

/** The one thing IPAY asks of a CRM: keep this account as described. Real CRMs plug in here. */
export interface CrmAdapter {
  readonly name: string;
  upsertAccount(snapshot: CrmAccountSnapshot): Promise<void>;
}

export class CrmUnavailableError extends Error {}

/**
 * The sandbox CRM: records what would be synced in a table of its own. `failNext` makes it refuse the next
 * calls (as a CRM outage would), so the retrying sync can be exercised end to end.
 */
export class SandboxCrmAdapter implements CrmAdapter {
  readonly name = 'sandbox';
  private failures = 0;
  constructor(private readonly db: Db) {}

  failNext(count: number) {
    this.failures = count;
  }

  async upsertAccount(snapshot: CrmAccountSnapshot): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new CrmUnavailableError('sandbox CRM is unavailable (simulated outage)');
    }
    await this.db
      .insert(crmSandboxRecords)
      .values({ merchantId: snapshot.merchantId, payload: snapshot, syncedAt: new Date() })
      .onConflictDoUpdate({
        target: crmSandboxRecords.merchantId,
        set: { payload: snapshot, syncedAt: new Date(), syncCount: sql`${crmSandboxRecords.syncCount} + 1` },
      });
  }
}

/** Enqueued in the transaction of the change, so a merchant change is never lost on its way to the CRM. */
export async function enqueueCrmSync(tx: Db, merchant: MerchantRow): Promise<string> {
  const id = newId('crm');
  await tx.insert(crmSyncJobs).values({ id, merchantId: merchant.id, snapshot: crmSnapshot(merchant) });
  return id;
}

export const CRM_MAX_ATTEMPTS = 6;
/** 30 s, 1 min, 2 min, … capped at an hour. */
export const crmBackoffMs = (attempts: number) => Math.min(30_000 * 2 ** (attempts - 1), 3_600_000);

/** How long a claimed job is reserved for its worker; a worker that dies mid-call frees it after this. */
const LEASE_MS = 5 * 60_000;

/**
 * Processes due jobs. Jobs are claimed in a short transaction (`for update skip locked`, so several identity
 * replicas share the queue, and a lease, so a crashed worker's job comes back); the CRM is called outside any
 * transaction, since holding one open across a network call would block the database.
 */
export async function runCrmSync(db: Db, adapter: CrmAdapter, logger: Logger, now = new Date(), batch = 20): Promise<{ succeeded: number; failed: number; retrying: number }> {
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
      await tx.update(crmSyncJobs).set({ attempts: job.attempts + 1, nextAttemptAt: new Date(now.getTime() + LEASE_MS) }).where(eq(crmSyncJobs.id, job.id));
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
