CREATE TABLE "logistics"."pickup_locations" (
	"id" text PRIMARY KEY NOT NULL,
	"livemode" boolean NOT NULL,
	"carrier_code" text NOT NULL,
	"carrier_location_id" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"address" jsonb NOT NULL,
	"latitude" double precision,
	"longitude" double precision,
	"time_zone" text NOT NULL,
	"opening_hours" jsonb NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pickup_locations_geo" CHECK (("logistics"."pickup_locations"."latitude" IS NULL) = ("logistics"."pickup_locations"."longitude" IS NULL) AND ("logistics"."pickup_locations"."latitude" IS NULL OR ("logistics"."pickup_locations"."latitude" BETWEEN -90 AND 90 AND "logistics"."pickup_locations"."longitude" BETWEEN -180 AND 180))),
	CONSTRAINT "pickup_locations_kind" CHECK ("logistics"."pickup_locations"."kind" IN ('PICKUP_POINT', 'LOCKER')),
	CONSTRAINT "pickup_locations_validity" CHECK ("logistics"."pickup_locations"."valid_to" IS NULL OR "logistics"."pickup_locations"."valid_to" > "logistics"."pickup_locations"."valid_from")
);
--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD COLUMN "pickup_location_id" text;--> statement-breakpoint
ALTER TABLE "logistics"."pickup_locations" ADD CONSTRAINT "pickup_locations_carrier_code_carriers_code_fk" FOREIGN KEY ("carrier_code") REFERENCES "logistics"."carriers"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pickup_locations_carrier_location_key" ON "logistics"."pickup_locations" USING btree ("livemode","carrier_code","carrier_location_id");--> statement-breakpoint
CREATE INDEX "pickup_locations_postal_idx" ON "logistics"."pickup_locations" USING btree ("livemode",("address" ->> 'country'),("address" ->> 'postalCode'));--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD CONSTRAINT "shipments_pickup_location_id_pickup_locations_id_fk" FOREIGN KEY ("pickup_location_id") REFERENCES "logistics"."pickup_locations"("id") ON DELETE no action ON UPDATE no action;