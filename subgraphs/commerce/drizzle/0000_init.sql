CREATE SCHEMA "commerce";
--> statement-breakpoint
CREATE TYPE "commerce"."order_status" AS ENUM('CREATED', 'AWAITING_PAYMENT', 'PAID', 'OUT_FOR_DELIVERY', 'RELEASED', 'DELIVERED', 'RETURNED', 'REFUNDED', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "commerce"."audit_head" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"position" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_head_single_row" CHECK ("commerce"."audit_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "commerce"."audit_log" (
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
CREATE TABLE "commerce"."orders" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"merchant_reference" text NOT NULL,
	"status" "commerce"."order_status" DEFAULT 'CREATED' NOT NULL,
	"total_amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"customer_name" text NOT NULL,
	"customer_email" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_total_amount_nonnegative" CHECK ("commerce"."orders"."total_amount" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_position_key" ON "commerce"."audit_log" USING btree ("position");--> statement-breakpoint
CREATE INDEX "audit_log_merchant_idx" ON "commerce"."audit_log" USING btree ("merchant_id","position");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "commerce"."audit_log" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_merchant_reference_key" ON "commerce"."orders" USING btree ("merchant_id","livemode","merchant_reference");--> statement-breakpoint
CREATE INDEX "orders_merchant_created_idx" ON "commerce"."orders" USING btree ("merchant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_created_idx" ON "commerce"."orders" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);