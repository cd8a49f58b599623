CREATE TYPE "payments"."order_payment_state" AS ENUM('UNPAID', 'PARTIALLY_CAPTURED', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED');--> statement-breakpoint
CREATE TYPE "payments"."refund_kind" AS ENUM('REQUESTED', 'CAPTURE_REVERSAL');--> statement-breakpoint
CREATE TABLE "payments"."order_payment_states" (
	"order_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"version" integer NOT NULL,
	"state" "payments"."order_payment_state" NOT NULL,
	"amount_due" integer NOT NULL,
	"captured" integer NOT NULL,
	"refunded" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"session_id" text,
	"psp" text,
	"paid_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_payment_states_version_positive" CHECK ("payments"."order_payment_states"."version" >= 1),
	CONSTRAINT "order_payment_states_money" CHECK (0 <= "payments"."order_payment_states"."refunded" and "payments"."order_payment_states"."refunded" <= "payments"."order_payment_states"."captured")
);
--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "superseded_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "superseded_reason" text;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "psp_cancel_requested_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "payments"."refunds" ADD COLUMN "kind" "payments"."refund_kind" DEFAULT 'REQUESTED' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_sessions_one_funds_holder_per_order" ON "payments"."payment_sessions" USING btree ("order_id") WHERE "payments"."payment_sessions"."superseded_at" is null and "payments"."payment_sessions"."status" not in ('CREATED', 'REQUESTED', 'FAILED', 'EXPIRED', 'CANCELLED');--> statement-breakpoint
CREATE INDEX "payment_sessions_superseded_open_idx" ON "payments"."payment_sessions" USING btree ("superseded_at") WHERE "payments"."payment_sessions"."superseded_at" is not null and "payments"."payment_sessions"."psp_cancel_requested_at" is null;