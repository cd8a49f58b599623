CREATE TYPE "commerce"."quote_margin_kind" AS ENUM('PERCENTAGE', 'FIXED', 'MINIMUM');--> statement-breakpoint
CREATE TYPE "commerce"."quote_status" AS ENUM('PRICING', 'ISSUED', 'ACCEPTED', 'REFUSED');--> statement-breakpoint
CREATE TABLE "commerce"."quote_settings" (
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"margin_kind" "commerce"."quote_margin_kind" NOT NULL,
	"margin_basis_points" integer DEFAULT 0 NOT NULL,
	"margin_amount" integer DEFAULT 0 NOT NULL,
	"margin_currency" char(3),
	"tax_basis_points" integer DEFAULT 0 NOT NULL,
	"tax_label" text,
	"validity_hours" integer DEFAULT 72 NOT NULL,
	"brand_name" text,
	"logo_url" text,
	"primary_color" text DEFAULT '#1A1A2E' NOT NULL,
	"accent_color" text DEFAULT '#E94560' NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "quote_settings_merchant_id_livemode_pk" PRIMARY KEY("merchant_id","livemode"),
	CONSTRAINT "quote_settings_validity" CHECK ("commerce"."quote_settings"."validity_hours" between 1 and 2160)
);
--> statement-breakpoint
CREATE TABLE "commerce"."quotes" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"status" "commerce"."quote_status" DEFAULT 'PRICING' NOT NULL,
	"currency" char(3) NOT NULL,
	"deliveries" jsonb NOT NULL,
	"customer_name" text,
	"customer_email" text,
	"terms" jsonb NOT NULL,
	"carrier_cost" integer,
	"carrier_costs" jsonb,
	"ipay_fee" integer,
	"fee_schedule_id" text,
	"margin_amount" integer,
	"tax_amount" integer,
	"total_amount" integer,
	"refusal_code" text,
	"refusal_reason" text,
	"issued_at" timestamp (3) with time zone,
	"valid_until" timestamp (3) with time zone,
	"accepted_at" timestamp (3) with time zone,
	"order_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "quotes_issued_frozen" CHECK ("commerce"."quotes"."status" not in ('ISSUED', 'ACCEPTED') or ("commerce"."quotes"."total_amount" is not null and "commerce"."quotes"."valid_until" is not null and "commerce"."quotes"."total_amount" = "commerce"."quotes"."carrier_cost" + "commerce"."quotes"."ipay_fee" + "commerce"."quotes"."margin_amount" + "commerce"."quotes"."tax_amount"))
);
--> statement-breakpoint
CREATE INDEX "quotes_merchant_idx" ON "commerce"."quotes" USING btree ("merchant_id","livemode","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "quotes_order_key" ON "commerce"."quotes" USING btree ("order_id");