import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, date, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditTables, outboxTable } from '@ipay/platform';

export const financeSchema = pgSchema('finance');

// ───────────────────────────── settlement ─────────────────────────────
// Settlement engine, fee schedules and four-eyes approval (issue 13, "fin"). Plain tables other parts of finance
// (controls, reconciliation) may read: `order_payment_states` (every order's payment fact, one row per order, the
// highest version of `order.payment_state_changed`), `settlements` and `settlement_lines` (totals are the sums of the lines: a deferred database check guarantees it).

export const settlementStatus = financeSchema.enum('settlement_status', ['OPEN', 'CLOSED', 'APPROVED', 'PAID']);
export const settlementPeriodKind = financeSchema.enum('settlement_period_kind', ['DAILY', 'WEEKLY', 'MONTHLY']);
export const settlementLineKind = financeSchema.enum('settlement_line_kind', ['COLLECTION', 'REFUND', 'ADJUSTMENT']);

export const settlements = financeSchema.table(
  'settlements',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull(),
    /** The merchant's slug as events carry it (`merchant`), for statements and event payloads. */
    merchantSlug: text('merchant_slug').notNull().default(''),
    /** Sandbox (false) or live (true) data; the two never mix. */
    livemode: boolean('livemode').notNull(),
    periodKind: settlementPeriodKind('period_kind').notNull().default('MONTHLY'),
    /** [period_start, period_end) in UTC. */
    periodStart: timestamp('period_start', { withTimezone: true, precision: 3 }).notNull(),
    periodEnd: timestamp('period_end', { withTimezone: true, precision: 3 }).notNull(),
    status: settlementStatus('status').notNull().default('OPEN'),
    currency: char('currency', { length: 3 }).notNull(),
    /** Totals in integer minor units; always the sums of the settlement's lines (deferred trigger check). */
    grossAmount: integer('gross_amount').notNull(),
    feeAmount: integer('fee_amount').notNull(),
    netAmount: integer('net_amount').notNull(),
    lineCount: integer('line_count').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true, precision: 3 }),
    /** Principal id (usr_…, key_…, system:…) that closed it; the four-eyes rule compares the approver with it. */
    closedBy: text('closed_by'),
    /** Fixed at close: whether the net exceeded the currency's approval threshold (or none was configured). */
    requiresFourEyes: boolean('requires_four_eyes'),
    approvedAt: timestamp('approved_at', { withTimezone: true, precision: 3 }),
    approvedBy: text('approved_by'),
    paidAt: timestamp('paid_at', { withTimezone: true, precision: 3 }),
    paidBy: text('paid_by'),
    /** The bank transfer / payout reference the money left with. */
    payoutReference: text('payout_reference'),
  },
  (t) => [
    uniqueIndex('settlements_merchant_period_key').on(t.merchantId, t.livemode, t.currency, t.periodStart),
    index('settlements_status_idx').on(t.status, t.periodEnd),
    check('settlements_net_is_gross_minus_fees', sql`${t.netAmount} = ${t.grossAmount} - ${t.feeAmount}`),
    check('settlements_period_ordered', sql`${t.periodStart} < ${t.periodEnd}`),
  ],
);

export const settlementLines = financeSchema.table(
  'settlement_lines',
  {
    id: text('id').primaryKey(),
    settlementId: text('settlement_id')
      .notNull()
      .references(() => settlements.id),
    kind: settlementLineKind('kind').notNull().default('COLLECTION'),
    /** The order the money belongs to (an adjustment may stand without one). */
    orderId: text('order_id'),
    /** The payment session that holds the order's funds (from order.payment_state_changed / refund.created). */
    paymentSessionId: text('payment_session_id'),
    refundId: text('refund_id'),
    /** What was collected (negative for a refund), IPAY's fee, and gross − fee; integer minor units. */
    grossAmount: integer('gross_amount').notNull(),
    feeAmount: integer('fee_amount').notNull(),
    netAmount: integer('net_amount').notNull(),
    /** The fee schedule entry the fee was taken from (collection lines). */
    feeScheduleId: text('fee_schedule_id'),
    /** When the fact happened (paid at, refunded at, adjustment made). */
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Why: required for adjustments (e.g. which settlement it corrects). */
    reason: text('reason'),
    /** An adjustment correcting an approved settlement names it. */
    correctsSettlementId: text('corrects_settlement_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    // An order's collection is settled once, and each refund once.
    uniqueIndex('settlement_lines_collection_key')
      .on(t.orderId)
      .where(sql`kind = 'COLLECTION'`),
    uniqueIndex('settlement_lines_refund_key')
      .on(t.refundId)
      .where(sql`refund_id is not null`),
    index('settlement_lines_settlement_idx').on(t.settlementId, t.id),
    index('settlement_lines_order_idx').on(t.orderId),
    check('settlement_lines_net_is_gross_minus_fee', sql`${t.netAmount} = ${t.grossAmount} - ${t.feeAmount}`),
    check('settlement_lines_adjustment_has_reason', sql`${t.kind} <> 'ADJUSTMENT' or coalesce(length(${t.reason}), 0) > 0`),
  ],
);

export type SettlementRow = typeof settlements.$inferSelect;
export type SettlementLineRow = typeof settlementLines.$inferSelect;

/**
 * IPAY's fixed fee per order and currency, with validity: merchant_id '' is the platform schedule every merchant
 * falls back to. The entry in force at an instant is the one with the latest valid_from ≤ instant (< valid_to).
 */
export const feeSchedules = financeSchema.table(
  'fee_schedules',
  {
    id: text('id').primaryKey(),
    /** '' for the platform default. */
    merchantId: text('merchant_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    feeAmount: integer('fee_amount').notNull(),
    validFrom: timestamp('valid_from', { withTimezone: true, precision: 3 }).notNull(),
    validTo: timestamp('valid_to', { withTimezone: true, precision: 3 }),
    reason: text('reason'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('fee_schedules_from_key').on(t.merchantId, t.currency, t.validFrom),
    check('fee_schedules_fee_not_negative', sql`${t.feeAmount} >= 0`),
    check('fee_schedules_validity_ordered', sql`${t.validTo} is null or ${t.validFrom} < ${t.validTo}`),
  ],
);

export type FeeScheduleRow = typeof feeSchedules.$inferSelect;

/** How often a merchant is settled (default MONTHLY); a change applies from the next settlement created. */
export const settlementSettings = financeSchema.table('settlement_settings', {
  merchantId: text('merchant_id').primaryKey(),
  periodKind: settlementPeriodKind('period_kind').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** Settlements whose net exceeds this need a second person's approval (per currency; none configured: always). */
export const approvalThresholds = financeSchema.table(
  'settlement_approval_thresholds',
  {
    currency: char('currency', { length: 3 }).primaryKey(),
    amount: integer('amount').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [check('settlement_approval_thresholds_not_negative', sql`${t.amount} >= 0`)],
);

/** Refunds announced by payments (refund.created); each becomes one negative line once its order's collection is settled. */
export const settlementRefunds = financeSchema.table('settlement_refunds', {
  refundId: text('refund_id').primaryKey(),
  orderId: text('order_id').notNull(),
  merchantId: text('merchant_id').notNull(),
  livemode: boolean('livemode').notNull(),
  paymentSessionId: text('payment_session_id'),
  currency: char('currency', { length: 3 }).notNull(),
  amount: integer('amount').notNull(),
  refundedAt: timestamp('refunded_at', { withTimezone: true, precision: 3 }).notNull(),
  /** The line it was settled in (null while its order's collection is not settled). */
  lineId: text('line_id'),
});

export type ApprovalThresholdRow = typeof approvalThresholds.$inferSelect;
export type SettlementRefundRow = typeof settlementRefunds.$inferSelect;

// ─────────────────────────── end settlement ───────────────────────────

/** Live dashboard counters per merchant, mode, UTC day and metric, projected from the event bus. */
export const kpiCounters = financeSchema.table(
  'kpi_counters',
  {
    merchantId: text('merchant_id').notNull(),
    livemode: boolean('livemode').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    metric: text('metric').notNull(),
    /** Empty for counts without money. */
    currency: text('currency').notNull().default(''),
    count: integer('count').notNull().default(0),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.merchantId, t.livemode, t.day, t.metric, t.currency] })],
);

/** Events already counted: the projection is fed at least once and must count each event once. */
export const kpiEvents = financeSchema.table('kpi_events', {
  eventId: text('event_id').primaryKey(),
  countedAt: timestamp('counted_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type KpiCounterRow = typeof kpiCounters.$inferSelect;

export const { auditLog, auditHead } = auditTables(financeSchema);
export const outbox = outboxTable(financeSchema);

// =====================================================================================================================
// Reconciliation / controls (carrier invoices, carrier statements, internal controls, sandbox mail)
// =====================================================================================================================

/** Shipments as logistics announced them (`shipment.created`), with the cost engine's expected cost. */
export const shipmentProjections = financeSchema.table(
  'shipment_projections',
  {
    shipmentId: text('shipment_id').primaryKey(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id'),
    livemode: boolean('livemode').notNull(),
    carrierCode: text('carrier_code').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    serviceLevel: text('service_level'),
    zone: text('zone'),
    weightGrams: integer('weight_grams'),
    /** The cost engine's total for the parcel in minor units; null when the event did not carry one. */
    expectedCostMinor: integer('expected_cost_minor'),
    expectedCurrency: char('expected_currency', { length: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [uniqueIndex('shipment_projections_tracking_key').on(t.carrierCode, t.trackingNumber, t.livemode)],
);

/**
 * The one projection of each order's payment state (`order.payment_state_changed`, the contract in
 * subgraphs/platform/src/events/payment-state.ts): one row per order, replaced only by a higher `version`. The
 * settlement engine writes it in the transaction that settles the order (src/app/engine.ts); the controls read it.
 */
export const orderPaymentStates = financeSchema.table(
  'order_payment_states',
  {
    orderId: text('order_id').primaryKey(),
    merchantId: text('merchant_id'),
    /** The merchant's slug as the event carries it (`merchant`). */
    merchantSlug: text('merchant_slug').notNull().default(''),
    livemode: boolean('livemode').notNull(),
    version: integer('version').notNull(),
    state: text('state').notNull(),
    /** The contract's `isFullyPaid` (PAID, or PARTIALLY_REFUNDED with the capture covering the amount due). */
    fullyPaid: boolean('fully_paid').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    amountDueMinor: bigint('amount_due_minor', { mode: 'number' }).notNull(),
    capturedMinor: bigint('captured_minor', { mode: 'number' }).notNull(),
    refundedMinor: bigint('refunded_minor', { mode: 'number' }).notNull(),
    paymentSessionId: text('payment_session_id'),
    psp: text('psp'),
    /** When the order first became fully paid (null until then); kept once set: its collection is priced at it. */
    paidAt: timestamp('paid_at', { withTimezone: true, precision: 3 }),
    /** Event id of the applied version (null for rows folded in from before migration 0009 without one). */
    lastEventId: text('last_event_id'),
    /** When the applied version happened (the event's occurred_at). */
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index('order_payment_states_paid_idx').on(t.paidAt)],
);

export type OrderPaymentStateRow = typeof orderPaymentStates.$inferSelect;

/** Releases (`release.authorized`, `parcel.released`) per order, for the "released only when paid" control. */
export const releaseProjections = financeSchema.table(
  'release_projections',
  {
    eventId: text('event_id').primaryKey(),
    type: text('type').notNull(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id'),
    livemode: boolean('livemode').notNull(),
    releaseId: text('release_id'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index('release_projections_order_idx').on(t.orderId)],
);

/** Refunds (`refund.created`), for the "no refund exceeds its capture" control. */
export const refundProjections = financeSchema.table(
  'refund_projections',
  {
    refundId: text('refund_id').primaryKey(),
    orderId: text('order_id').notNull(),
    merchantId: text('merchant_id'),
    livemode: boolean('livemode').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'number' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index('refund_projections_order_idx').on(t.orderId)],
);

/** The newest attestation of each subgraph's audit chain (`audit.chain_verified`). */
export const auditChainAttestations = financeSchema.table('audit_chain_attestations', {
  subgraph: text('subgraph').primaryKey(),
  eventId: text('event_id').notNull(),
  valid: boolean('valid').notNull(),
  checkedRecords: integer('checked_records').notNull(),
  brokenAtPosition: integer('broken_at_position'),
  reason: text('reason'),
  verifiedAt: timestamp('verified_at', { withTimezone: true, precision: 3 }).notNull(),
});

export const carrierInvoiceStatus = financeSchema.enum('carrier_invoice_status', ['RECONCILING', 'RECONCILED']);
export const invoiceLineClass = financeSchema.enum('carrier_invoice_line_class', ['MATCHED', 'MISMATCH', 'UNMATCHED']);
export const invoiceLineResolution = financeSchema.enum('carrier_invoice_line_resolution', ['ACCEPT_CARRIER', 'ACCEPT_EXPECTED', 'DISPUTE']);

/** A carrier's invoice, imported from its CSV. Amounts in minor units of `currency`. */
export const carrierInvoices = financeSchema.table(
  'carrier_invoices',
  {
    id: text('id').primaryKey(),
    livemode: boolean('livemode').notNull(),
    carrierCode: text('carrier_code').notNull(),
    invoiceNumber: text('invoice_number').notNull(),
    invoiceDate: date('invoice_date', { mode: 'string' }).notNull(),
    layout: text('layout').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    /** Sum of the billed line amounts. */
    totalMinor: bigint('total_minor', { mode: 'number' }).notNull(),
    paidMinor: bigint('paid_minor', { mode: 'number' }).notNull().default(0),
    status: carrierInvoiceStatus('status').notNull(),
    importedAt: timestamp('imported_at', { withTimezone: true, precision: 3 }).notNull(),
    reconciledAt: timestamp('reconciled_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('carrier_invoices_number_key').on(t.carrierCode, t.invoiceNumber, t.livemode),
    index('carrier_invoices_carrier_idx').on(t.carrierCode, t.livemode, t.invoiceDate),
    check('carrier_invoices_paid_within_total', sql`${t.paidMinor} >= 0 and ${t.paidMinor} <= greatest(${t.totalMinor}, 0)`),
  ],
);

/** One billed parcel of a carrier invoice and how it reconciled. */
export const carrierInvoiceLines = financeSchema.table(
  'carrier_invoice_lines',
  {
    id: text('id').primaryKey(),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => carrierInvoices.id),
    lineNumber: integer('line_number').notNull(),
    trackingNumber: text('tracking_number').notNull(),
    shipmentId: text('shipment_id'),
    orderId: text('order_id'),
    billedWeightGrams: integer('billed_weight_grams'),
    billedZone: text('billed_zone'),
    billedService: text('billed_service'),
    baseMinor: bigint('base_minor', { mode: 'number' }).notNull(),
    surchargeMinor: bigint('surcharge_minor', { mode: 'number' }).notNull(),
    billedMinor: bigint('billed_minor', { mode: 'number' }).notNull(),
    /** What the cost engine expected; null when unmatched. */
    expectedMinor: bigint('expected_minor', { mode: 'number' }),
    classification: invoiceLineClass('classification').notNull(),
    /** MISMATCH: WEIGHT_BAND, ZONE, SURCHARGE, DUPLICATE, CURRENCY or RATE; UNMATCHED: NO_SHIPMENT, NO_EXPECTED_COST. */
    reason: text('reason'),
    /** The charge descriptions of the line (e.g. fuel surcharge, residential). */
    charges: jsonb('charges').notNull(),
    resolution: invoiceLineResolution('resolution'),
    resolutionNote: text('resolution_note'),
    resolvedBy: text('resolved_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('carrier_invoice_lines_number_key').on(t.invoiceId, t.lineNumber),
    index('carrier_invoice_lines_tracking_idx').on(t.trackingNumber),
    check('carrier_invoice_lines_billed_is_base_plus_surcharges', sql`${t.billedMinor} = ${t.baseMinor} + ${t.surchargeMinor}`),
  ],
);

/** Who receives a carrier's statement. */
export const carrierContacts = financeSchema.table(
  'carrier_contacts',
  {
    carrierCode: text('carrier_code').notNull(),
    livemode: boolean('livemode').notNull(),
    emails: jsonb('emails').$type<string[]>().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.carrierCode, t.livemode] })],
);

export const controlTrigger = financeSchema.enum('control_trigger', ['SCHEDULED', 'ON_DEMAND']);
export const controlOutcome = financeSchema.enum('control_outcome', ['PASS', 'FAIL']);

/** One run of the internal controls. A scheduled run is unique per day and mode (replicas run it once). */
export const controlRuns = financeSchema.table(
  'control_runs',
  {
    id: text('id').primaryKey(),
    livemode: boolean('livemode').notNull(),
    trigger: controlTrigger('trigger').notNull(),
    runDate: date('run_date', { mode: 'string' }).notNull(),
    result: controlOutcome('result').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }).notNull(),
    digestMessageId: text('digest_message_id'),
    digestError: text('digest_error'),
  },
  (t) => [
    uniqueIndex('control_runs_scheduled_day_key')
      .on(t.runDate, t.livemode)
      .where(sql`${t.trigger} = 'SCHEDULED'`),
    index('control_runs_started_idx').on(t.livemode, t.startedAt),
  ],
);

export const controlResults = financeSchema.table(
  'control_results',
  {
    runId: text('run_id')
      .notNull()
      .references(() => controlRuns.id),
    control: text('control').notNull(),
    result: controlOutcome('result').notNull(),
    description: text('description').notNull(),
    evidenceCount: integer('evidence_count').notNull(),
    /** The rows that make the control fail (at most 1,000 kept; `evidenceCount` is the full count). */
    evidence: jsonb('evidence').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.control] })],
);

/** Mail the sandbox SMTP server received (sandbox only; never written in production). */
export const sandboxMail = financeSchema.table(
  'sandbox_mail',
  {
    id: text('id').primaryKey(),
    messageId: text('message_id'),
    fromAddress: text('from_address').notNull(),
    recipients: jsonb('recipients').$type<string[]>().notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    attachments: jsonb('attachments').$type<{ filename: string; contentType: string; size: number; sha256: string }[]>().notNull(),
    raw: text('raw').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index('sandbox_mail_received_idx').on(t.receivedAt, t.id)],
);

export type ShipmentProjectionRow = typeof shipmentProjections.$inferSelect;
export type CarrierInvoiceRow = typeof carrierInvoices.$inferSelect;
export type CarrierInvoiceLineRow = typeof carrierInvoiceLines.$inferSelect;
export type ControlRunRow = typeof controlRuns.$inferSelect;
export type ControlResultRow = typeof controlResults.$inferSelect;
export type SandboxMailRow = typeof sandboxMail.$inferSelect;

// ─── Quote engine (issue 14): the IPAY fee of a commerce quote, priced once when it was requested ───────────

export const quoteFees = financeSchema.table('quote_fees', {
  quoteId: text('quote_id').primaryKey(),
  merchantId: text('merchant_id').notNull(),
  livemode: boolean('livemode').notNull(),
  currency: char('currency', { length: 3 }).notNull(),
  /** Null when no fee schedule entry was in force for the currency. */
  feeScheduleId: text('fee_schedule_id'),
  feeAmount: integer('fee_amount'),
  pricedAt: timestamp('priced_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type QuoteFeeRow = typeof quoteFees.$inferSelect;
