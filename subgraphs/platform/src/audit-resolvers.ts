import { forbidden } from './errors.ts';
import { listAuditRecords, verifyAuditChain, type AuditFilter, type AuditTables } from './audit.ts';
import type { Authorization } from './auth/guard.ts';
import type { AnyDatabase } from './db.ts';

interface AuditContext {
  db: AnyDatabase;
  auth: Authorization;
}

/**
 * Resolvers of one subgraph's `AuditTrail.<name>` field: the same in every subgraph, over its own tables.
 * Spread into the subgraph's resolver map: `{ AuditTrail: { commerce: auditLogResolver }, AuditLog: auditLogResolvers(audit) }`.
 */
export function auditLogResolvers(tables: AuditTables) {
  return {
    records: (_: unknown, args: { filter?: AuditFilter | null; first: number; after?: string | null }, { db, auth }: AuditContext) =>
      listAuditRecords(db, tables, auth, args),
    verification: async (_: unknown, __: unknown, { db, auth }: AuditContext) => {
      // The whole chain spans every merchant, so only a caller who may read all of it may verify it.
      if (auth.require('audit:read').kind !== 'ALL') throw forbidden('verifying the audit chain needs audit:read over all data');
      return verifyAuditChain(db, tables);
    },
  };
}

/** `Query.auditTrail` and the subgraph's `AuditTrail` field: plain objects the AuditLog resolvers fill in. */
export const auditTrailRoot = (): Record<string, never> => ({});
