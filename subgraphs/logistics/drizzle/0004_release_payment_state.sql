CREATE TYPE "logistics"."order_payment_state" AS ENUM('UNPAID', 'PARTIALLY_CAPTURED', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED');--> statement-breakpoint
CREATE TYPE "logistics"."release_status" AS ENUM('ACTIVE', 'RELEASED', 'LOCKED', 'REVOKED');--> statement-breakpoint
CREATE TABLE "logistics"."order_payment_states" (
	"order_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"version" integer NOT NULL,
	"state" "logistics"."order_payment_state" NOT NULL,
	"currency" text NOT NULL,
	"amount_due_minor" integer NOT NULL,
	"captured_minor" integer NOT NULL,
	"refunded_minor" integer NOT NULL,
	"payment_session_id" text,
	"psp" text,
	"paid_at" timestamp (3) with time zone,
	"event_id" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Existing deployments: carry the old last-event-wins projection over at version 0 (any published state replaces it)
-- and record on verified releases the payment they were verified on, before the old table goes.
INSERT INTO "logistics"."order_payment_states" ("order_id", "merchant_id", "livemode", "version", "state", "currency", "amount_due_minor", "captured_minor", "refunded_minor", "payment_session_id", "psp", "event_id")
SELECT p."order_id", p."merchant_id", p."livemode", 0,
  (CASE p."status" WHEN 'CONFIRMED' THEN 'PAID' WHEN 'PARTIALLY_REFUNDED' THEN 'PARTIALLY_REFUNDED' WHEN 'REFUNDED' THEN 'REFUNDED' ELSE 'UNPAID' END)::"logistics"."order_payment_state",
  p."currency", COALESCE(o."total_minor", p."amount_minor"),
  CASE WHEN p."status" IN ('CONFIRMED', 'PARTIALLY_REFUNDED', 'REFUNDED') THEN p."amount_minor" ELSE 0 END,
  CASE WHEN p."status" = 'REFUNDED' THEN p."amount_minor" ELSE 0 END,
  p."payment_id", p."psp", p."last_event_id"
FROM "logistics"."payment_projections" p LEFT JOIN "logistics"."order_projections" o ON o."order_id" = p."order_id";--> statement-breakpoint
DROP INDEX "logistics"."release_authorizations_shipment_key";--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ALTER COLUMN "status" SET DATA TYPE "logistics"."release_status" USING "status"::"logistics"."release_status";--> statement-breakpoint
ALTER TABLE "logistics"."order_projections" ADD COLUMN "status" text DEFAULT 'CREATED' NOT NULL;--> statement-breakpoint
ALTER TABLE "logistics"."order_projections" ADD COLUMN "status_event_id" text;--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD COLUMN "payment_session_id" text;--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD COLUMN "paid_psp" text;--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD COLUMN "paid_amount_minor" integer;--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD COLUMN "paid_currency" text;--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD COLUMN "revoked_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD COLUMN "revoked_reason" text;--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD COLUMN "reissue_of" text;--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD COLUMN "carrier_reference" text;--> statement-breakpoint
UPDATE "logistics"."release_authorizations" r SET "payment_session_id" = p."payment_id", "paid_psp" = p."psp", "paid_amount_minor" = p."amount_minor", "paid_currency" = p."currency"
FROM "logistics"."payment_projections" p WHERE p."order_id" = r."order_id" AND r."status" = 'RELEASED';--> statement-breakpoint
UPDATE "logistics"."release_authorizations" SET "revoked_at" = "created_at" WHERE "status" = 'REVOKED';--> statement-breakpoint
ALTER TABLE "logistics"."payment_projections" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "logistics"."payment_projections" CASCADE;--> statement-breakpoint
CREATE UNIQUE INDEX "release_authorizations_shipment_live_key" ON "logistics"."release_authorizations" USING btree ("shipment_id") WHERE "logistics"."release_authorizations"."status" <> 'REVOKED';--> statement-breakpoint
CREATE INDEX "release_authorizations_shipment_idx" ON "logistics"."release_authorizations" USING btree ("shipment_id","created_at");--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD CONSTRAINT "release_authorizations_released_paid" CHECK ("logistics"."release_authorizations"."status" <> 'RELEASED' OR ("logistics"."release_authorizations"."authorized_at" IS NOT NULL AND "logistics"."release_authorizations"."payment_session_id" IS NOT NULL AND "logistics"."release_authorizations"."paid_amount_minor" > 0 AND "logistics"."release_authorizations"."paid_currency" IS NOT NULL));--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD CONSTRAINT "release_authorizations_revoked" CHECK (("logistics"."release_authorizations"."status" = 'REVOKED') = ("logistics"."release_authorizations"."revoked_at" IS NOT NULL));