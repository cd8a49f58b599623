CREATE TABLE "logistics"."carrier_scans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"shipment_id" text NOT NULL,
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
CREATE TABLE "logistics"."order_projections" (
	"order_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"merchant_slug" text NOT NULL,
	"livemode" boolean NOT NULL,
	"reference" text,
	"currency" text NOT NULL,
	"total_minor" integer NOT NULL,
	"shipping_address" jsonb,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logistics"."payment_projections" (
	"order_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"payment_id" text NOT NULL,
	"psp" text NOT NULL,
	"status" text NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"last_event_id" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logistics"."rate_bands" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"livemode" boolean NOT NULL,
	"rate_card_id" text NOT NULL,
	"zone" text NOT NULL,
	"max_weight_grams" integer NOT NULL,
	"max_volume_cm3" integer,
	"amount" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logistics"."rate_cards" (
	"livemode" boolean NOT NULL,
	"id" text NOT NULL,
	"carrier_code" text NOT NULL,
	"service_level" text NOT NULL,
	"delivery_methods" text[] NOT NULL,
	"currency" text NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"volumetric_divisor" integer,
	"max_longest_side_mm" integer,
	"max_length_plus_girth_mm" integer,
	"zones" jsonb NOT NULL,
	"import_id" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rate_cards_livemode_id_pk" PRIMARY KEY("livemode","id")
);
--> statement-breakpoint
CREATE TABLE "logistics"."release_authorizations" (
	"id" text PRIMARY KEY NOT NULL,
	"shipment_id" text NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"carrier_code" text NOT NULL,
	"location_type" text NOT NULL,
	"code_hash" text NOT NULL,
	"key_id" text NOT NULL,
	"code_ciphertext" text NOT NULL,
	"qr_token_ciphertext" text NOT NULL,
	"status" text NOT NULL,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"authorized_at" timestamp (3) with time zone,
	"release_method" text,
	"handed_over_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logistics"."shipment_event_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"shipment_id" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "logistics"."surcharges" (
	"livemode" boolean NOT NULL,
	"id" text NOT NULL,
	"carrier_code" text NOT NULL,
	"kind" text NOT NULL,
	"service_levels" text[],
	"valid_from" date NOT NULL,
	"valid_to" date,
	"basis_points" integer,
	"country" text,
	"postcodes" jsonb,
	"amount" integer,
	"currency" text,
	"max_longest_side_mm" integer,
	"max_length_plus_girth_mm" integer,
	"import_id" text NOT NULL,
	CONSTRAINT "surcharges_livemode_id_pk" PRIMARY KEY("livemode","id")
);
--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD COLUMN "service_level" text DEFAULT 'STANDARD' NOT NULL;--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD COLUMN "delivery_method" text DEFAULT 'DOOR' NOT NULL;--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD COLUMN "parcel" jsonb;--> statement-breakpoint
ALTER TABLE "logistics"."shipments" ADD COLUMN "price" jsonb;--> statement-breakpoint
ALTER TABLE "logistics"."carrier_scans" ADD CONSTRAINT "carrier_scans_shipment_id_shipments_id_fk" FOREIGN KEY ("shipment_id") REFERENCES "logistics"."shipments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "logistics"."release_authorizations" ADD CONSTRAINT "release_authorizations_shipment_id_shipments_id_fk" FOREIGN KEY ("shipment_id") REFERENCES "logistics"."shipments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "carrier_scans_event_key" ON "logistics"."carrier_scans" USING btree ("carrier_code","carrier_event_id");--> statement-breakpoint
CREATE INDEX "carrier_scans_shipment_idx" ON "logistics"."carrier_scans" USING btree ("shipment_id");--> statement-breakpoint
CREATE INDEX "rate_bands_card_idx" ON "logistics"."rate_bands" USING btree ("livemode","rate_card_id");--> statement-breakpoint
CREATE INDEX "rate_cards_carrier_idx" ON "logistics"."rate_cards" USING btree ("livemode","carrier_code");--> statement-breakpoint
CREATE UNIQUE INDEX "release_authorizations_shipment_key" ON "logistics"."release_authorizations" USING btree ("shipment_id");--> statement-breakpoint
CREATE INDEX "release_authorizations_order_idx" ON "logistics"."release_authorizations" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "surcharges_carrier_idx" ON "logistics"."surcharges" USING btree ("livemode","carrier_code");