CREATE SCHEMA "finance";
--> statement-breakpoint
CREATE TYPE "finance"."settlement_status" AS ENUM('OPEN', 'CLOSED', 'PAID');--> statement-breakpoint
CREATE TABLE "finance"."audit_head" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"position" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_head_single_row" CHECK ("finance"."audit_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "finance"."audit_log" (
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
CREATE TABLE "finance"."settlement_lines" (
	"settlement_id" text NOT NULL,
	"order_id" text NOT NULL,
	"gross_amount" integer NOT NULL,
	"fee_amount" integer NOT NULL,
	"net_amount" integer NOT NULL,
	CONSTRAINT "settlement_lines_settlement_id_order_id_pk" PRIMARY KEY("settlement_id","order_id"),
	CONSTRAINT "settlement_lines_net_is_gross_minus_fee" CHECK ("finance"."settlement_lines"."net_amount" = "finance"."settlement_lines"."gross_amount" - "finance"."settlement_lines"."fee_amount")
);
--> statement-breakpoint
CREATE TABLE "finance"."settlements" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"period_end" timestamp (3) with time zone NOT NULL,
	"status" "finance"."settlement_status" DEFAULT 'OPEN' NOT NULL,
	"currency" char(3) NOT NULL,
	"gross_amount" integer NOT NULL,
	"fee_amount" integer NOT NULL,
	"net_amount" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlements_net_is_gross_minus_fees" CHECK ("finance"."settlements"."net_amount" = "finance"."settlements"."gross_amount" - "finance"."settlements"."fee_amount")
);
--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD CONSTRAINT "settlement_lines_settlement_id_settlements_id_fk" FOREIGN KEY ("settlement_id") REFERENCES "finance"."settlements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_position_key" ON "finance"."audit_log" USING btree ("position");--> statement-breakpoint
CREATE INDEX "audit_log_merchant_idx" ON "finance"."audit_log" USING btree ("merchant_id","position");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "finance"."audit_log" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_lines_order_key" ON "finance"."settlement_lines" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "settlement_lines_settlement_idx" ON "finance"."settlement_lines" USING btree ("settlement_id");--> statement-breakpoint
CREATE UNIQUE INDEX "settlements_merchant_period_key" ON "finance"."settlements" USING btree ("merchant_id","livemode","currency","period_start");