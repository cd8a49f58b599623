import { and, eq } from 'drizzle-orm';
import { forbidden, notFound, scopeCondition } from '@ipay/platform';
import { GraphQLError } from 'graphql';
import { carriers, shipments } from '../db/schema.ts';
import { importTariffCsv, type Scenario, type ScanType } from '../domain/index.ts';
import type { MutationResolvers } from '../generated/graphql.ts';
import { confirmParcelRelease, reissueReleaseCode, verifyRelease } from '../app/releases.ts';
import { simulateThroughWebhook } from '../app/scans.ts';
import { createShipment } from '../app/shipping.ts';
import { savePickupLocation } from '../app/pickup-locations.ts';
import { simulateReturnScan } from './returns.ts';
import { replaceTariffs } from '../app/tariffs.ts';
import type { Context } from '../context.ts';

/** A shipment the caller may send (simulated) scans for; sandbox only. */
async function scannableShipment(ctx: Context, shipmentId: string) {
  const scope = ctx.auth.require('shipments:scan');
  if (ctx.auth.livemode) throw forbidden('the carrier scan simulator is sandbox only; live scans come from the carriers');
  const [shipment] = await ctx.db
    .select()
    .from(shipments)
    .where(
      and(
        eq(shipments.id, shipmentId),
        scopeCondition(scope, ctx.auth.livemode, { merchantId: shipments.merchantId, livemode: shipments.livemode, carrierCode: shipments.carrierCode }),
      ),
    );
  if (!shipment) throw notFound('Shipment', shipmentId);
  return shipment;
}

async function simulate(ctx: Context, shipmentId: string, what: { scenario: Scenario } | { scan: ScanType }) {
  const shipment = await scannableShipment(ctx, shipmentId);
  // Sent outside any transaction: the webhook route stores the scans in its own, as for a real carrier.
  const scans = await simulateThroughWebhook(ctx.services, shipment, what);
  const failed = scans.find((s) => s.httpStatus >= 300);
  await ctx.mutate(async (uow) => {
    uow.audit({
      action: 'shipment.simulate_scans',
      entityType: 'Shipment',
      entityId: shipment.id,
      merchantId: shipment.merchantId,
      after: { ...what, deliveries: scans.map((s) => `${s.type}@${s.occurredAt.toISOString()} → HTTP ${s.httpStatus}`) },
    });
  });
  if (failed)
    throw new GraphQLError(`the ${shipment.carrierCode} webhook route answered HTTP ${failed.httpStatus} to the simulated ${failed.type} scan`, {
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  const [fresh] = await ctx.db.select().from(shipments).where(eq(shipments.id, shipment.id));
  return { shipment: fresh!, scans };
}

export const Mutation: MutationResolvers = {
  importTariffs: async (_, { csv }, ctx) => {
    const scope = ctx.auth.require('tariffs:manage');
    // Carrier tariffs are platform-wide: a merchant-scoped grant cannot rewrite every merchant's prices.
    if (scope.kind !== 'ALL') throw forbidden('importing tariffs needs tariffs:manage over all data (platform operators)');
    const result = importTariffCsv(csv);
    if (!result.ok) return { imported: false, summary: null, errors: result.errors };
    const known = new Set((await ctx.db.select({ code: carriers.code }).from(carriers)).map((c) => c.code));
    const unknown = [...new Set([...result.book.rateCards.map((c) => c.carrierCode), ...result.book.surcharges.map((s) => s.carrierCode)])].filter(
      (c) => !known.has(c),
    );
    if (unknown.length) {
      return {
        imported: false,
        summary: null,
        errors: unknown.map((c) => ({ row: 1, column: 'carrier', message: `"${c}" is not a carrier (known: ${[...known].sort().join(', ')})` })),
      };
    }
    const livemode = ctx.auth.livemode;
    const { carriers: replaced } = await ctx.mutate(async (uow) => {
      const outcome = await replaceTariffs(uow.tx, livemode, result.book);
      uow.audit({
        action: 'tariffs.import',
        entityType: 'TariffImport',
        entityId: outcome.importId,
        merchantId: null,
        after: { ...result.summary, carriers: outcome.carriers, livemode },
      });
      return outcome;
    });
    return { imported: true, summary: { ...result.summary, carriers: replaced }, errors: [] };
  },
  createShipment: (_, { input }, ctx) => createShipment(ctx.db, ctx.auth, ctx.services, ctx.mutate, input),
  simulateCarrierScans: (_, { shipmentId, scenario }, ctx) => simulate(ctx, shipmentId, { scenario }),
  simulateCarrierScan: (_, { shipmentId, scan }, ctx) => simulate(ctx, shipmentId, { scan }),
  simulateReturnScan: (_, { returnId, scan }, ctx) => simulateReturnScan(ctx, returnId, scan),
  verifyRelease: (_, { input }, ctx) => verifyRelease(ctx.db, ctx.auth, ctx.services, ctx.mutate, input),
  confirmParcelRelease: (_, { releaseId }, ctx) => confirmParcelRelease(ctx.auth, ctx.mutate, releaseId.trim()),
  savePickupLocation: (_, { input }, ctx) => savePickupLocation(ctx.db, ctx.auth, ctx.mutate, input),
  reissueReleaseCode: (_, { shipmentId }, ctx) => reissueReleaseCode(ctx.db, ctx.auth, ctx.services, ctx.mutate, shipmentId.trim()),
};
