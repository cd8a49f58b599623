CREATE SCHEMA "logistics";
--> statement-breakpoint
CREATE TYPE "logistics"."shipment_status" AS ENUM('LABEL_CREATED', 'PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERY_FAILED', 'DELIVERED', 'RETURNED_TO_SENDER');--> statement-breakpoint
CREATE TABLE "logistics"."audit_head" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"position" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_head_single_row" CHECK ("logistics"."audit_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "logistics"."audit_log" (
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
CREATE TABLE "logistics"."carriers" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logistics"."shipments" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"carrier_code" text NOT NULL,
	"tracking_number" text NOT NULL,
	"status" "logistics"."shipment_status" DEFAULT 'LABEL_CREATED' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD CONSTRAINT "shipments_carrier_code_carriers_code_fk" FOREIGN KEY ("carrier_code") REFERENCES "logistics"."carriers"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_position_key" ON "logistics"."audit_log" USING btree ("position");--> statement-breakpoint
CREATE INDEX "audit_log_merchant_idx" ON "logistics"."audit_log" USING btree ("merchant_id","position");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "logistics"."audit_log" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "shipments_carrier_tracking_key" ON "logistics"."shipments" USING btree ("carrier_code","tracking_number");--> statement-breakpoint
CREATE INDEX "shipments_order_idx" ON "logistics"."shipments" USING btree ("order_id","created_at" DESC NULLS LAST);