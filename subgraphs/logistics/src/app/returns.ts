import { createHmac, timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { and, desc, eq, inArray } from 'drizzle-orm';
import QRCode from 'qrcode';
import { newId, type BusEvent, type EventBus, type Logger, type Subscription, domainError } from '@ipay/platform';
import { orderProjections, returnScans, returnShipments, shipments, type ReturnScanRow, type ReturnShipmentRow } from '../db/schema.ts';
import { applyScans, type CarrierScan, type DeliveryMethod, type Parcel, type PriceBreakdown } from '../domain/index.ts';
import { CarrierBookingError, type Address, type CarrierBooking, type ReturnHandover } from '../adapters/carriers/index.ts';
import type { LogisticsServices } from './services.ts';
import { carrierNotConfigured, chooseCarrier, pricingDay } from './shipping.ts';
import { runAsSystem, type Db } from './system.ts';
import { loadCostEngine } from './tariffs.ts';

/**
 * Return shipments: commerce's `return.confirmed` makes logistics book the return leg with the carrier (label +
 * signed QR payload, `return.label_issued`); the carrier's signed webhooks for its tracking number fold into its
 * status exactly like outbound scans, and announce `return.in_transit` and `return.received` once each.
 */

/** How the consumer hands the parcel to the carrier → the tariff's delivery method of the return leg. */
const DELIVERY_METHOD_OF: Record<string, DeliveryMethod> = { DROP_OFF: 'PICKUP_POINT', LOCKER: 'LOCKER', PICKUP: 'DOOR' };
const DEFAULT_PARCEL = { weightGrams: 1000, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 } };

export interface ReturnBookingRequest {
  carrierCode: string;
  livemode: boolean;
  returnId: string;
  orderReference: string | null;
  handover: ReturnHandover;
  parcel: Parcel;
  /** The consumer, where the return leg starts. */
  sender: Address;
}

/**
 * Books the return leg with the carrier through its booking adapter's return-label variant (UPS ReturnService,
 * PostNL 2285 / Smart Returns, DHL Parcel returnLabel, DPD returns, GLS ShopReturn, InPost is_return): the carrier
 * names the parcel, never we. Live mode without the carrier's credentials is CARRIER_NOT_CONFIGURED; a carrier
 * refusal or outage is CARRIER_BOOKING_FAILED (extensions.retryable says whether the same request may succeed).
 */
export async function bookReturnLabel(services: LogisticsServices, request: ReturnBookingRequest): Promise<CarrierBooking> {
  const adapter = services.carrierAdapter(request.carrierCode, request.livemode);
  if (!adapter) throw carrierNotConfigured(request.carrierCode, request.livemode);
  try {
    return await adapter.bookReturn({
      returnId: request.returnId,
      orderReference: request.orderReference,
      handover: request.handover,
      parcel: request.parcel,
      sender: request.sender,
    });
  } catch (error) {
    if (!(error instanceof CarrierBookingError)) throw error;
    throw domainError('CARRIER_BOOKING_FAILED', `the carrier did not book the return label: ${error.message}`, {
      carrier: error.carrier,
      retryable: error.retryable,
      carrierHttpStatus: error.httpStatus,
    });
  }
}

// ─── The label's QR code ────────────────────────────────────────────────────────────────────────────────────

const QR_PREFIX = 'IPAYRTN1';

function labelKey(services: LogisticsServices): Buffer {
  return createHmac('sha256', services.releaseKeyring.current.secret).update('ipay-return-label-v1').digest();
}

/** `IPAYRTN1.<return id>.<carrier>.<tracking number>.<HMAC>`: what the carrier's scanner reads at drop-off. */
export function returnQrPayload(services: LogisticsServices, returnId: string, carrierCode: string, trackingNumber: string): string {
  const body = [QR_PREFIX, returnId, carrierCode, trackingNumber].join('.');
  const mac = createHmac('sha256', labelKey(services)).update(body).digest('base64url').slice(0, 22);
  return `${body}.${mac}`;
}

/** Checks a scanned QR payload: the return, carrier and tracking number it names, or null when it is not ours. */
export function verifyReturnQrPayload(services: LogisticsServices, payload: string): { returnId: string; carrierCode: string; trackingNumber: string } | null {
  const parts = payload.split('.');
  if (parts.length !== 5 || parts[0] !== QR_PREFIX) return null;
  const [, returnId, carrierCode, trackingNumber, mac] = parts as [string, string, string, string, string];
  const expected = returnQrPayload(services, returnId, carrierCode, trackingNumber).split('.')[4]!;
  const a = Buffer.from(mac);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? { returnId, carrierCode, trackingNumber } : null;
}

/** The QR code as a PNG data URL (error correction M, 4-module quiet zone). */
export const qrCodePng = (payload: string) => QRCode.toDataURL(payload, { type: 'image/png', errorCorrectionLevel: 'M', margin: 4, scale: 6 });

// ─── Booking on return.confirmed ────────────────────────────────────────────────────────────────────────────

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export async function consumeReturns(db: Db, bus: EventBus, services: LogisticsServices, logger: Logger): Promise<Subscription> {
  return bus.consume('logistics-returns', async (event) => {
    if (event.type !== 'return.confirmed' || event.source !== 'commerce') return;
    try {
      await bookReturnShipment(db, services, event, logger);
    } catch (error) {
      // An outage is retried (redelivery); a refusal (not configured, the carrier said no) is recorded and announced.
      const code = error instanceof GraphQLError ? error.extensions.code : null;
      if (code !== 'CARRIER_NOT_CONFIGURED' && !(code === 'CARRIER_BOOKING_FAILED' && error instanceof GraphQLError && error.extensions.retryable === false))
        throw error;
      await recordReturnBookingRefusal(db, event, code as string, (error as Error).message);
      logger.error({ eventId: event.id, code }, 'return label not booked');
    }
  });
}

/** A return the carrier layer refused to book: audited, and `return.label_failed` tells commerce and the merchant. */
async function recordReturnBookingRefusal(db: Db, event: BusEvent, code: string, reason: string): Promise<void> {
  const ret = event.payload.return as { id?: unknown; method?: unknown };
  const returnId = String(ret.id);
  await runAsSystem(db, 'events:return.confirmed', event.livemode, async (uow) => {
    uow.audit({
      action: 'return_shipment.book_refused',
      entityType: 'Return',
      entityId: returnId,
      merchantId: event.merchantId,
      after: { returnId, code, reason },
    });
    uow.emit({
      type: 'return.label_failed',
      subjectId: returnId,
      merchantId: event.merchantId,
      livemode: event.livemode,
      payload: { order_id: event.payload.order_id, merchant: event.payload.merchant, return: { id: returnId, method: ret.method }, code, reason },
    });
  });
}

/**
 * Idempotent per return: a redelivered return.confirmed finds the return shipment booked. Throws
 * CARRIER_NOT_CONFIGURED (no carrier can be booked in the order's mode) or CARRIER_BOOKING_FAILED.
 */
export async function bookReturnShipment(db: Db, services: LogisticsServices, event: BusEvent, logger: Logger): Promise<ReturnShipmentRow | null> {
  const ret = event.payload.return as { id?: unknown; method?: unknown } | undefined;
  const returnId = str(ret?.id);
  const method = str(ret?.method);
  const orderId = str(event.payload.order_id);
  if (!returnId || !method || !orderId || !(method in DELIVERY_METHOD_OF)) {
    logger.error({ eventId: event.id }, 'return.confirmed without return.id, a known return.method or order_id; not booked');
    return null;
  }
  const [existing] = await db.select().from(returnShipments).where(eq(returnShipments.returnId, returnId));
  if (existing) return existing;
  const [order] = await db.select().from(orderProjections).where(eq(orderProjections.orderId, orderId));
  if (!order || order.livemode !== event.livemode) {
    logger.error({ eventId: event.id, orderId }, 'return.confirmed for an order logistics does not know; not booked');
    return null;
  }
  // The return leg goes with the carrier that delivered, with the same parcel, from the consumer's address.
  const [outbound] = await db.select().from(shipments).where(eq(shipments.orderId, orderId)).orderBy(desc(shipments.createdAt)).limit(1);
  const from =
    outbound?.parcel?.destination ?? (order.shippingAddress ? { country: order.shippingAddress.country, postcode: order.shippingAddress.postal_code } : null);
  const parcel = {
    weightGrams: outbound?.parcel?.weightGrams ?? DEFAULT_PARCEL.weightGrams,
    dimensions: outbound?.parcel?.dimensions ?? DEFAULT_PARCEL.dimensions,
    destination: from ?? { country: 'NL', postcode: '1011 AB' },
  };
  const engine = await loadCostEngine(db, order.livemode);
  const deliveryMethod = DELIVERY_METHOD_OF[method]!;
  const day = pricingDay(null);
  const bookable = services.bookableCarriers(order.livemode);
  let carrierCode = outbound?.carrierCode ?? null;
  let price: PriceBreakdown | null = null;
  if (carrierCode) {
    if (!bookable.includes(carrierCode)) throw carrierNotConfigured(carrierCode, order.livemode);
    const priced = engine.price({ ...parcel, carrierCode, serviceLevel: 'STANDARD', deliveryMethod }, day);
    price = priced.ok ? priced.breakdown : null;
  } else {
    if (!bookable.length) throw carrierNotConfigured(null, order.livemode);
    const choice = await chooseCarrier(db, engine, { parcel, serviceLevel: 'STANDARD', deliveryMethod, currency: order.currency, date: day }, bookable);
    carrierCode = choice.chosen?.carrierCode ?? bookable[0]!;
    price = choice.chosen?.breakdown ?? null;
  }
  const a = order.shippingAddress;
  const sender: Address = {
    name: a?.name?.trim() || 'Consumer',
    line1: a?.line1?.trim() || '',
    line2: a?.line2 ?? null,
    city: a?.city?.trim() || '',
    postalCode: parcel.destination.postcode,
    country: parcel.destination.country,
  };
  const booking = await bookReturnLabel(services, {
    carrierCode,
    livemode: order.livemode,
    returnId,
    orderReference: order.reference,
    handover: method as ReturnHandover,
    parcel,
    sender,
  });
  const qrPayload = returnQrPayload(services, returnId, carrierCode, booking.trackingNumber);
  return runAsSystem(db, 'events:return.confirmed', order.livemode, async (uow) => {
    const [row] = await uow.tx
      .insert(returnShipments)
      .values({
        id: newId('rsh'),
        returnId,
        orderId,
        merchantId: order.merchantId,
        livemode: order.livemode,
        carrierCode: carrierCode!,
        trackingNumber: booking.trackingNumber,
        method,
        qrPayload,
        price,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      const [raced] = await uow.tx.select().from(returnShipments).where(eq(returnShipments.returnId, returnId));
      uow.audit({
        action: 'return_shipment.book_skipped',
        entityType: 'ReturnShipment',
        entityId: raced!.id,
        merchantId: order.merchantId,
        after: { returnId, reason: 'booked concurrently' },
      });
      return raced!;
    }
    uow.audit({
      action: 'return_shipment.book',
      entityType: 'ReturnShipment',
      entityId: row.id,
      merchantId: row.merchantId,
      after: {
        returnId,
        orderId,
        carrierCode: row.carrierCode,
        trackingNumber: row.trackingNumber,
        carrierReference: booking.carrierReference,
        method,
        price: price?.total ?? null,
      },
    });
    uow.emit({
      type: 'return.label_issued',
      subjectId: returnId,
      merchantId: row.merchantId,
      livemode: row.livemode,
      carrierCode: row.carrierCode,
      payload: {
        order_id: orderId,
        merchant: order.merchantSlug,
        return: { id: returnId, method },
        carrier: row.carrierCode,
        tracking_number: row.trackingNumber,
        carrier_reference: booking.carrierReference,
        label: { format: 'QR', qr_payload: qrPayload, return_shipment_id: row.id },
        ...(price ? { carrier_cost: { amount_minor: price.total.amount, currency: price.total.currency } } : {}),
      },
    });
    return row;
  });
}

// ─── Carrier scans of return shipments ──────────────────────────────────────────────────────────────────────

const toScan = (row: ReturnScanRow): CarrierScan => ({
  carrierCode: row.carrierCode,
  trackingNumber: row.trackingNumber,
  carrierEventId: row.carrierEventId,
  type: row.type,
  occurredAt: row.occurredAt,
  carrierStatusCode: row.carrierStatusCode,
  description: row.description,
  location: row.location,
});

const IN_TRANSIT = new Set(['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERY_FAILED']);

/**
 * The scans of a carrier webhook whose tracking numbers are return shipments (called by the carrier webhook route
 * for the numbers that are not outbound shipments). Returns the tracking numbers it knew.
 */
export async function ingestReturnScans(
  db: Db,
  carrier: string,
  byTracking: ReadonlyMap<string, CarrierScan[]>,
  requestId: string | null,
  testModeOnly = false,
): Promise<{ stored: number; duplicates: number; known: Set<string> }> {
  const known = new Set<string>();
  let stored = 0;
  let duplicates = 0;
  if (!byTracking.size) return { stored, duplicates, known };
  const rows = await db
    .select({ id: returnShipments.id, trackingNumber: returnShipments.trackingNumber, livemode: returnShipments.livemode })
    .from(returnShipments)
    .where(
      and(
        eq(returnShipments.carrierCode, carrier),
        inArray(returnShipments.trackingNumber, [...byTracking.keys()]),
        testModeOnly ? eq(returnShipments.livemode, false) : undefined,
      ),
    );
  for (const row of rows) {
    known.add(row.trackingNumber);
    const incoming = byTracking.get(row.trackingNumber)!;
    const result = await storeReturnScans(db, carrier, row.id, row.livemode, incoming, requestId);
    stored += result.stored;
    duplicates += result.duplicates;
  }
  return { stored, duplicates, known };
}

async function storeReturnScans(db: Db, carrier: string, id: string, livemode: boolean, incoming: CarrierScan[], requestId: string | null) {
  return runAsSystem(
    db,
    `carrier:${carrier}`,
    livemode,
    async (uow) => {
      const [shipment] = await uow.tx.select().from(returnShipments).where(eq(returnShipments.id, id)).for('update');
      const s = shipment!;
      const knownScans = (await uow.tx.select().from(returnScans).where(eq(returnScans.returnShipmentId, id))).map(toScan);
      const applied = applyScans(knownScans, incoming);
      if (applied.newScans.length)
        await uow.tx
          .insert(returnScans)
          .values(applied.newScans.map((scan) => ({ returnShipmentId: id, ...scan })))
          .onConflictDoNothing();
      const now = new Date();
      const [order] = await uow.tx.select({ slug: orderProjections.merchantSlug }).from(orderProjections).where(eq(orderProjections.orderId, s.orderId));
      const base = {
        order_id: s.orderId,
        merchant: order?.slug ?? s.merchantId,
        return: { id: s.returnId, method: s.method },
        carrier: s.carrierCode,
        tracking_number: s.trackingNumber,
      };
      const emit = (type: 'return.in_transit' | 'return.received', extra: Record<string, unknown>) =>
        uow.emit({ type, subjectId: s.returnId, merchantId: s.merchantId, livemode: s.livemode, carrierCode: s.carrierCode, payload: { ...base, ...extra } });
      const all = [...knownScans, ...applied.newScans];
      const firstOf = (pred: (t: string) => boolean) => all.filter((x) => pred(x.type)).sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())[0];
      const set: Partial<typeof returnShipments.$inferInsert> = { status: applied.status, updatedAt: now };
      const moving = firstOf((t) => IN_TRANSIT.has(t) || t === 'DELIVERY_ATTEMPT_FAILED');
      if (!s.inTransitAnnouncedAt && moving && applied.status !== 'DELIVERED') {
        emit('return.in_transit', { scanned_at: moving.occurredAt.toISOString() });
        set.inTransitAnnouncedAt = now;
      }
      const delivered = firstOf((t) => t === 'DELIVERED');
      if (!s.receivedAnnouncedAt && delivered && applied.status === 'DELIVERED') {
        emit('return.received', { received_at: delivered.occurredAt.toISOString() });
        set.receivedAnnouncedAt = now;
      }
      await uow.tx.update(returnShipments).set(set).where(eq(returnShipments.id, id));
      uow.audit({
        action: 'return_shipment.scan',
        entityType: 'ReturnShipment',
        entityId: id,
        merchantId: s.merchantId,
        before: { status: s.status },
        after: {
          status: applied.status,
          scans: applied.newScans.map((x) => `${x.type}@${x.occurredAt.toISOString()} (${x.carrierEventId})`),
          duplicates: applied.duplicates.length,
        },
      });
      return { stored: applied.newScans.length, duplicates: applied.duplicates.length };
    },
    requestId,
  );
}
