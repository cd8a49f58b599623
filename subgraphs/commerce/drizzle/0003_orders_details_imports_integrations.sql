CREATE TYPE "commerce"."import_format" AS ENUM('CSV', 'JSON');--> statement-breakpoint
CREATE TYPE "commerce"."import_job_status" AS ENUM('PENDING', 'RUNNING', 'COMPLETED', 'FAILED');--> statement-breakpoint
CREATE TYPE "commerce"."integration_status" AS ENUM('PENDING', 'CONNECTED', 'ERROR', 'DISCONNECTED');--> statement-breakpoint
CREATE TYPE "commerce"."order_source" AS ENUM('API', 'IMPORT', 'INTEGRATION', 'SANDBOX');--> statement-breakpoint
CREATE TABLE "commerce"."idempotency_keys" (
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"order_id" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_merchant_id_livemode_key_pk" PRIMARY KEY("merchant_id","livemode","key")
);
--> statement-breakpoint
CREATE TABLE "commerce"."import_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"format" "commerce"."import_format" NOT NULL,
	"status" "commerce"."import_job_status" DEFAULT 'PENDING' NOT NULL,
	"total_rows" integer NOT NULL,
	"processed_rows" integer DEFAULT 0 NOT NULL,
	"created_count" integer DEFAULT 0 NOT NULL,
	"duplicate_count" integer DEFAULT 0 NOT NULL,
	"failed_count" integer DEFAULT 0 NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"failure_reason" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "commerce"."integrations" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"platform" text NOT NULL,
	"base_url" text NOT NULL,
	"auth_base_url" text,
	"status" "commerce"."integration_status" DEFAULT 'PENDING' NOT NULL,
	"credentials_sealed" text NOT NULL,
	"external_account_id" text,
	"account_name" text,
	"sync_cursor" text,
	"sync_interval_seconds" integer DEFAULT 300 NOT NULL,
	"next_run_at" timestamp (3) with time zone,
	"last_run_at" timestamp (3) with time zone,
	"last_success_at" timestamp (3) with time zone,
	"last_error" text,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"imported_count" integer DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "commerce"."merchants" (
	"id" text PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"country" char(2) NOT NULL,
	"currency" char(3) NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "commerce"."orders" ALTER COLUMN "customer_email" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "customer_phone" text;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "subtotal_amount" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "shipping_amount" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "discount_amount" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "adjustment_amount" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "lines" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "shipping_address" jsonb;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "source" "commerce"."order_source" DEFAULT 'API' NOT NULL;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "source_platform" text;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "external_id" text;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "integration_id" text;--> statement-breakpoint
ALTER TABLE "commerce"."orders" ADD COLUMN "cancellation_reason" text;--> statement-breakpoint
CREATE INDEX "import_jobs_merchant_idx" ON "commerce"."import_jobs" USING btree ("merchant_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "integrations_merchant_idx" ON "commerce"."integrations" USING btree ("merchant_id","livemode");--> statement-breakpoint
CREATE INDEX "integrations_due_idx" ON "commerce"."integrations" USING btree ("next_run_at") WHERE "commerce"."integrations"."status" = 'CONNECTED';--> statement-breakpoint
CREATE UNIQUE INDEX "orders_external_key" ON "commerce"."orders" USING btree ("merchant_id","livemode","source_platform","external_id") WHERE "commerce"."orders"."external_id" is not null;--> statement-breakpoint
CREATE INDEX "orders_status_idx" ON "commerce"."orders" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);