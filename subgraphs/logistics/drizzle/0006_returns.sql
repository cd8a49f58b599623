CREATE TABLE "logistics"."return_scans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"return_shipment_id" text NOT NULL,
	"carrier_code" text NOT NULL,
	"tracking_number" text NOT NULL,
	"carrier_event_id" text NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"carrier_status_code" text NOT NULL,
	"description" text,
	"location" text,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logistics"."return_shipments" (
	"id" text PRIMARY KEY NOT NULL,
	"return_id" text NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"carrier_code" text NOT NULL,
	"tracking_number" text NOT NULL,
	"method" text NOT NULL,
	"status" "logistics"."shipment_status" DEFAULT 'LABEL_CREATED' NOT NULL,
	"qr_payload" text NOT NULL,
	"price" jsonb,
	"in_transit_announced_at" timestamp (3) with time zone,
	"received_announced_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "logistics"."return_scans" ADD CONSTRAINT "return_scans_return_shipment_id_return_shipments_id_fk" FOREIGN KEY ("return_shipment_id") REFERENCES "logistics"."return_shipments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "logistics"."return_shipments" ADD CONSTRAINT "return_shipments_carrier_code_carriers_code_fk" FOREIGN KEY ("carrier_code") REFERENCES "logistics"."carriers"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "return_scans_event_key" ON "logistics"."return_scans" USING btree ("carrier_code","carrier_event_id");--> statement-breakpoint
CREATE INDEX "return_scans_shipment_idx" ON "logistics"."return_scans" USING btree ("return_shipment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "return_shipments_return_key" ON "logistics"."return_shipments" USING btree ("return_id");--> statement-breakpoint
CREATE UNIQUE INDEX "return_shipments_carrier_tracking_key" ON "logistics"."return_shipments" USING btree ("carrier_code","tracking_number");