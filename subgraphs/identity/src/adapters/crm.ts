import { sql } from 'drizzle-orm';
import type { Database } from '@ipay/platform';
import { crmSandboxRecords } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { CrmUnavailableError, type CrmAccountSnapshot, type CrmAdapter } from '../domain/crm.ts';

type Db = Database<typeof schema>;

/**
 * The sandbox CRM: records what would be synced in a table of its own. `failNext` makes it refuse the next
 * calls (as a CRM outage would), so the retrying sync can be exercised end to end.
 * It is the only CRM adapter so far and serves live mode too, so it lives with the adapters, not in sandbox/.
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
