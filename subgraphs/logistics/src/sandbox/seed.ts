import { eq, inArray } from 'drizzle-orm';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, sandboxId, type Database, type SandboxOrderStatus } from '@ipay/platform';
import {
  carriers,
  orderPaymentStates,
  orderProjections,
  pickupLocations,
  rateCards,
  releaseAuthorizations,
  shipments,
  type ShipmentRow,
} from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { importTariffCsv } from '../domain/index.ts';
import { issueReleaseInTx } from '../app/releases.ts';
import { runAsSystem } from '../app/system.ts';
import { replaceTariffs } from '../app/tariffs.ts';
import { sandboxTariffCsv } from './tariffs.ts';
import { SANDBOX_PICKUP_LOCATIONS } from './pickup-locations.ts';
import type { LogisticsServices } from '../app/services.ts';

export const CARRIERS = [
  { code: 'ups', name: 'UPS' },
  { code: 'dhl', name: 'DHL' },
  { code: 'postnl', name: 'PostNL' },
  { code: 'dpd', name: 'DPD' },
  { code: 'gls', name: 'GLS' },
  { code: 'inpost', name: 'InPost' },
];

/** Where the parcel of an order in each sandbox order status is; orders not yet paid have no parcel. */
const SHIPMENT_STATUS: Record<SandboxOrderStatus, ShipmentRow['status'] | null> = {
  CREATED: null,
  AWAITING_PAYMENT: null,
  PAID: 'LABEL_CREATED',
  OUT_FOR_DELIVERY: 'OUT_FOR_DELIVERY',
  RELEASED: 'DELIVERED',
  DELIVERED: 'DELIVERED',
  RETURNED: 'RETURNED_TO_SENDER',
  REFUNDED: 'RETURNED_TO_SENDER',
  CANCELLED: null,
};

/**
 * The order payment state of each sandbox order status, as payments would publish it (its sessions: see
 * payments/src/seed.ts; the funds-holding session of a paid order is sandboxId('pay', order)).
 */
const PAYMENT_STATE: Record<SandboxOrderStatus, 'UNPAID' | 'PAID' | 'REFUNDED' | null> = {
  CREATED: null,
  AWAITING_PAYMENT: 'UNPAID',
  PAID: 'PAID',
  OUT_FOR_DELIVERY: 'PAID',
  RELEASED: 'PAID',
  DELIVERED: 'PAID',
  RETURNED: 'PAID',
  REFUNDED: 'REFUNDED',
  CANCELLED: 'UNPAID',
};
const PSPS = ['adyen', 'stripe', 'mollie'];

export async function seed(db: Database<typeof schema>, services: LogisticsServices): Promise<void> {
  await db.insert(carriers).values(CARRIERS).onConflictDoNothing();

  // The sandbox carrier network (pickup points and lockers), audited like an operator's save; existing ones stay.
  await runAsSystem(db, 'sandbox-seed', false, async (uow) => {
    const created = await uow.tx
      .insert(pickupLocations)
      .values(SANDBOX_PICKUP_LOCATIONS.map((l) => ({ ...l, livemode: false })))
      .onConflictDoNothing()
      .returning({ id: pickupLocations.id, carrierCode: pickupLocations.carrierCode, carrierLocationId: pickupLocations.carrierLocationId });
    for (const row of created)
      uow.audit({
        action: 'pickup_location.create',
        entityType: 'PickupLocation',
        entityId: row.id,
        merchantId: null,
        after: { carrierCode: row.carrierCode, carrierLocationId: row.carrierLocationId, livemode: false },
      });
  });
  const lockerIn = (carrierCode: string, country: string) =>
    SANDBOX_PICKUP_LOCATIONS.find((l) => l.carrierCode === carrierCode && l.kind === 'LOCKER' && l.address.country === country)?.id ?? null;

  // Sandbox orders and payments are seeded, not announced: project them as the events would have.
  const slugOf = new Map(SANDBOX_MERCHANTS.map((m) => [m.id, m.slug]));
  await db
    .insert(orderProjections)
    .values(
      SANDBOX_ORDERS.map((o) => ({
        orderId: o.id,
        merchantId: o.merchantId,
        merchantSlug: slugOf.get(o.merchantId)!,
        livemode: false,
        reference: o.reference,
        currency: o.currency,
        totalMinor: o.amount,
        shippingAddress: {
          name: o.shippingAddress.name,
          line1: o.shippingAddress.line1,
          line2: null,
          city: o.shippingAddress.city,
          postal_code: o.shippingAddress.postalCode,
          country: o.shippingAddress.country,
        },
        status: o.status,
      })),
    )
    .onConflictDoNothing();
  const paymentStates = SANDBOX_ORDERS.flatMap((o, i) => {
    const state = PAYMENT_STATE[o.status];
    if (!state) return [];
    const captured = state === 'UNPAID' ? 0 : o.amount;
    return [
      {
        orderId: o.id,
        merchantId: o.merchantId,
        livemode: false,
        version: 1,
        state,
        currency: o.currency,
        amountDueMinor: o.amount,
        capturedMinor: captured,
        refundedMinor: state === 'REFUNDED' ? o.amount : 0,
        paymentSessionId: state === 'UNPAID' ? null : sandboxId('pay', o.id),
        psp: state === 'UNPAID' ? null : PSPS[i % PSPS.length]!,
        paidAt: state === 'UNPAID' ? null : o.createdAt,
        eventId: 'evt_0',
      },
    ];
  });
  await db.insert(orderPaymentStates).values(paymentStates).onConflictDoNothing();

  const rows = SANDBOX_ORDERS.flatMap((order, i) => {
    const status = SHIPMENT_STATUS[order.status];
    if (!status) return [];
    const carrier = CARRIERS[i % CARRIERS.length]!;
    const createdAt = new Date(order.createdAt.getTime() + 3600_000);
    const deliveryMethod = carrier.code === 'inpost' ? 'LOCKER' : 'DOOR';
    return [
      {
        id: sandboxId('shp', order.id),
        orderId: order.id,
        merchantId: order.merchantId,
        livemode: false,
        carrierCode: carrier.code,
        trackingNumber: `${carrier.code.toUpperCase()}${String(100000000 + i * 7919).padStart(12, '0')}`,
        status,
        serviceLevel: deliveryMethod === 'LOCKER' ? 'LOCKER' : 'STANDARD',
        deliveryMethod,
        // A locker parcel goes to the carrier's locker in the consumer's country, where the sandbox has one.
        pickupLocationId: deliveryMethod === 'LOCKER' ? lockerIn(carrier.code, order.shippingAddress.country) : null,
        createdAt,
        updatedAt: createdAt,
      },
    ];
  });
  await db.insert(shipments).values(rows).onConflictDoNothing();

  // Parcels paid and on their way wait for the consumer's code.
  const waiting = SANDBOX_ORDERS.filter((o) => o.status === 'PAID' || o.status === 'OUT_FOR_DELIVERY').map((o) => sandboxId('shp', o.id));
  const issued = new Set(
    (
      await db.select({ shipmentId: releaseAuthorizations.shipmentId }).from(releaseAuthorizations).where(inArray(releaseAuthorizations.shipmentId, waiting))
    ).map((r) => r.shipmentId),
  );
  for (const shipment of await db.select().from(shipments).where(inArray(shipments.id, waiting))) {
    if (issued.has(shipment.id)) continue;
    await runAsSystem(db, 'sandbox-seed', false, (uow) => issueReleaseInTx(uow, services, shipment));
  }

  // The sandbox tariff book, through the same import as an operator's file; only when the sandbox has none.
  const [anyCard] = await db.select({ id: rateCards.id }).from(rateCards).where(eq(rateCards.livemode, false)).limit(1);
  if (!anyCard) {
    const result = importTariffCsv(sandboxTariffCsv());
    if (!result.ok) throw new Error(`the sandbox tariff sheet is invalid: ${JSON.stringify(result.errors.slice(0, 3))}`);
    await runAsSystem(db, 'sandbox-seed', false, async (uow) => {
      const outcome = await replaceTariffs(uow.tx, false, result.book);
      uow.audit({
        action: 'tariffs.import',
        entityType: 'TariffImport',
        entityId: outcome.importId,
        merchantId: null,
        after: { ...result.summary, carriers: outcome.carriers, livemode: false },
      });
    });
  }
}
