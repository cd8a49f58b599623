-- One projection of each order's payment state: settlement_orders (the engine's copy) is folded into
-- order_payment_states (the controls' copy), keyed by order, the higher version of order.payment_state_changed winning.
ALTER TABLE "finance"."order_payment_states" ADD COLUMN "merchant_slug" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."order_payment_states" ADD COLUMN "psp" text;--> statement-breakpoint
ALTER TABLE "finance"."order_payment_states" ADD COLUMN "last_event_id" text;--> statement-breakpoint
-- Where the engine held a higher version, its state replaces the controls' one.
UPDATE "finance"."order_payment_states" AS ops SET
  "merchant_id" = so."merchant_id",
  "livemode" = so."livemode",
  "version" = so."version",
  "state" = so."state",
  "fully_paid" = (so."state" = 'PAID' OR (so."state" = 'PARTIALLY_REFUNDED' AND so."captured" >= so."amount_due")),
  "currency" = so."currency",
  "amount_due_minor" = so."amount_due",
  "captured_minor" = so."captured",
  "refunded_minor" = so."refunded",
  "payment_session_id" = so."payment_session_id",
  "updated_at" = so."updated_at"
FROM "finance"."settlement_orders" AS so
WHERE so."order_id" = ops."order_id" AND so."version" > ops."version";--> statement-breakpoint
-- What only the engine knew: the slug, the PSP and event of the version it applied, and the paid_at its collection was
-- priced at (kept once set).
UPDATE "finance"."order_payment_states" AS ops SET
  "merchant_id" = coalesce(ops."merchant_id", so."merchant_id"),
  "merchant_slug" = so."merchant_slug",
  "psp" = CASE WHEN so."version" = ops."version" OR so."payment_session_id" IS NOT DISTINCT FROM ops."payment_session_id" THEN so."psp" END,
  "last_event_id" = CASE WHEN so."version" = ops."version" THEN so."last_event_id" END,
  "paid_at" = coalesce(so."paid_at", ops."paid_at")
FROM "finance"."settlement_orders" AS so
WHERE so."order_id" = ops."order_id";--> statement-breakpoint
-- Orders only the engine had.
INSERT INTO "finance"."order_payment_states" ("order_id", "merchant_id", "merchant_slug", "livemode", "version", "state", "fully_paid", "currency", "amount_due_minor", "captured_minor", "refunded_minor", "payment_session_id", "psp", "paid_at", "last_event_id", "updated_at")
SELECT so."order_id", so."merchant_id", so."merchant_slug", so."livemode", so."version", so."state",
  (so."state" = 'PAID' OR (so."state" = 'PARTIALLY_REFUNDED' AND so."captured" >= so."amount_due")),
  so."currency", so."amount_due", so."captured", so."refunded", so."payment_session_id", so."psp", so."paid_at", so."last_event_id", so."updated_at"
FROM "finance"."settlement_orders" AS so
WHERE NOT EXISTS (SELECT 1 FROM "finance"."order_payment_states" AS ops WHERE ops."order_id" = so."order_id");--> statement-breakpoint
DROP TABLE "finance"."settlement_orders" CASCADE;--> statement-breakpoint
CREATE INDEX "order_payment_states_paid_idx" ON "finance"."order_payment_states" USING btree ("paid_at");
