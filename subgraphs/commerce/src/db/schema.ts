import { sql } from 'drizzle-orm';
import { boolean, char, check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditTables, outboxTable } from '@ipay/platform';
import type { OrderLine, ShippingAddress } from '../domain/order-input.ts';
import { ORDER_STATUSES } from '../domain/order-status.ts';
import { QUOTE_MARGIN_KINDS, QUOTE_STATUSES } from '../domain/quotes.ts';
import { RETENTION_OFFER_KINDS, RETURN_METHODS, RETURN_OUTCOMES, RETURN_STATUSES, type RetentionOfferKind, type ReturnLine } from '../domain/returns.ts';

export const commerceSchema = pgSchema('commerce');

/** The order statuses (commerce's domain owns them, src/domain/order-status.ts). */
export const orderStatus = commerceSchema.enum('order_status', ORDER_STATUSES);

export const orderSource = commerceSchema.enum('order_source', ['API', 'IMPORT', 'INTEGRATION', 'SANDBOX']);

// Plain types the domain owns (its order validation produces them); re-exported for the table columns' users.
export type { OrderLine, ShippingAddress };

export const orders = commerceSchema.table(
  'orders',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    /** Sandbox (false) or live (true) data; the two never mix. */
    livemode: boolean('livemode').notNull(),
    merchantReference: text('merchant_reference').notNull(),
    status: orderStatus('status').notNull().default('CREATED'),
    /** Total in integer minor units of `currency`. */
    totalAmount: integer('total_amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    customerName: text('customer_name').notNull(),
    /** Null where a marketplace withholds the buyer's e-mail. */
    customerEmail: text('customer_email'),
    customerPhone: text('customer_phone'),
    /** Components of the total, in minor units: total = subtotal + shipping − discount + adjustment. */
    subtotalAmount: integer('subtotal_amount').notNull().default(0),
    shippingAmount: integer('shipping_amount').notNull().default(0),
    discountAmount: integer('discount_amount').notNull().default(0),
    /** Always 0 for API and import orders; for shop orders, tax not included in lines, fees and platform rounding. */
    adjustmentAmount: integer('adjustment_amount').notNull().default(0),
    lines: jsonb('lines').$type<OrderLine[]>().notNull().default([]),
    /** Null for orders created before addresses were recorded (legacy sandbox rows). */
    shippingAddress: jsonb('shipping_address').$type<ShippingAddress | null>(),
    source: orderSource('source').notNull().default('API'),
    /** Set for orders pulled from a connected shop: the platform and its order id (the natural key of a sync). */
    sourcePlatform: text('source_platform'),
    externalId: text('external_id'),
    integrationId: text('integration_id'),
    cancellationReason: text('cancellation_reason'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_merchant_reference_key').on(t.merchantId, t.livemode, t.merchantReference),
    index('orders_merchant_created_idx').on(t.merchantId, t.createdAt.desc(), t.id.desc()),
    index('orders_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check('orders_total_amount_nonnegative', sql`${t.totalAmount} >= 0`),
    uniqueIndex('orders_external_key')
      .on(t.merchantId, t.livemode, t.sourcePlatform, t.externalId)
      .where(sql`${t.externalId} is not null`),
    index('orders_status_idx').on(t.status, t.createdAt.desc(), t.id.desc()),
  ],
);

export type OrderRow = typeof orders.$inferSelect;

/** createOrder idempotency keys, per merchant and mode: the request's fingerprint and the order it created. */
export const idempotencyKeys = commerceSchema.table(
  'idempotency_keys',
  {
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    orderId: text('order_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.merchantId, t.livemode, t.key] })],
);

/** Projection of identity's merchants (seeded sandbox merchants + merchant.created events): id → slug. */
export const merchants = commerceSchema.table('merchants', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  country: char('country', { length: 2 }).notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type MerchantRow = typeof merchants.$inferSelect;

export const importJobStatus = commerceSchema.enum('import_job_status', ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED']);
export const importFormat = commerceSchema.enum('import_format', ['CSV', 'JSON']);

export interface ImportRowError {
  row: number;
  field: string;
  reason: string;
}

export const importJobs = commerceSchema.table(
  'import_jobs',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    format: importFormat('format').notNull(),
    status: importJobStatus('status').notNull().default('PENDING'),
    totalRows: integer('total_rows').notNull(),
    processedRows: integer('processed_rows').notNull().default(0),
    createdCount: integer('created_count').notNull().default(0),
    /** Rows whose reference already exists for the merchant (a re-run): nothing is written for them. */
    duplicateCount: integer('duplicate_count').notNull().default(0),
    failedCount: integer('failed_count').notNull().default(0),
    errors: jsonb('errors').$type<ImportRowError[]>().notNull().default([]),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('import_jobs_merchant_idx').on(t.merchantId, t.createdAt.desc())],
);

export type ImportJobRow = typeof importJobs.$inferSelect;

export const integrationStatus = commerceSchema.enum('integration_status', ['PENDING', 'CONNECTED', 'ERROR', 'DISCONNECTED']);

export const integrations = commerceSchema.table(
  'integrations',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    platform: text('platform').notNull(),
    baseUrl: text('base_url').notNull(),
    authBaseUrl: text('auth_base_url'),
    status: integrationStatus('status').notNull().default('PENDING'),
    /** AES-256-GCM sealed credentials (`v1.<iv>.<tag>.<ciphertext>`); never leaves the subgraph. */
    credentialsSealed: text('credentials_sealed').notNull(),
    externalAccountId: text('external_account_id'),
    accountName: text('account_name'),
    /** High-water mark of the order sync (opaque connector cursor); null before the first sync. */
    syncCursor: text('sync_cursor'),
    syncIntervalSeconds: integer('sync_interval_seconds').notNull().default(300),
    nextRunAt: timestamp('next_run_at', { withTimezone: true, precision: 3 }),
    lastRunAt: timestamp('last_run_at', { withTimezone: true, precision: 3 }),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true, precision: 3 }),
    lastError: text('last_error'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    importedCount: integer('imported_count').notNull().default(0),
    /** A scheduler's claim on a run: another process skips the row until the lease expires. */
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('integrations_merchant_idx').on(t.merchantId, t.livemode),
    index('integrations_due_idx')
      .on(t.nextRunAt)
      .where(sql`${t.status} = 'CONNECTED'`),
  ],
);

export type IntegrationRow = typeof integrations.$inferSelect;

export const { auditLog, auditHead } = auditTables(commerceSchema);
export const outbox = outboxTable(commerceSchema);

/** An order line as the API resolves it: amounts need the order's currency. */
export interface OrderLineWithCurrency extends OrderLine {
  currency: string;
}

// ─── Returns (smart returns with retention offers; rules in src/domain/returns.ts) ───────────────────────────

export const returnStatus = commerceSchema.enum('return_status', RETURN_STATUSES);
export const returnMethod = commerceSchema.enum('return_method', RETURN_METHODS);
export const returnOutcome = commerceSchema.enum('return_outcome', RETURN_OUTCOMES);
export const retentionOfferKind = commerceSchema.enum('retention_offer_kind', RETENTION_OFFER_KINDS);

/** A merchant's managed list of return reasons, per mode; archived reasons stay for the returns that used them. */
export const returnReasons = commerceSchema.table(
  'return_reasons',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    code: text('code').notNull(),
    label: text('label').notNull(),
    /** Whether the consumer must add a free text with this reason. */
    requiresText: boolean('requires_text').notNull().default(false),
    archivedAt: timestamp('archived_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('return_reasons_code_key').on(t.merchantId, t.livemode, t.code)],
);

export type ReturnReasonRow = typeof returnReasons.$inferSelect;

/** Retention offers a merchant configures; priced per return (src/domain/returns.ts priceOffer). */
export const retentionOffers = commerceSchema.table(
  'retention_offers',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    kind: retentionOfferKind('kind').notNull(),
    partialRefundBps: integer('partial_refund_bps'),
    bonusBps: integer('bonus_bps'),
    /** Null = every reason. */
    reasonCodes: text('reason_codes').array(),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('retention_offers_merchant_idx').on(t.merchantId, t.livemode),
    check('retention_offers_partial_refund_bps', sql`${t.partialRefundBps} is null or (${t.partialRefundBps} between 1 and 9999)`),
    check('retention_offers_bonus_bps', sql`${t.bonusBps} is null or (${t.bonusBps} between 0 and 10000)`),
  ],
);

export type RetentionOfferRow = typeof retentionOffers.$inferSelect;

export interface AcceptedOffer {
  offerId: string;
  kind: RetentionOfferKind;
  refundAmount: number;
  storeCreditAmount: number;
  savedAmount: number;
  goodsReturned: boolean;
}

export const returns = commerceSchema.table(
  'returns',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    status: returnStatus('status').notNull().default('REQUESTED'),
    method: returnMethod('method').notNull(),
    reasonCode: text('reason_code').notNull(),
    reasonText: text('reason_text'),
    lines: jsonb('lines').$type<ReturnLine[]>().notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    /** Σ quantity × unit amount of the returned lines, minor units. */
    valueAmount: integer('value_amount').notNull(),
    outcome: returnOutcome('outcome').notNull().default('REFUND'),
    /** The retention offer the consumer accepted, as priced then (the offer may change later). */
    acceptedOffer: jsonb('accepted_offer').$type<AcceptedOffer | null>(),
    /** The offers the consumer was shown, as priced when the return was requested. */
    offeredOffers: jsonb('offered_offers').$type<AcceptedOffer[]>().notNull().default([]),
    /** When the consumer went ahead (declined the offers or accepted one); offers are closed after. */
    confirmedAt: timestamp('confirmed_at', { withTimezone: true, precision: 3 }),
    carrierCode: text('carrier_code'),
    trackingNumber: text('tracking_number'),
    inspectionApproved: boolean('inspection_approved'),
    inspectionNote: text('inspection_note'),
    inspectedAt: timestamp('inspected_at', { withTimezone: true, precision: 3 }),
    /** What commerce asked payments to refund; refundedAmount what the PSP accepted. */
    refundRequestedAmount: integer('refund_requested_amount'),
    refundedAmount: integer('refunded_amount'),
    refundId: text('refund_id'),
    refundFailureCode: text('refund_failure_code'),
    refundFailureReason: text('refund_failure_reason'),
    storeCreditAmount: integer('store_credit_amount'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('returns_order_idx').on(t.orderId, t.createdAt.desc()),
    index('returns_merchant_idx').on(t.merchantId, t.livemode, t.createdAt.desc()),
    check('returns_value_nonnegative', sql`${t.valueAmount} >= 0`),
  ],
);

export type ReturnRow = typeof returns.$inferSelect;

/** Store credit issued to a consumer (by e-mail) for a return, per merchant and mode. */
export const storeCredits = commerceSchema.table(
  'store_credits',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    returnId: text('return_id').notNull(),
    customerEmail: text('customer_email'),
    amount: integer('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('store_credits_return_key').on(t.returnId), check('store_credits_amount_positive', sql`${t.amount} > 0`)],
);

// ─── Quote engine (issue 14): per-merchant quote settings and the merchant's customer quotes ─────────────────

export const quoteMarginKind = commerceSchema.enum('quote_margin_kind', QUOTE_MARGIN_KINDS);
export const quoteStatus = commerceSchema.enum('quote_status', QUOTE_STATUSES);

/** One row per merchant and mode: the margin rule, tax, validity and branding quotes are issued with. */
export const quoteSettings = commerceSchema.table(
  'quote_settings',
  {
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    marginKind: quoteMarginKind('margin_kind').notNull(),
    marginBasisPoints: integer('margin_basis_points').notNull().default(0),
    /** Minor units of marginCurrency (FIXED amount, MINIMUM floor). */
    marginAmount: integer('margin_amount').notNull().default(0),
    marginCurrency: char('margin_currency', { length: 3 }),
    taxBasisPoints: integer('tax_basis_points').notNull().default(0),
    taxLabel: text('tax_label'),
    validityHours: integer('validity_hours').notNull().default(72),
    brandName: text('brand_name'),
    logoUrl: text('logo_url'),
    primaryColor: text('primary_color').notNull().default('#1A1A2E'),
    accentColor: text('accent_color').notNull().default('#E94560'),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.merchantId, t.livemode] }), check('quote_settings_validity', sql`${t.validityHours} between 1 and 2160`)],
);

export type QuoteSettingsRow = typeof quoteSettings.$inferSelect;

export interface QuoteDelivery {
  carrierCode: string;
  serviceLevel: string;
  deliveryMethod: string;
  weightGrams: number;
  lengthMm: number;
  widthMm: number;
  heightMm: number;
  country: string;
  postcode: string;
}

/**
 * A customer quote. The delivery inputs are commerce's; logistics (carrier cost) and finance (IPAY fee) price their
 * parts on quote.requested and keep them keyed by the quote id; commerce freezes the numbers it received
 * (carrier_cost, ipay_fee) with the margin, tax and total when it issues the quote. Acceptance uses these, never a
 * recomputation.
 */
export const quotes = commerceSchema.table(
  'quotes',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    status: quoteStatus('status').notNull().default('PRICING'),
    currency: char('currency', { length: 3 }).notNull(),
    deliveries: jsonb('deliveries').$type<QuoteDelivery[]>().notNull(),
    customerName: text('customer_name'),
    customerEmail: text('customer_email'),
    /** The settings the quote was requested under (margin rule, tax, validity, branding), frozen. */
    terms: jsonb('terms').$type<Omit<QuoteSettingsRow, 'merchantId' | 'livemode' | 'updatedAt'> & { brandName: string }>().notNull(),
    carrierCost: integer('carrier_cost'),
    /** The carrier cost of each delivery (same order as deliveries), as logistics priced it. */
    carrierCosts: jsonb('carrier_costs').$type<number[]>(),
    ipayFee: integer('ipay_fee'),
    feeScheduleId: text('fee_schedule_id'),
    marginAmount: integer('margin_amount'),
    taxAmount: integer('tax_amount'),
    totalAmount: integer('total_amount'),
    refusalCode: text('refusal_code'),
    refusalReason: text('refusal_reason'),
    issuedAt: timestamp('issued_at', { withTimezone: true, precision: 3 }),
    validUntil: timestamp('valid_until', { withTimezone: true, precision: 3 }),
    acceptedAt: timestamp('accepted_at', { withTimezone: true, precision: 3 }),
    orderId: text('order_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('quotes_merchant_idx').on(t.merchantId, t.livemode, t.createdAt.desc()),
    uniqueIndex('quotes_order_key').on(t.orderId),
    check(
      'quotes_issued_frozen',
      sql`${t.status} not in ('ISSUED', 'ACCEPTED') or (${t.totalAmount} is not null and ${t.validUntil} is not null and ${t.totalAmount} = ${t.carrierCost} + ${t.ipayFee} + ${t.marginAmount} + ${t.taxAmount})`,
    ),
  ],
);

export type QuoteRow = typeof quotes.$inferSelect;
