import { randomInt } from 'node:crypto';
import { and, asc, desc, eq, notInArray } from 'drizzle-orm';
import { badUserInput, newId, notFound, type Authorization, type Money } from '@ipay/platform';
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
import type { LogisticsServices } from '../services.ts';
import { domainError } from './errors.ts';
import { lockOrder, reconcileReleases } from './releases.ts';
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
  const destination = args.destination ?? (order?.shippingAddress ? { country: order.shippingAddress.country, postcode: order.shippingAddress.postal_code } : null);
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
export async function orderInScope(db: Db, auth: Authorization, permission: 'shipments:create' | 'tariffs:read' | 'orders:read', orderId: string): Promise<OrderProjectionRow> {
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

export async function chooseCarrier(db: Db, engine: CostEngine, args: ChooseArgs): Promise<OrchestrationResult> {
  const { preferences, acceptFasterService } = preferencesOf(args.preferences);
  return orchestrate(engine, {
    parcel: args.parcel,
    serviceLevel: args.serviceLevel,
    deliveryMethod: args.deliveryMethod,
    date: args.date,
    currency: args.currency,
    carriers: await activeCarrierCodes(db),
    preferences,
    acceptFasterService,
  });
}

const orderCancelledError = (orderId: string) => domainError('ORDER_CANCELLED', `order ${orderId} was cancelled; it is not shipped`, { field: 'orderId' });

/** Carrier tracking numbers: the carrier's prefix and 12 random digits (unique per carrier by index). */
const trackingNumber = (carrierCode: string) => `${carrierCode.toUpperCase()}${String(randomInt(0, 1e12)).padStart(12, '0')}`;

export interface CreateShipmentArgs {
  orderId: string;
  carrierCode?: string | null;
  serviceLevel: ServiceLevel;
  deliveryMethod: DeliveryMethod;
  parcel: ParcelArgs;
  preferences?: PreferencesArgs | null;
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
  if (carrierCode) {
    if (!(await activeCarrierCodes(db)).includes(carrierCode)) throw badUserInput('carrierCode', `"${carrierCode}" is not a carrier`);
    priced = engine.price({ ...parcel, carrierCode, serviceLevel: args.serviceLevel, deliveryMethod: args.deliveryMethod }, day);
    if (!priced.ok) throw badUserInput('carrierCode', `${carrierCode} cannot take this parcel: ${priced.reason.code} (${priced.reason.message})`);
  } else {
    carrierChoice = await chooseCarrier(db, engine, { parcel, serviceLevel: args.serviceLevel, deliveryMethod: args.deliveryMethod, currency: order.currency, preferences: args.preferences, date: day });
    if (!carrierChoice.chosen) throw badUserInput('carrierCode', `no carrier can take this parcel; name one or change the parcel. ${carrierChoice.explanation}`);
    priced = { ok: true, breakdown: carrierChoice.chosen.breakdown! };
  }
  const breakdown = priced.breakdown;

  const shipment = await mutate(async (uow) => {
    await lockOrder(uow.tx, order.orderId);
    // Cancelled meanwhile (the projection is written under the same lock).
    const [fresh] = await uow.tx.select({ status: orderProjections.status }).from(orderProjections).where(eq(orderProjections.orderId, order.orderId));
    if (fresh?.status === 'CANCELLED') throw orderCancelledError(order.orderId);
    // One live shipment per order; a returned parcel may be shipped again.
    const [open] = await uow.tx
      .select({ id: shipments.id })
      .from(shipments)
      .where(and(eq(shipments.orderId, order.orderId), notInArray(shipments.status, ['RETURNED_TO_SENDER'])))
      .orderBy(desc(shipments.createdAt))
      .limit(1);
    if (open) throw badUserInput('orderId', `the order already has shipment ${open.id}`);
    const now = new Date();
    const [row] = await uow.tx
      .insert(shipments)
      .values({
        id: newId('shp'),
        orderId: order.orderId,
        merchantId: order.merchantId,
        livemode: order.livemode,
        carrierCode: breakdown.carrierCode,
        trackingNumber: trackingNumber(breakdown.carrierCode),
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
        serviceLevel: shipment.serviceLevel,
        deliveryMethod: shipment.deliveryMethod,
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
        shipment: { id: shipment.id, tracking_number: shipment.trackingNumber, service_level: shipment.serviceLevel, delivery_method: shipment.deliveryMethod },
      },
    });
    // Fully paid before it shipped: the consumer's release code is issued with the shipment.
    await reconcileReleases(uow, services, order.orderId, null);
    return shipment;
  });
  return { shipment, carrierChoice };
}
