import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { ORDER_PAYMENT_STATES } from '@ipay/platform';
import type { PostcodeRange } from '../domain/geo.ts';
import type { PriceBreakdown } from '../domain/cost-engine.ts';
import type { OpeningDay } from '../domain/pickup-locations.ts';
import { auditTables, outboxTable } from '@ipay/platform';

export const logisticsSchema = pgSchema('logistics');

export const shipmentStatus = logisticsSchema.enum('shipment_status', [
  'LABEL_CREATED',
  'PICKED_UP',
  'IN_TRANSIT',
  'OUT_FOR_DELIVERY',
  'DELIVERY_FAILED',
  'DELIVERED',
  'RETURNED_TO_SENDER',
]);

export const carriers = logisticsSchema.table('carriers', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
});

/**
 * A carrier's pickup point or parcel locker (src/app/pickup-locations.ts): carrier network data per mode, managed by
 * platform operators, referenced by the shipments delivered there. Opening hours are local to `time_zone`.
 */
export const pickupLocations = logisticsSchema.table(
  'pickup_locations',
  {
    id: text('id').primaryKey(),
    livemode: boolean('livemode').notNull(),
    carrierCode: text('carrier_code')
      .notNull()
      .references(() => carriers.code),
    /** The carrier's own id of the location (e.g. InPost's locker name, PostNL's location code). */
    carrierLocationId: text('carrier_location_id').notNull(),
    kind: text('kind', { enum: ['PICKUP_POINT', 'LOCKER'] }).notNull(),
    name: text('name').notNull(),
    address: jsonb('address').$type<{ line1: string; line2: string | null; postalCode: string; city: string; country: string }>().notNull(),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    /** IANA time zone the opening hours are in. */
    timeZone: text('time_zone').notNull(),
    openingHours: jsonb('opening_hours').$type<OpeningDay[]>().notNull(),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    validTo: date('valid_to', { mode: 'string' }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('pickup_locations_carrier_location_key').on(t.livemode, t.carrierCode, t.carrierLocationId),
    index('pickup_locations_postal_idx').on(t.livemode, sql`(${t.address} ->> 'country')`, sql`(${t.address} ->> 'postalCode')`),
    check(
      'pickup_locations_geo',
      sql`(${t.latitude} IS NULL) = (${t.longitude} IS NULL) AND (${t.latitude} IS NULL OR (${t.latitude} BETWEEN -90 AND 90 AND ${t.longitude} BETWEEN -180 AND 180))`,
    ),
    check('pickup_locations_kind', sql`${t.kind} IN ('PICKUP_POINT', 'LOCKER')`),
    check('pickup_locations_validity', sql`${t.validTo} IS NULL OR ${t.validTo} > ${t.validFrom}`),
  ],
);

export const shipments = logisticsSchema.table(
  'shipments',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    /** Sandbox (false) or live (true) data; the two never mix. */
    livemode: boolean('livemode').notNull(),
    carrierCode: text('carrier_code')
      .notNull()
      .references(() => carriers.code),
    trackingNumber: text('tracking_number').notNull(),
    status: shipmentStatus('status').notNull().default('LABEL_CREATED'),
    serviceLevel: text('service_level').notNull().default('STANDARD'),
    deliveryMethod: text('delivery_method').notNull().default('DOOR'),
    /** The parcel as shipped: weight, dimensions, destination. */
    parcel: jsonb('parcel').$type<{
      weightGrams: number;
      dimensions: { lengthMm: number; widthMm: number; heightMm: number };
      destination: { country: string; postcode: string };
    }>(),
    /** The price when the shipment was created (itemised): the cost engine's quote the carrier was booked at. */
    price: jsonb('price').$type<PriceBreakdown>(),
    /** The carrier's own id of the booking (shipment/label id), as its booking API answered; null for seeded sandbox rows. */
    carrierReference: text('carrier_reference'),
    /** PICKUP_POINT / LOCKER deliveries: the carrier location the parcel is delivered to. */
    pickupLocationId: text('pickup_location_id').references(() => pickupLocations.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('shipments_carrier_tracking_key').on(t.carrierCode, t.trackingNumber), index('shipments_order_idx').on(t.orderId, t.createdAt.desc())],
);

/** Rate cards per mode (sandbox tariffs never price live shipments); ids are the CSV's deterministic ones. */
export const rateCards = logisticsSchema.table(
  'rate_cards',
  {
    livemode: boolean('livemode').notNull(),
    id: text('id').notNull(),
    carrierCode: text('carrier_code').notNull(),
    serviceLevel: text('service_level').notNull(),
    deliveryMethods: text('delivery_methods').array().notNull(),
    currency: text('currency').notNull(),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    validTo: date('valid_to', { mode: 'string' }),
    volumetricDivisor: integer('volumetric_divisor'),
    maxLongestSideMm: integer('max_longest_side_mm'),
    maxLengthPlusGirthMm: integer('max_length_plus_girth_mm'),
    zones: jsonb('zones').$type<{ code: string; country: string; postcodes: PostcodeRange[] }[]>().notNull(),
    importId: text('import_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.livemode, t.id] }), index('rate_cards_carrier_idx').on(t.livemode, t.carrierCode)],
);

export const rateBands = logisticsSchema.table(
  'rate_bands',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    livemode: boolean('livemode').notNull(),
    rateCardId: text('rate_card_id').notNull(),
    zone: text('zone').notNull(),
    maxWeightGrams: integer('max_weight_grams').notNull(),
    maxVolumeCm3: integer('max_volume_cm3'),
    amount: integer('amount').notNull(),
  },
  (t) => [index('rate_bands_card_idx').on(t.livemode, t.rateCardId)],
);

export const surcharges = logisticsSchema.table(
  'surcharges',
  {
    livemode: boolean('livemode').notNull(),
    id: text('id').notNull(),
    carrierCode: text('carrier_code').notNull(),
    kind: text('kind', { enum: ['FUEL', 'REMOTE_AREA', 'OVERSIZE'] }).notNull(),
    /** Null = every service level of the carrier. */
    serviceLevels: text('service_levels').array(),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    validTo: date('valid_to', { mode: 'string' }),
    basisPoints: integer('basis_points'),
    country: text('country'),
    postcodes: jsonb('postcodes').$type<PostcodeRange[]>(),
    amount: integer('amount'),
    currency: text('currency'),
    maxLongestSideMm: integer('max_longest_side_mm'),
    maxLengthPlusGirthMm: integer('max_length_plus_girth_mm'),
    importId: text('import_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.livemode, t.id] }), index('surcharges_carrier_idx').on(t.livemode, t.carrierCode)],
);

/** What logistics knows of commerce's orders, from order.created / order.status_changed (and the sandbox seed). */
export const orderProjections = logisticsSchema.table('order_projections', {
  orderId: text('order_id').primaryKey(),
  merchantId: text('merchant_id').notNull(),
  merchantSlug: text('merchant_slug').notNull(),
  livemode: boolean('livemode').notNull(),
  reference: text('reference'),
  currency: text('currency').notNull(),
  totalMinor: integer('total_minor').notNull(),
  shippingAddress: jsonb('shipping_address').$type<{
    name?: string;
    line1?: string;
    line2?: string | null;
    city?: string;
    postal_code: string;
    country: string;
  } | null>(),
  /** Commerce's order status (order.created, then order.status_changed); CANCELLED is final. */
  status: text('status').notNull().default('CREATED'),
  /** The newest order.status_changed applied (time-ordered ids; commerce's state machine never moves back). */
  statusEventId: text('status_event_id'),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export const orderPaymentState = logisticsSchema.enum('order_payment_state', ORDER_PAYMENT_STATES);

/**
 * The order's payment state as payments publishes it (order.payment_state_changed): one row per order, replaced
 * only by a higher version. Never derived from payment.* events of single sessions.
 */
export const orderPaymentStates = logisticsSchema.table('order_payment_states', {
  orderId: text('order_id').primaryKey(),
  merchantId: text('merchant_id').notNull(),
  livemode: boolean('livemode').notNull(),
  version: integer('version').notNull(),
  state: orderPaymentState('state').notNull(),
  currency: text('currency').notNull(),
  amountDueMinor: integer('amount_due_minor').notNull(),
  capturedMinor: integer('captured_minor').notNull(),
  refundedMinor: integer('refunded_minor').notNull(),
  /** The session holding the order's funds; null while nothing was captured or authorized. */
  paymentSessionId: text('payment_session_id'),
  psp: text('psp'),
  paidAt: timestamp('paid_at', { withTimezone: true, precision: 3 }),
  eventId: text('event_id').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export const carrierScans = logisticsSchema.table(
  'carrier_scans',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    shipmentId: text('shipment_id')
      .notNull()
      .references(() => shipments.id),
    carrierCode: text('carrier_code').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    carrierEventId: text('carrier_event_id').notNull(),
    type: text('type', { enum: ['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERY_ATTEMPT_FAILED', 'DELIVERED', 'RETURNED_TO_SENDER'] }).notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    carrierStatusCode: text('carrier_status_code').notNull(),
    description: text('description'),
    location: text('location'),
    receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('carrier_scans_event_key').on(t.carrierCode, t.carrierEventId), index('carrier_scans_shipment_idx').on(t.shipmentId)],
);

/** Idempotency keys of the scan events already emitted: each transition is published once, whatever the redeliveries. */
export const shipmentEventKeys = logisticsSchema.table('shipment_event_keys', {
  key: text('key').primaryKey(),
  shipmentId: text('shipment_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** RELEASED = the consumer's code was verified (authorized to hand over); handedOverAt marks the hand-over. */
export const releaseStatus = logisticsSchema.enum('release_status', ['ACTIVE', 'RELEASED', 'LOCKED', 'REVOKED']);

export const releaseAuthorizations = logisticsSchema.table(
  'release_authorizations',
  {
    id: text('id').primaryKey(),
    shipmentId: text('shipment_id')
      .notNull()
      .references(() => shipments.id),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    carrierCode: text('carrier_code').notNull(),
    locationType: text('location_type', { enum: ['DOOR', 'PICKUP_POINT', 'LOCKER'] }).notNull(),
    /** HMAC of the code (verification); the code itself only AES-256-GCM encrypted, for the consumer. */
    codeHash: text('code_hash').notNull(),
    keyId: text('key_id').notNull(),
    codeCiphertext: text('code_ciphertext').notNull(),
    qrTokenCiphertext: text('qr_token_ciphertext').notNull(),
    status: releaseStatus('status').notNull(),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    /** Compare-and-set token: every change is `UPDATE … WHERE version = $v`. */
    version: integer('version').notNull().default(0),
    /** When the code was verified (the domain's "released" = authorized to hand over). */
    authorizedAt: timestamp('authorized_at', { withTimezone: true, precision: 3 }),
    releaseMethod: text('release_method'),
    /** The confirmed payment the release was authorized on (session holding the funds, captured amount): set with RELEASED. */
    paymentSessionId: text('payment_session_id'),
    paidPsp: text('paid_psp'),
    paidAmountMinor: integer('paid_amount_minor'),
    paidCurrency: text('paid_currency'),
    /** When the parcel was handed over (confirmParcelRelease). */
    handedOverAt: timestamp('handed_over_at', { withTimezone: true, precision: 3 }),
    /** REVOKED: when and why (ORDER_CANCELLED, PAYMENT_NOT_FULLY_PAID, REISSUED). */
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    revokedReason: text('revoked_reason'),
    /** The authorization this one replaced (reissueReleaseCode). */
    reissueOf: text('reissue_of'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    // One live authorization per shipment (the payment consumer and createShipment may both try to issue it), plus
    // any number of revoked ones as history.
    uniqueIndex('release_authorizations_shipment_live_key')
      .on(t.shipmentId)
      .where(sql`${t.status} <> 'REVOKED'`),
    index('release_authorizations_shipment_idx').on(t.shipmentId, t.createdAt),
    index('release_authorizations_order_idx').on(t.orderId),
    // Release only after confirmed payment: a verified (RELEASED) authorization names the payment it was verified on.
    check(
      'release_authorizations_released_paid',
      sql`${t.status} <> 'RELEASED' OR (${t.authorizedAt} IS NOT NULL AND ${t.paymentSessionId} IS NOT NULL AND ${t.paidAmountMinor} > 0 AND ${t.paidCurrency} IS NOT NULL)`,
    ),
    check('release_authorizations_revoked', sql`(${t.status} = 'REVOKED') = (${t.revokedAt} IS NOT NULL)`),
  ],
);

export type CarrierRow = typeof carriers.$inferSelect;
export type RateCardRow = typeof rateCards.$inferSelect;
export type RateBandRow = typeof rateBands.$inferSelect;
export type SurchargeRow = typeof surcharges.$inferSelect;
export type OrderProjectionRow = typeof orderProjections.$inferSelect;
export type OrderPaymentStateRow = typeof orderPaymentStates.$inferSelect;
export type CarrierScanRow = typeof carrierScans.$inferSelect;
export type ReleaseAuthorizationRow = typeof releaseAuthorizations.$inferSelect;
export type ShipmentRow = typeof shipments.$inferSelect;
export type PickupLocationRow = typeof pickupLocations.$inferSelect;

export const { auditLog, auditHead } = auditTables(logisticsSchema);
export const outbox = outboxTable(logisticsSchema);

// ─── Returns: the return shipment of a commerce return (label, QR, carrier scans); src/app/returns.ts ────────

export const returnShipments = logisticsSchema.table(
  'return_shipments',
  {
    id: text('id').primaryKey(),
    /** Commerce's return (ret_…): one return shipment per return. */
    returnId: text('return_id').notNull(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    carrierCode: text('carrier_code')
      .notNull()
      .references(() => carriers.code),
    trackingNumber: text('tracking_number').notNull(),
    /** DROP_OFF, LOCKER or PICKUP (commerce's ReturnMethod). */
    method: text('method').notNull(),
    status: shipmentStatus('status').notNull().default('LABEL_CREATED'),
    /** What the label's QR code encodes (signed; see src/app/returns.ts). */
    qrPayload: text('qr_payload').notNull(),
    /** The carrier cost of the return leg from the cost engine, when a tariff prices it. */
    price: jsonb('price').$type<PriceBreakdown | null>(),
    inTransitAnnouncedAt: timestamp('in_transit_announced_at', { withTimezone: true, precision: 3 }),
    receivedAnnouncedAt: timestamp('received_announced_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('return_shipments_return_key').on(t.returnId), uniqueIndex('return_shipments_carrier_tracking_key').on(t.carrierCode, t.trackingNumber)],
);

export const returnScans = logisticsSchema.table(
  'return_scans',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    returnShipmentId: text('return_shipment_id')
      .notNull()
      .references(() => returnShipments.id),
    carrierCode: text('carrier_code').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    carrierEventId: text('carrier_event_id').notNull(),
    type: text('type', { enum: ['PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERY_ATTEMPT_FAILED', 'DELIVERED', 'RETURNED_TO_SENDER'] }).notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    carrierStatusCode: text('carrier_status_code').notNull(),
    description: text('description'),
    location: text('location'),
    receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('return_scans_event_key').on(t.carrierCode, t.carrierEventId), index('return_scans_shipment_idx').on(t.returnShipmentId)],
);

export type ReturnShipmentRow = typeof returnShipments.$inferSelect;
export type ReturnScanRow = typeof returnScans.$inferSelect;

// ─── Quote engine (issue 14): the carrier cost of a commerce quote, priced once when it was requested ───────

/** One row per commerce quote: the cost-engine result of each delivery, frozen at quote time. */
export const quoteCarrierCosts = logisticsSchema.table('quote_carrier_costs', {
  quoteId: text('quote_id').primaryKey(),
  merchantId: text('merchant_id').notNull(),
  livemode: boolean('livemode').notNull(),
  currency: text('currency').notNull(),
  /** Per delivery: the breakdown, or why no tariff priced it. */
  deliveries: jsonb('deliveries')
    .$type<({ breakdown: PriceBreakdown; noTariff: null } | { breakdown: null; noTariff: { code: string; message: string } })[]>()
    .notNull(),
  /** Sum of the breakdowns' totals; null when a delivery has no tariff (or a total is in another currency). */
  totalAmount: integer('total_amount'),
  pricedOn: text('priced_on').notNull(),
  pricedAt: timestamp('priced_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type QuoteCarrierCostRow = typeof quoteCarrierCosts.$inferSelect;
