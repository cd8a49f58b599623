import { and, eq } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import { forbidden, notFound, scopeCondition } from '@ipay/platform';
import { returnShipments } from '../db/schema.ts';
import { qrCodePng } from '../app/returns.ts';
import { simulateThroughWebhook } from '../app/scans.ts';
import type { ScanType } from '../domain/index.ts';
import type { Context } from '../context.ts';
import type { ReturnResolvers, ReturnShipmentResolvers } from '../generated/graphql.ts';

export const Return: ReturnResolvers = {
  shipment: (ref, _, { loaders }) => loaders.returnShipmentByReturnId.load(ref.id),
};

export const ReturnShipment: ReturnShipmentResolvers = {
  carrier: async (row, _, { loaders }) => (await loaders.carrierByCode.load(row.carrierCode))!,
  price: (row) => row.price?.total ?? null,
  label: async (row) => ({ qrPayload: row.qrPayload, qrCodePng: await qrCodePng(row.qrPayload) }),
};

/** Sandbox: the carrier's signed scan of a return shipment, sent to the real webhook route. */
export async function simulateReturnScan(ctx: Context, returnId: string, scan: ScanType) {
  const scope = ctx.auth.require('shipments:scan');
  if (ctx.auth.livemode) throw forbidden('the carrier scan simulator is sandbox only; live scans come from the carriers');
  const [row] = await ctx.db
    .select()
    .from(returnShipments)
    .where(
      and(
        eq(returnShipments.returnId, returnId),
        scopeCondition(scope, false, { merchantId: returnShipments.merchantId, livemode: returnShipments.livemode, carrierCode: returnShipments.carrierCode }),
      ),
    );
  if (!row) throw notFound('ReturnShipment', returnId);
  const deliveries = await simulateThroughWebhook(ctx.services, row, { scan });
  await ctx.mutate(async (uow) => {
    uow.audit({
      action: 'return_shipment.simulate_scan',
      entityType: 'ReturnShipment',
      entityId: row.id,
      merchantId: row.merchantId,
      after: { scan, deliveries: deliveries.map((d) => `${d.type} → HTTP ${d.httpStatus}`) },
    });
  });
  const failed = deliveries.find((d) => d.httpStatus >= 300);
  if (failed)
    throw new GraphQLError(`the ${row.carrierCode} webhook route answered HTTP ${failed.httpStatus} to the simulated ${failed.type} scan`, {
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  const [fresh] = await ctx.db.select().from(returnShipments).where(eq(returnShipments.id, row.id));
  return fresh!;
}
