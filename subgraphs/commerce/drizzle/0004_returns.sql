CREATE TYPE "commerce"."retention_offer_kind" AS ENUM('EXCHANGE', 'PARTIAL_REFUND', 'STORE_CREDIT');--> statement-breakpoint
CREATE TYPE "commerce"."return_method" AS ENUM('DROP_OFF', 'LOCKER', 'PICKUP');--> statement-breakpoint
CREATE TYPE "commerce"."return_outcome" AS ENUM('REFUND', 'EXCHANGE', 'PARTIAL_REFUND', 'STORE_CREDIT');--> statement-breakpoint
CREATE TYPE "commerce"."return_status" AS ENUM('REQUESTED', 'LABEL_ISSUED', 'IN_TRANSIT', 'RECEIVED', 'INSPECTED', 'REFUNDED', 'REJECTED', 'EXCHANGED', 'CREDITED');--> statement-breakpoint
ALTER TYPE "commerce"."order_status" ADD VALUE 'PARTIALLY_RETURNED';--> statement-breakpoint
CREATE TABLE "commerce"."retention_offers" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"kind" "commerce"."retention_offer_kind" NOT NULL,
	"partial_refund_bps" integer,
	"bonus_bps" integer,
	"reason_codes" text[],
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "retention_offers_partial_refund_bps" CHECK ("commerce"."retention_offers"."partial_refund_bps" is null or ("commerce"."retention_offers"."partial_refund_bps" between 1 and 9999)),
	CONSTRAINT "retention_offers_bonus_bps" CHECK ("commerce"."retention_offers"."bonus_bps" is null or ("commerce"."retention_offers"."bonus_bps" between 0 and 10000))
);
--> statement-breakpoint
CREATE TABLE "commerce"."return_reasons" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"code" text NOT NULL,
	"label" text NOT NULL,
	"requires_text" boolean DEFAULT false NOT NULL,
	"archived_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "commerce"."returns" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"status" "commerce"."return_status" DEFAULT 'REQUESTED' NOT NULL,
	"method" "commerce"."return_method" NOT NULL,
	"reason_code" text NOT NULL,
	"reason_text" text,
	"lines" jsonb NOT NULL,
	"currency" char(3) NOT NULL,
	"value_amount" integer NOT NULL,
	"outcome" "commerce"."return_outcome" DEFAULT 'REFUND' NOT NULL,
	"accepted_offer" jsonb,
	"offered_offers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"confirmed_at" timestamp (3) with time zone,
	"carrier_code" text,
	"tracking_number" text,
	"inspection_approved" boolean,
	"inspection_note" text,
	"inspected_at" timestamp (3) with time zone,
	"refund_requested_amount" integer,
	"refunded_amount" integer,
	"refund_id" text,
	"refund_failure_code" text,
	"refund_failure_reason" text,
	"store_credit_amount" integer,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "returns_value_nonnegative" CHECK ("commerce"."returns"."value_amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "commerce"."store_credits" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"return_id" text NOT NULL,
	"customer_email" text,
	"amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "store_credits_amount_positive" CHECK ("commerce"."store_credits"."amount" > 0)
);
--> statement-breakpoint
CREATE INDEX "retention_offers_merchant_idx" ON "commerce"."retention_offers" USING btree ("merchant_id","livemode");--> statement-breakpoint
CREATE UNIQUE INDEX "return_reasons_code_key" ON "commerce"."return_reasons" USING btree ("merchant_id","livemode","code");--> statement-breakpoint
CREATE INDEX "returns_order_idx" ON "commerce"."returns" USING btree ("order_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "returns_merchant_idx" ON "commerce"."returns" USING btree ("merchant_id","livemode","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "store_credits_return_key" ON "commerce"."store_credits" USING btree ("return_id");