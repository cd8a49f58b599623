import { and, asc, inArray, sql, type SQL } from 'drizzle-orm';
import { forbidden, groupLoader, rowLoader, type Authorization, type Database, type Permission } from '@ipay/platform';
import { carrierInvoiceLines, carrierInvoices, controlResults, type CarrierInvoiceRow, type ControlResultRow } from './schema.ts';
import type * as schema from './schema.ts';

/**
 * Carrier data the caller may read: platform staff (scope ALL) every carrier's, a carrier partner (scope CARRIERS) its
 * own carriers'; always in the caller's mode.
 */
export function carrierCondition(auth: Authorization, permission: Permission): SQL {
  const scope = auth.require(permission);
  const mode = sql`${carrierInvoices.livemode} = ${auth.livemode}`;
  if (scope.kind === 'ALL') return mode;
  if (scope.kind === 'CARRIERS' && scope.carrierCodes.length) return and(mode, inArray(carrierInvoices.carrierCode, scope.carrierCodes))!;
  return sql`false`;
}

export function requireCarrier(auth: Authorization, permission: Permission, carrierCode: string): void {
  const scope = auth.require(permission);
  if (scope.kind === 'ALL' || (scope.kind === 'CARRIERS' && scope.carrierCodes.includes(carrierCode))) return;
  throw forbidden(`carrier ${carrierCode} is outside your scope`);
}

/** Controls and sandbox mail are platform staff's (scope ALL). */
export function requirePlatform(auth: Authorization, permission: Permission): void {
  if (auth.require(permission).kind !== 'ALL') throw forbidden(`${permission} needs platform-wide scope`);
}

const summaryColumns = {
  invoiceId: carrierInvoiceLines.invoiceId,
  classification: carrierInvoiceLines.classification,
  reason: carrierInvoiceLines.reason,
  resolution: carrierInvoiceLines.resolution,
  baseMinor: carrierInvoiceLines.baseMinor,
  surchargeMinor: carrierInvoiceLines.surchargeMinor,
  billedMinor: carrierInvoiceLines.billedMinor,
  expectedMinor: carrierInvoiceLines.expectedMinor,
};

export function createReconciliationLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    carrierInvoiceById: rowLoader<string, CarrierInvoiceRow>(
      (ids) =>
        db
          .select()
          .from(carrierInvoices)
          .where(and(inArray(carrierInvoices.id, [...ids]), carrierCondition(auth, 'carrier_invoices:read'))),
      (row) => row.id,
    ),
    /** The lines' reconciliation facts of many invoices in one statement (summaries are computed from them). */
    summaryLinesByInvoiceId: groupLoader(
      (ids: readonly string[]) =>
        db
          .select(summaryColumns)
          .from(carrierInvoiceLines)
          .where(inArray(carrierInvoiceLines.invoiceId, [...ids])),
      (row) => row.invoiceId,
    ),
    controlResultsByRunId: groupLoader<string, ControlResultRow>(
      (ids) =>
        db
          .select()
          .from(controlResults)
          .where(inArray(controlResults.runId, [...ids]))
          .orderBy(asc(controlResults.control)),
      (row) => row.runId,
    ),
  };
}
