CREATE TYPE "payments"."refund_status" AS ENUM('PENDING', 'SUCCEEDED', 'FAILED');--> statement-breakpoint
CREATE TABLE "payments"."orders" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"merchant" text NOT NULL,
	"livemode" boolean NOT NULL,
	"reference" text NOT NULL,
	"status" text NOT NULL,
	"amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments"."payment_events" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"event_id" text,
	"event_type" text NOT NULL,
	"source" text NOT NULL,
	"psp_reference" text,
	"psp_status_code" text,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"recorded_at" timestamp (3) with time zone NOT NULL,
	"raw_payload_ref" text,
	"outcome" text NOT NULL,
	"from_status" "payments"."payment_session_status" NOT NULL,
	"to_status" "payments"."payment_session_status" NOT NULL,
	"reason" text NOT NULL,
	"amount" integer,
	"refunded_total" integer,
	"currency" char(3) NOT NULL,
	"authorised_amount" integer NOT NULL,
	"captured_amount" integer NOT NULL,
	"refunded_amount" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments"."psp_notifications" (
	"id" text PRIMARY KEY NOT NULL,
	"psp" text NOT NULL,
	"livemode" boolean NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"body" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments"."refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"reason" text NOT NULL,
	"status" "payments"."refund_status" DEFAULT 'PENDING' NOT NULL,
	"psp_reference" text,
	"failure_reason" text,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"announced_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refunds_amount_positive" CHECK ("payments"."refunds"."amount" > 0)
);
--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "psp_reference" text;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "next_action" jsonb;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "authorised_amount" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "captured_amount" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "refunded_amount" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD COLUMN "request_hash" text;--> statement-breakpoint
ALTER TABLE "payments"."payment_events" ADD CONSTRAINT "payment_events_session_id_payment_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "payments"."payment_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments"."refunds" ADD CONSTRAINT "refunds_session_id_payment_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "payments"."payment_sessions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_events_session_event_key" ON "payments"."payment_events" USING btree ("session_id","event_id");--> statement-breakpoint
CREATE INDEX "payment_events_session_idx" ON "payments"."payment_events" USING btree ("session_id","recorded_at");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_idempotency_key" ON "payments"."refunds" USING btree ("session_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "refunds_session_idx" ON "payments"."refunds" USING btree ("session_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_sessions_idempotency_key" ON "payments"."payment_sessions" USING btree ("merchant_id","livemode","idempotency_key");--> statement-breakpoint
CREATE INDEX "payment_sessions_psp_reference_idx" ON "payments"."payment_sessions" USING btree ("psp","psp_reference");--> statement-breakpoint
CREATE INDEX "payment_sessions_open_expiry_idx" ON "payments"."payment_sessions" USING btree ("expires_at") WHERE "payments"."payment_sessions"."status" in ('CREATED', 'REQUESTED');--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" ADD CONSTRAINT "payment_sessions_amounts_ordered" CHECK (0 <= "payments"."payment_sessions"."refunded_amount" and "payments"."payment_sessions"."refunded_amount" <= "payments"."payment_sessions"."captured_amount" and "payments"."payment_sessions"."captured_amount" <= "payments"."payment_sessions"."authorised_amount" and "payments"."payment_sessions"."authorised_amount" <= "payments"."payment_sessions"."amount");--> statement-breakpoint
-- Sessions stored before amounts were tracked: a confirmed session captured its whole amount, a refunded one refunded it.
UPDATE "payments"."payment_sessions" SET "authorised_amount" = "amount", "captured_amount" = "amount" WHERE "status" IN ('CONFIRMED', 'PARTIALLY_REFUNDED', 'REFUNDED');--> statement-breakpoint
UPDATE "payments"."payment_sessions" SET "refunded_amount" = "amount" WHERE "status" = 'REFUNDED';
