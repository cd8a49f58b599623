CREATE SCHEMA "payments";
--> statement-breakpoint
CREATE TYPE "payments"."payment_session_status" AS ENUM('CREATED', 'REQUESTED', 'AUTHORISED', 'CONFIRMED', 'FAILED', 'EXPIRED', 'CANCELLED', 'PARTIALLY_REFUNDED', 'REFUNDED');--> statement-breakpoint
CREATE TABLE "payments"."payment_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"status" "payments"."payment_session_status" DEFAULT 'CREATED' NOT NULL,
	"amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"psp" text NOT NULL,
	"method" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_sessions_amount_positive" CHECK ("payments"."payment_sessions"."amount" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "payment_sessions_reference_key" ON "payments"."payment_sessions" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "payment_sessions_order_idx" ON "payments"."payment_sessions" USING btree ("order_id","created_at" DESC NULLS LAST);