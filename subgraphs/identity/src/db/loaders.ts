import { and, desc, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { anyOf, preparedQuery, rowLoader, groupLoader, type Authorization, type Database, type DataScope } from '@ipay/platform';
import {
  apiKeys,
  crmSyncJobs,
  merchants,
  partners,
  roleAssignments,
  roles,
  type CrmSyncJobRow,
  type MerchantRow,
  type RoleAssignmentRow,
  type RoleRow,
} from './schema.ts';
import type * as schema from './schema.ts';
import { createWebhookLoaders } from './webhook-loaders.ts';
import { createLocalizationLoaders } from './localization-loaders.ts';

/** Merchants have no mode: the same account has sandbox and live data. Only the merchant scope applies. */
export function merchantScope(scope: DataScope): SQL | undefined {
  if (scope.kind === 'ALL') return undefined;
  if (scope.kind === 'MERCHANTS' && scope.merchantIds.length) return inArray(merchants.id, scope.merchantIds);
  return sql`false`;
}

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    /** Merchants the caller may read; others load as null, exactly like merchants that do not exist. */
    merchantById: rowLoader<string, MerchantRow>(
      (ids) => {
        const scope = auth.require('merchants:read');
        // Built once per scope kind (see preparedQuery): every order list resolves its merchants here.
        const shape = scope.kind === 'ALL' ? 'all' : scope.kind === 'MERCHANTS' && scope.merchantIds.length ? 'merchants' : 'none';
        const query = preparedQuery(db, `identity.merchantById:${shape}`, (name) =>
          db
            .select()
            .from(merchants)
            .where(and(anyOf(merchants.id, 'ids'), shape === 'all' ? undefined : shape === 'merchants' ? anyOf(merchants.id, 'scope') : sql`false`))
            .prepare(name),
        );
        return query.execute({ ids, scope: scope.kind === 'MERCHANTS' ? scope.merchantIds : undefined });
      },
      (row) => row.id,
    ),
    roleById: rowLoader<string, RoleRow>(
      (ids) =>
        db
          .select()
          .from(roles)
          .where(inArray(roles.id, [...ids])),
      (row) => row.id,
    ),
    partnerById: rowLoader<string, typeof partners.$inferSelect>(
      (ids) =>
        db
          .select()
          .from(partners)
          .where(inArray(partners.id, [...ids])),
      (row) => row.id,
    ),
    assignmentsByGrantee: groupLoader<string, RoleAssignmentRow>(
      (keys) =>
        db
          .select()
          .from(roleAssignments)
          .where(and(inArray(sql`${roleAssignments.granteeKind} || ':' || ${roleAssignments.granteeId}`, [...keys]), isNull(roleAssignments.revokedAt))),
      (row) => `${row.granteeKind}:${row.granteeId}`,
    ),
    latestCrmSyncByMerchant: rowLoader<string, CrmSyncJobRow>(
      (ids) =>
        db
          .selectDistinctOn([crmSyncJobs.merchantId])
          .from(crmSyncJobs)
          .where(inArray(crmSyncJobs.merchantId, [...ids]))
          .orderBy(crmSyncJobs.merchantId, desc(crmSyncJobs.createdAt), desc(crmSyncJobs.id)),
      (row) => row.merchantId,
    ),
    apiKeyById: rowLoader<string, typeof apiKeys.$inferSelect>(
      (ids) =>
        db
          .select()
          .from(apiKeys)
          .where(inArray(apiKeys.id, [...ids])),
      (row) => row.id,
    ),
    ...createWebhookLoaders(db),
    ...createLocalizationLoaders(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
