import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { domainError, decodeCursor, isProduction, notFound, pageSize, toConnection } from '@ipay/platform';
import { carrierAging, contactsOf, statementDate } from '../app/statements.ts';
import { carrierInvoices, controlRuns, sandboxMail } from '../db/schema.ts';
import type { QueryResolvers } from '../generated/graphql.ts';
import { carrierCondition, requireCarrier, requirePlatform } from '../db/reconciliation-loaders.ts';

/** Keyset: newest first by (timestamp, id). */
const before = (after: string | null | undefined, at: PgColumn, id: PgColumn) => {
  if (!after) return undefined;
  const [time, key] = decodeCursor(after, 2);
  const instant = new Date(time!);
  if (Number.isNaN(instant.getTime())) return sql`false`;
  return or(lt(at, instant), and(eq(at, instant), lt(id, key!)));
};

export const ReconciliationQuery: QueryResolvers = {
  carrierInvoices: async (_, { first, after, carrier, status }, { db, auth }) => {
    const size = pageSize(first);
    const rows = await db
      .select()
      .from(carrierInvoices)
      .where(
        and(
          carrierCondition(auth, 'carrier_invoices:read'),
          carrier ? eq(carrierInvoices.carrierCode, carrier) : undefined,
          status ? eq(carrierInvoices.status, status) : undefined,
          before(after, carrierInvoices.importedAt, carrierInvoices.id),
        ),
      )
      .orderBy(desc(carrierInvoices.importedAt), desc(carrierInvoices.id))
      .limit(size + 1);
    return toConnection(rows, size, (r) => [r.importedAt.toISOString(), r.id]);
  },
  carrierInvoice: async (_, { id }, { loaders }) => (await loaders.carrierInvoiceById.load(id)) ?? Promise.reject(notFound('CarrierInvoice', id)),
  carrierStatement: async (_, { carrier, asOf }, { db, auth }) => {
    requireCarrier(auth, 'carrier_invoices:read', carrier);
    const day = statementDate(asOf);
    return {
      carrierCode: carrier,
      livemode: auth.livemode,
      report: await carrierAging(db, carrier, auth.livemode, day),
      contacts: await contactsOf(db, carrier, auth.livemode),
    };
  },
  controlRuns: async (_, { first, after }, { db, auth }) => {
    requirePlatform(auth, 'controls:read');
    const size = pageSize(first);
    const rows = await db
      .select()
      .from(controlRuns)
      .where(and(eq(controlRuns.livemode, auth.livemode), before(after, controlRuns.startedAt, controlRuns.id)))
      .orderBy(desc(controlRuns.startedAt), desc(controlRuns.id))
      .limit(size + 1);
    return toConnection(rows, size, (r) => [r.startedAt.toISOString(), r.id]);
  },
  controlRun: async (_, { id }, { db, auth }) => {
    requirePlatform(auth, 'controls:read');
    const [row] = await db
      .select()
      .from(controlRuns)
      .where(and(eq(controlRuns.id, id), eq(controlRuns.livemode, auth.livemode)));
    if (!row) throw notFound('ControlRun', id);
    return row;
  },
  sandboxMail: async (_, { first, after, to }, { db, auth }) => {
    requirePlatform(auth, 'controls:read');
    if (isProduction() || auth.livemode)
      throw domainError('SANDBOX_ONLY', 'captured mail exists only in the sandbox (test-mode credentials, outside production)');
    const size = pageSize(first);
    const rows = await db
      .select()
      .from(sandboxMail)
      .where(and(to ? sql`${sandboxMail.recipients} @> ${JSON.stringify([to])}::jsonb` : undefined, before(after, sandboxMail.receivedAt, sandboxMail.id)))
      .orderBy(desc(sandboxMail.receivedAt), desc(sandboxMail.id))
      .limit(size + 1);
    return toConnection(rows, size, (r) => [r.receivedAt.toISOString(), r.id]);
  },
};
