CREATE SCHEMA "payments";
--> statement-breakpoint
CREATE TYPE "payments"."payment_session_status" AS ENUM('CREATED', 'REQUESTED', 'AUTHORISED', 'CONFIRMED', 'FAILED', 'EXPIRED', 'CANCELLED', 'PARTIALLY_REFUNDED', 'REFUNDED');--> statement-breakpoint
CREATE TABLE "payments"."audit_head" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"position" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_head_single_row" CHECK ("payments"."audit_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "payments"."audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"principal_kind" text NOT NULL,
	"principal_id" text NOT NULL,
	"credential_id" text,
	"merchant_id" text,
	"livemode" boolean NOT NULL,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"changes" jsonb NOT NULL,
	"request_id" text,
	"source_ip" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments"."payment_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
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
CREATE UNIQUE INDEX "audit_log_position_key" ON "payments"."audit_log" USING btree ("position");--> statement-breakpoint
CREATE INDEX "audit_log_merchant_idx" ON "payments"."audit_log" USING btree ("merchant_id","position");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "payments"."audit_log" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_sessions_reference_key" ON "payments"."payment_sessions" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "payment_sessions_order_idx" ON "payments"."payment_sessions" USING btree ("order_id","created_at" DESC NULLS LAST);