CREATE SCHEMA "commerce";
--> statement-breakpoint
CREATE TYPE "commerce"."order_status" AS ENUM('CREATED', 'AWAITING_PAYMENT', 'PAID', 'OUT_FOR_DELIVERY', 'RELEASED', 'DELIVERED', 'RETURNED', 'REFUNDED', 'CANCELLED');--> statement-breakpoint
CREATE TABLE "commerce"."orders" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
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
CREATE UNIQUE INDEX "orders_merchant_reference_key" ON "commerce"."orders" USING btree ("merchant_id","merchant_reference");--> statement-breakpoint
CREATE INDEX "orders_merchant_created_idx" ON "commerce"."orders" USING btree ("merchant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "orders_created_idx" ON "commerce"."orders" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);