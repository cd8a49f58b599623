import DataLoader from 'dataloader';
import { and, asc, desc, eq, getTableColumns, inArray, lte, sql } from 'drizzle-orm';
import { decodeCursor, groupLoader, type Database } from '@ipay/platform';
import { webhookAttempts, webhookDeliveries, type WebhookAttemptRow, type WebhookDeliveryRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';

export interface DeliveryPageKey {
  endpointId: string;
  status: WebhookDeliveryRow['status'] | null;
  /** Rows to fetch: the page size plus one (to tell whether another page exists). */
  limit: number;
  after: string | null;
}

/**
 * Per-request loaders of the webhook fields. A page of deliveries for many endpoints is one statement
 * (a window per endpoint), so listing endpoints with their deliveries does not cost a query per endpoint.
 */
export function createWebhookLoaders(db: Database<typeof schema>) {
  return {
    deliveryPages: new DataLoader<DeliveryPageKey, WebhookDeliveryRow[], string>(
      async (keys) => {
        const groups = new Map<string, DeliveryPageKey[]>();
        for (const key of keys) {
          const shape = JSON.stringify([key.status, key.limit, key.after]);
          groups.set(shape, [...(groups.get(shape) ?? []), key]);
        }
        const pages = new Map<string, WebhookDeliveryRow[]>();
        for (const group of groups.values()) {
          const { status, limit, after } = group[0]!;
          const [afterCreatedAt, afterId] = after ? decodeCursor(after, 2) : [];
          const ranked = db
            .select({
              ...getTableColumns(webhookDeliveries),
              rank: sql<number>`row_number() over (partition by ${webhookDeliveries.endpointId} order by ${webhookDeliveries.createdAt} desc, ${webhookDeliveries.id} desc)`.as(
                'rank',
              ),
            })
            .from(webhookDeliveries)
            .where(
              and(
                inArray(
                  webhookDeliveries.endpointId,
                  group.map((k) => k.endpointId),
                ),
                status ? eq(webhookDeliveries.status, status) : undefined,
                after ? sql`(${webhookDeliveries.createdAt}, ${webhookDeliveries.id}) < (${afterCreatedAt}::timestamptz, ${afterId})` : undefined,
              ),
            )
            .as('ranked');
          const rows = await db.select().from(ranked).where(lte(ranked.rank, limit)).orderBy(desc(ranked.createdAt), desc(ranked.id));
          for (const { rank: _rank, ...row } of rows) {
            const page = pages.get(`${row.endpointId}|${JSON.stringify([status, limit, after])}`) ?? [];
            page.push(row as WebhookDeliveryRow);
            pages.set(`${row.endpointId}|${JSON.stringify([status, limit, after])}`, page);
          }
        }
        return keys.map((key) => pages.get(`${key.endpointId}|${JSON.stringify([key.status, key.limit, key.after])}`) ?? []);
      },
      { cacheKeyFn: (key) => JSON.stringify([key.endpointId, key.status, key.limit, key.after]) },
    ),
    attemptsByDelivery: groupLoader<string, WebhookAttemptRow>(
      (ids) =>
        db
          .select()
          .from(webhookAttempts)
          .where(inArray(webhookAttempts.deliveryId, [...ids]))
          .orderBy(asc(webhookAttempts.deliveryId), asc(webhookAttempts.attemptNumber)),
      (row) => row.deliveryId,
    ),
  };
}
