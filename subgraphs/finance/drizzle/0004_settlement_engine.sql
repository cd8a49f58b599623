CREATE TYPE "finance"."settlement_line_kind" AS ENUM('COLLECTION', 'REFUND', 'ADJUSTMENT');--> statement-breakpoint
CREATE TYPE "finance"."settlement_period_kind" AS ENUM('DAILY', 'WEEKLY', 'MONTHLY');--> statement-breakpoint
ALTER TYPE "finance"."settlement_status" ADD VALUE 'APPROVED' BEFORE 'PAID';--> statement-breakpoint
CREATE TABLE "finance"."settlement_approval_thresholds" (
	"currency" char(3) PRIMARY KEY NOT NULL,
	"amount" integer NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlement_approval_thresholds_not_negative" CHECK ("finance"."settlement_approval_thresholds"."amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "finance"."fee_schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"currency" char(3) NOT NULL,
	"fee_amount" integer NOT NULL,
	"valid_from" timestamp (3) with time zone NOT NULL,
	"valid_to" timestamp (3) with time zone,
	"reason" text,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fee_schedules_fee_not_negative" CHECK ("finance"."fee_schedules"."fee_amount" >= 0),
	CONSTRAINT "fee_schedules_validity_ordered" CHECK ("finance"."fee_schedules"."valid_to" is null or "finance"."fee_schedules"."valid_from" < "finance"."fee_schedules"."valid_to")
);
--> statement-breakpoint
CREATE TABLE "finance"."settlement_orders" (
	"order_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"merchant_slug" text NOT NULL,
	"livemode" boolean NOT NULL,
	"version" integer NOT NULL,
	"state" text NOT NULL,
	"currency" char(3) NOT NULL,
	"amount_due" integer NOT NULL,
	"captured" integer NOT NULL,
	"refunded" integer NOT NULL,
	"payment_session_id" text,
	"psp" text,
	"paid_at" timestamp (3) with time zone,
	"last_event_id" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finance"."settlement_refunds" (
	"refund_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"payment_session_id" text,
	"currency" char(3) NOT NULL,
	"amount" integer NOT NULL,
	"refunded_at" timestamp (3) with time zone NOT NULL,
	"line_id" text
);
--> statement-breakpoint
CREATE TABLE "finance"."settlement_settings" (
	"merchant_id" text PRIMARY KEY NOT NULL,
	"period_kind" "finance"."settlement_period_kind" NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "finance"."settlement_lines_order_key";--> statement-breakpoint
DROP INDEX "finance"."settlement_lines_settlement_idx";--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" DROP CONSTRAINT "settlement_lines_settlement_id_order_id_pk";--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ALTER COLUMN "order_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "id" text;--> statement-breakpoint
-- Lines written before lines had ids (sandbox seed) get a stable one from their settlement and order.
UPDATE "finance"."settlement_lines" SET "id" = 'sli_' || md5("settlement_id" || ':' || coalesce("order_id", '')) WHERE "id" IS NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ALTER COLUMN "id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD PRIMARY KEY ("id");--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "kind" "finance"."settlement_line_kind" DEFAULT 'COLLECTION' NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "payment_session_id" text;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "refund_id" text;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "fee_schedule_id" text;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "corrects_settlement_id" text;--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD COLUMN "created_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "merchant_slug" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "period_kind" "finance"."settlement_period_kind" DEFAULT 'MONTHLY' NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "line_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "closed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "closed_by" text;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "requires_four_eyes" boolean;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "approved_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "approved_by" text;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "paid_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "paid_by" text;--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD COLUMN "payout_reference" text;--> statement-breakpoint
CREATE UNIQUE INDEX "fee_schedules_from_key" ON "finance"."fee_schedules" USING btree ("merchant_id","currency","valid_from");--> statement-breakpoint
CREATE INDEX "settlement_orders_paid_idx" ON "finance"."settlement_orders" USING btree ("paid_at");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_lines_collection_key" ON "finance"."settlement_lines" USING btree ("order_id") WHERE kind = 'COLLECTION';--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_lines_refund_key" ON "finance"."settlement_lines" USING btree ("refund_id") WHERE refund_id is not null;--> statement-breakpoint
CREATE INDEX "settlement_lines_order_idx" ON "finance"."settlement_lines" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "settlements_status_idx" ON "finance"."settlements" USING btree ("status","period_end");--> statement-breakpoint
CREATE INDEX "settlement_lines_settlement_idx" ON "finance"."settlement_lines" USING btree ("settlement_id","id");--> statement-breakpoint
ALTER TABLE "finance"."settlement_lines" ADD CONSTRAINT "settlement_lines_adjustment_has_reason" CHECK ("finance"."settlement_lines"."kind" <> 'ADJUSTMENT' or coalesce(length("finance"."settlement_lines"."reason"), 0) > 0);--> statement-breakpoint
ALTER TABLE "finance"."settlements" ADD CONSTRAINT "settlements_period_ordered" CHECK ("finance"."settlements"."period_start" < "finance"."settlements"."period_end");