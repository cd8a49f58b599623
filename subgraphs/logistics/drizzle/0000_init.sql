CREATE SCHEMA "logistics";
--> statement-breakpoint
CREATE TYPE "logistics"."shipment_status" AS ENUM('LABEL_CREATED', 'PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERY_FAILED', 'DELIVERED', 'RETURNED_TO_SENDER');--> statement-breakpoint
CREATE TABLE "logistics"."carriers" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logistics"."shipments" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"carrier_code" text NOT NULL,
	"tracking_number" text NOT NULL,
	"status" "logistics"."shipment_status" DEFAULT 'LABEL_CREATED' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD CONSTRAINT "shipments_carrier_code_carriers_code_fk" FOREIGN KEY ("carrier_code") REFERENCES "logistics"."carriers"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "shipments_carrier_tracking_key" ON "logistics"."shipments" USING btree ("carrier_code","tracking_number");--> statement-breakpoint
CREATE INDEX "shipments_order_idx" ON "logistics"."shipments" USING btree ("order_id","created_at" DESC NULLS LAST);