import { and, asc, desc, eq, notInArray } from 'drizzle-orm';
import { badUserInput, domainError, newId, notFound, wireMoney, type Authorization, type Money } from '@ipay/platform';
import { carriers, orderProjections, shipments, type OrderProjectionRow, type ShipmentRow } from '../db/schema.ts';
import {
  orchestrate,
  toCalendarDate,
  type CostEngine,
  type DeliveryMethod,
  type MerchantPreferences,
  type OrchestrationResult,
  type Parcel,
  type PriceResult,
  type ServiceLevel,
} from '../domain/index.ts';
import type { LogisticsServices } from './services.ts';
import { CarrierBookingError, type Address, type CarrierBooking } from '../adapters/carriers/index.ts';
import { lockOrder, reconcileReleases } from './releases.ts';
import { pickupLocationForShipment } from './pickup-locations.ts';
import type { Db, Uow } from './system.ts';
import { loadCostEngine } from './tariffs.ts';

export interface ParcelArgs {
  weightGrams: number;
  dimensions: { lengthMm: number; widthMm: number; heightMm: number };
  destination?: { country: string; postcode: string } | null;
}

export interface PreferencesArgs {
  preferredCarriers?: string[] | null;
  excludedCarriers?: string[] | null;
  maxPrice?: Money | null;
  acceptFasterService?: boolean | null;
}

/** The parcel with its destination: given, or the order's shipping address. */
export function parcelFor(args: ParcelArgs, order: OrderProjectionRow | null, field = 'parcel'): Parcel {
  const destination =
    args.destination ?? (order?.shippingAddress ? { country: order.shippingAddress.country, postcode: order.shippingAddress.postal_code } : null);
  if (!destination) throw badUserInput(`${field}.destination`, order ? 'is required: the order has no shipping address' : 'is required');
  return {
    weightGrams: args.weightGrams,
    dimensions: { ...args.dimensions },
    destination: { country: destination.country.trim().toUpperCase(), postcode: destination.postcode.trim() },
  };
}

export function pricingDay(date: string | null | undefined): string {
  if (date === null || date === undefined) return toCalendarDate(new Date());
  try {
    return toCalendarDate(date.trim(), 'date');
  } catch (error) {
    throw badUserInput('date', (error as Error).message);
  }
}

function preferencesOf(args: PreferencesArgs | null | undefined): { preferences: MerchantPreferences; acceptFasterService: boolean } {
  return {
    preferences: {
      preferredCarriers: args?.preferredCarriers ?? [],
      excludedCarriers: args?.excludedCarriers ?? [],
      maxPrice: args?.maxPrice ? { amount: args.maxPrice.amount, currency: args.maxPrice.currency.trim().toUpperCase() } : null,
    },
    acceptFasterService: args?.acceptFasterService ?? false,
  };
}

/** An order the caller may act on with `permission`, in its mode; outside the scope it does not exist. */
export async function orderInScope(
  db: Db,
  auth: Authorization,
  permission: 'shipments:create' | 'tariffs:read' | 'orders:read',
  orderId: string,
): Promise<OrderProjectionRow> {
  auth.require(permission);
  const [order] = await db.select().from(orderProjections).where(eq(orderProjections.orderId, orderId));
  if (!order || order.livemode !== auth.livemode || !auth.coversMerchant(permission, order.merchantId)) throw notFound('Order', orderId);
  return order;
}

export async function activeCarrierCodes(db: Db): Promise<string[]> {
  return (await db.select({ code: carriers.code }).from(carriers).orderBy(asc(carriers.code))).map((c) => c.code);
}

export interface ChooseArgs {
  parcel: Parcel;
  serviceLevel: ServiceLevel;
  deliveryMethod: DeliveryMethod;
  currency: string;
  preferences?: PreferencesArgs | null;
  date: string;
}

export async function chooseCarrier(db: Db, engine: CostEngine, args: ChooseArgs, onlyCarriers?: readonly string[]): Promise<OrchestrationResult> {
  const { preferences, acceptFasterService } = preferencesOf(args.preferences);
  const active = await activeCarrierCodes(db);
  return orchestrate(engine, {
    parcel: args.parcel,
    serviceLevel: args.serviceLevel,
    deliveryMethod: args.deliveryMethod,
    date: args.date,
    currency: args.currency,
    carriers: onlyCarriers ? active.filter((c) => onlyCarriers.includes(c)) : active,
    preferences,
    acceptFasterService,
  });
}

const orderCancelledError = (orderId: string) => domainError('ORDER_CANCELLED', `order ${orderId} was cancelled; it is not shipped`, { field: 'orderId' });

/** Who the carrier label is addressed to: the order's shipping address, at the parcel's destination. */
function recipientOf(order: OrderProjectionRow, parcel: Parcel): Address {
  const a = order.shippingAddress;
  const missing = (['name', 'line1', 'city'] as const).filter((k) => !a?.[k]?.trim());
  if (!a || missing.length)
    throw badUserInput('orderId', `the order's shipping address lacks ${missing.join(', ') || 'everything'}, which the carrier's label needs`);
  return {
    name: a.name!,
    line1: a.line1!,
    line2: a.line2 ?? null,
    city: a.city!,
    postalCode: parcel.destination.postcode,
    country: parcel.destination.country,
  };
}

export const carrierNotConfigured = (carrierCode: string | null, livemode: boolean) =>
  domainError(
    'CARRIER_NOT_CONFIGURED',
    `${carrierCode ? `${carrierCode} cannot` : 'no carrier can'} be booked in ${livemode ? 'live mode: configure its booking credentials (CARRIER_CREDENTIALS)' : 'test mode: the sandbox carriers are off (CARRIER_SANDBOX)'}; shipments are booked with the carrier, never invented`,
    { field: 'carrierCode', carrier: carrierCode },
  );

export interface CreateShipmentArgs {
  orderId: string;
  carrierCode?: string | null;
  serviceLevel: ServiceLevel;
  deliveryMethod: DeliveryMethod;
  parcel: ParcelArgs;
  preferences?: PreferencesArgs | null;
  pickupLocationId?: string | null;
}

export async function createShipment(
  db: Db,
  auth: Authorization,
  services: LogisticsServices,
  mutate: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
  args: CreateShipmentArgs,
): Promise<{ shipment: ShipmentRow; carrierChoice: OrchestrationResult | null }> {
  const order = await orderInScope(db, auth, 'shipments:create', args.orderId.trim());
  if (order.status === 'CANCELLED') throw orderCancelledError(order.orderId);
  const parcel = parcelFor(args.parcel, order);
  const engine = await loadCostEngine(db, order.livemode);
  const day = pricingDay(null);
  let carrierChoice: OrchestrationResult | null = null;
  let priced: PriceResult;
  const carrierCode = args.carrierCode?.trim().toLowerCase();
  // Only carriers that can really be booked in this mode are candidates.
  const bookable = services.bookableCarriers(order.livemode);
  // A pickup point or locker delivery may name the carrier location it goes to; then only its carrier can take it.
  const pickupLocation = args.pickupLocationId?.trim()
    ? await pickupLocationForShipment(db, {
        pickupLocationId: args.pickupLocationId,
        livemode: order.livemode,
        deliveryMethod: args.deliveryMethod,
        carrierCode: carrierCode ?? null,
      })
    : null;
  if (carrierCode) {
    if (!(await activeCarrierCodes(db)).includes(carrierCode)) throw badUserInput('carrierCode', `"${carrierCode}" is not a carrier`);
    if (!bookable.includes(carrierCode)) throw carrierNotConfigured(carrierCode, order.livemode);
    priced = engine.price({ ...parcel, carrierCode, serviceLevel: args.serviceLevel, deliveryMethod: args.deliveryMethod }, day);
    if (!priced.ok) throw badUserInput('carrierCode', `${carrierCode} cannot take this parcel: ${priced.reason.code} (${priced.reason.message})`);
  } else {
    if (bookable.length === 0) throw carrierNotConfigured(null, order.livemode);
    const candidates = pickupLocation ? bookable.filter((c) => c === pickupLocation.carrierCode) : bookable;
    if (candidates.length === 0) throw carrierNotConfigured(pickupLocation!.carrierCode, order.livemode);
    carrierChoice = await chooseCarrier(
      db,
      engine,
      { parcel, serviceLevel: args.serviceLevel, deliveryMethod: args.deliveryMethod, currency: order.currency, preferences: args.preferences, date: day },
      candidates,
    );
    if (!carrierChoice.chosen)
      throw badUserInput('carrierCode', `no carrier can take this parcel; name one or change the parcel. ${carrierChoice.explanation}`);
    priced = { ok: true, breakdown: carrierChoice.chosen.breakdown! };
  }
  const breakdown = priced.breakdown;
  const recipient = recipientOf(order, parcel);
  const adapter = services.carrierAdapter(breakdown.carrierCode, order.livemode);
  if (!adapter) throw carrierNotConfigured(breakdown.carrierCode, order.livemode);
  // Refused before the carrier is called: an order already shipped (re-checked under the lock below).
  await assertNotShipped(db, order.orderId);

  // The carrier books the parcel and names it; outside the transaction (no lock held over a remote call).
  const shipmentId = newId('shp');
  let booking: CarrierBooking;
  try {
    booking = await adapter.book({
      shipmentId,
      orderReference: order.reference,
      serviceLevel: breakdown.serviceLevel,
      deliveryMethod: breakdown.deliveryMethod,
      parcel,
      recipient,
    });
  } catch (error) {
    if (!(error instanceof CarrierBookingError)) throw error;
    throw domainError('CARRIER_BOOKING_FAILED', `the carrier did not book the parcel: ${error.message}`, {
      carrier: error.carrier,
      retryable: error.retryable,
      carrierHttpStatus: error.httpStatus,
    });
  }

  const shipment = await mutate(async (uow) => {
    await lockOrder(uow.tx, order.orderId);
    // Cancelled meanwhile (the projection is written under the same lock).
    const [fresh] = await uow.tx.select({ status: orderProjections.status }).from(orderProjections).where(eq(orderProjections.orderId, order.orderId));
    if (fresh?.status === 'CANCELLED') throw orderCancelledError(order.orderId);
    await assertNotShipped(uow.tx, order.orderId);
    const now = new Date();
    const [row] = await uow.tx
      .insert(shipments)
      .values({
        id: shipmentId,
        orderId: order.orderId,
        merchantId: order.merchantId,
        livemode: order.livemode,
        carrierCode: breakdown.carrierCode,
        trackingNumber: booking.trackingNumber,
        carrierReference: booking.carrierReference,
        pickupLocationId: pickupLocation?.id ?? null,
        status: 'LABEL_CREATED',
        serviceLevel: breakdown.serviceLevel,
        deliveryMethod: breakdown.deliveryMethod,
        parcel: { weightGrams: parcel.weightGrams, dimensions: parcel.dimensions, destination: parcel.destination },
        price: breakdown,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const shipment = row!;
    uow.audit({
      action: 'shipment.create',
      entityType: 'Shipment',
      entityId: shipment.id,
      merchantId: shipment.merchantId,
      after: {
        orderId: shipment.orderId,
        carrierCode: shipment.carrierCode,
        trackingNumber: shipment.trackingNumber,
        carrierReference: shipment.carrierReference,
        serviceLevel: shipment.serviceLevel,
        deliveryMethod: shipment.deliveryMethod,
        pickupLocationId: shipment.pickupLocationId,
        price: breakdown.total,
        chosenBy: carrierChoice ? 'orchestration' : 'caller',
      },
    });
    uow.emit({
      type: 'shipment.created',
      subjectId: shipment.id,
      merchantId: shipment.merchantId,
      livemode: shipment.livemode,
      carrierCode: shipment.carrierCode,
      payload: {
        order_id: shipment.orderId,
        merchant: order.merchantSlug,
        carrier: shipment.carrierCode,
        shipment: {
          id: shipment.id,
          tracking_number: shipment.trackingNumber,
          carrier_reference: shipment.carrierReference,
          service_level: shipment.serviceLevel,
          delivery_method: shipment.deliveryMethod,
          // Pickup point / locker deliveries only: where the parcel goes.
          ...(pickupLocation
            ? { pickup_location: { id: pickupLocation.id, carrier_location_id: pickupLocation.carrierLocationId, kind: pickupLocation.kind } }
            : {}),
          weight_grams: parcel.weightGrams,
          chargeable_weight_grams: breakdown.weight.chargeableGrams,
          zone: breakdown.zone,
          rate_card_id: breakdown.rateCardId,
          priced_on: breakdown.date,
        },
        // What the carrier will invoice: the cost engine's quote the parcel was booked at (finance reconciles against it).
        expected_cost: wireMoney(breakdown.total.amount, breakdown.total.currency),
      },
    });
    // Fully paid before it shipped: the consumer's release code is issued with the shipment.
    await reconcileReleases(uow, services, order.orderId, null);
    return shipment;
  });
  return { shipment, carrierChoice };
}

/** One live shipment per order; a returned parcel may be shipped again. */
async function assertNotShipped(tx: Db, orderId: string): Promise<void> {
  const [open] = await tx
    .select({ id: shipments.id })
    .from(shipments)
    .where(and(eq(shipments.orderId, orderId), notInArray(shipments.status, ['RETURNED_TO_SENDER'])))
    .orderBy(desc(shipments.createdAt))
    .limit(1);
  if (open) throw badUserInput('orderId', `the order already has shipment ${open.id}`);
}
