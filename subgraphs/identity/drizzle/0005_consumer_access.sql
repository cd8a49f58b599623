CREATE TABLE "identity"."consumer_access_failures" (
	"id" text PRIMARY KEY NOT NULL,
	"livemode" boolean NOT NULL,
	"reference" text NOT NULL,
	"source_ip" text,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."consumer_orders" (
	"order_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"reference" text NOT NULL,
	"postal_code" text,
	"country" char(2),
	"customer_name" text,
	"total_amount" integer NOT NULL,
	"currency" char(3) NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."consumer_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"locale" text NOT NULL,
	"issued_via" text NOT NULL,
	"issued_by" text,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "identity"."consumer_tokens" ADD CONSTRAINT "consumer_tokens_order_id_consumer_orders_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "identity"."consumer_orders"("order_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consumer_access_failures_reference_idx" ON "identity"."consumer_access_failures" USING btree ("livemode","reference","at");--> statement-breakpoint
CREATE INDEX "consumer_access_failures_ip_idx" ON "identity"."consumer_access_failures" USING btree ("source_ip","at");--> statement-breakpoint
CREATE INDEX "consumer_orders_reference_idx" ON "identity"."consumer_orders" USING btree ("livemode","reference");--> statement-breakpoint
CREATE INDEX "consumer_tokens_order_idx" ON "identity"."consumer_tokens" USING btree ("order_id");