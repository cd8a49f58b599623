import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, inArray } from 'drizzle-orm';
import QRCode from 'qrcode';
import { newId, type BusEvent, type EventBus, type Logger, type Subscription } from '@ipay/platform';
import { orderProjections, returnScans, returnShipments, shipments, type ReturnScanRow, type ReturnShipmentRow } from '../db/schema.ts';
import { applyScans, type CarrierScan, type DeliveryMethod, type PriceBreakdown } from '../domain/index.ts';
import type { LogisticsServices } from '../services.ts';
import { activeCarrierCodes, chooseCarrier, pricingDay } from './shipping.ts';
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
  method: string;
  returnId: string;
}

export interface ReturnBooking {
  trackingNumber: string;
}

/**
 * Books the return leg with the carrier. Today this is what outbound shipments do (a carrier-format tracking number
 * drawn here, the sandbox carriers scanning it through their real signed webhooks); it is the one place to point at
 * the carrier booking adapters (src/adapters/) when they book real labels.
 */
export async function bookReturnLabel(db: Db, request: ReturnBookingRequest): Promise<ReturnBooking> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const trackingNumber = `${request.carrierCode.toUpperCase()}${String(randomInt(0, 1e12)).padStart(12, '0')}`;
    // The webhook route looks outbound shipments up first: a return number never equals an outbound one.
    const [taken] = await db.select({ id: shipments.id }).from(shipments).where(and(eq(shipments.carrierCode, request.carrierCode), eq(shipments.trackingNumber, trackingNumber)));
    if (!taken) return { trackingNumber };
  }
  throw new Error('could not draw an unused return tracking number in 5 attempts');
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
    await bookReturnShipment(db, services, event, logger);
  });
}

/** Idempotent per return: a redelivered return.confirmed finds the return shipment booked. */
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
  const from = outbound?.parcel?.destination ?? (order.shippingAddress ? { country: order.shippingAddress.country, postcode: order.shippingAddress.postal_code } : null);
  const parcel = { weightGrams: outbound?.parcel?.weightGrams ?? DEFAULT_PARCEL.weightGrams, dimensions: outbound?.parcel?.dimensions ?? DEFAULT_PARCEL.dimensions, destination: from ?? { country: 'NL', postcode: '1011 AB' } };
  const engine = await loadCostEngine(db, order.livemode);
  const deliveryMethod = DELIVERY_METHOD_OF[method]!;
  const day = pricingDay(null);
  let carrierCode = outbound?.carrierCode ?? null;
  let price: PriceBreakdown | null = null;
  if (carrierCode) {
    const priced = engine.price({ ...parcel, carrierCode, serviceLevel: 'STANDARD', deliveryMethod }, day);
    price = priced.ok ? priced.breakdown : null;
  } else {
    const choice = await chooseCarrier(db, engine, { parcel, serviceLevel: 'STANDARD', deliveryMethod, currency: order.currency, date: day });
    carrierCode = choice.chosen?.carrierCode ?? (await activeCarrierCodes(db))[0] ?? null;
    price = choice.chosen?.breakdown ?? null;
  }
  if (!carrierCode) {
    logger.error({ eventId: event.id, returnId }, 'no carrier to book the return with');
    return null;
  }
  const booking = await bookReturnLabel(db, { carrierCode, method, returnId });
  const qrPayload = returnQrPayload(services, returnId, carrierCode, booking.trackingNumber);
  return runAsSystem(db, 'events:return.confirmed', order.livemode, async (uow) => {
    const [row] = await uow.tx
      .insert(returnShipments)
      .values({ id: newId('rsh'), returnId, orderId, merchantId: order.merchantId, livemode: order.livemode, carrierCode: carrierCode!, trackingNumber: booking.trackingNumber, method, qrPayload, price })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      const [raced] = await uow.tx.select().from(returnShipments).where(eq(returnShipments.returnId, returnId));
      uow.audit({ action: 'return_shipment.book_skipped', entityType: 'ReturnShipment', entityId: raced!.id, merchantId: order.merchantId, after: { returnId, reason: 'booked concurrently' } });
      return raced!;
    }
    uow.audit({
      action: 'return_shipment.book',
      entityType: 'ReturnShipment',
      entityId: row.id,
      merchantId: row.merchantId,
      after: { returnId, orderId, carrierCode: row.carrierCode, trackingNumber: row.trackingNumber, method, price: price?.total ?? null },
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
export async function ingestReturnScans(db: Db, carrier: string, byTracking: ReadonlyMap<string, CarrierScan[]>, requestId: string | null): Promise<{ stored: number; duplicates: number; known: Set<string> }> {
  const known = new Set<string>();
  let stored = 0;
  let duplicates = 0;
  if (!byTracking.size) return { stored, duplicates, known };
  const rows = await db
    .select({ id: returnShipments.id, trackingNumber: returnShipments.trackingNumber, livemode: returnShipments.livemode })
    .from(returnShipments)
    .where(and(eq(returnShipments.carrierCode, carrier), inArray(returnShipments.trackingNumber, [...byTracking.keys()])));
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
      if (applied.newScans.length) await uow.tx.insert(returnScans).values(applied.newScans.map((scan) => ({ returnShipmentId: id, ...scan }))).onConflictDoNothing();
      const now = new Date();
      const [order] = await uow.tx.select({ slug: orderProjections.merchantSlug }).from(orderProjections).where(eq(orderProjections.orderId, s.orderId));
      const base = { order_id: s.orderId, merchant: order?.slug ?? s.merchantId, return: { id: s.returnId, method: s.method }, carrier: s.carrierCode, tracking_number: s.trackingNumber };
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
        after: { status: applied.status, scans: applied.newScans.map((x) => `${x.type}@${x.occurredAt.toISOString()} (${x.carrierEventId})`), duplicates: applied.duplicates.length },
      });
      return { stored: applied.newScans.length, duplicates: applied.duplicates.length };
    },
    requestId,
  );
}
