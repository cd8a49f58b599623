CREATE TABLE "identity"."consumer_mails" (
	"id" text PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"message" text NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"recipient" text NOT NULL,
	"locale" text NOT NULL,
	"subject_locale" text,
	"body_locale" text,
	"subject" text,
	"body" text,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"message_id" text,
	"claimed_at" timestamp (3) with time zone,
	"sent_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consumer_mails_rendered" CHECK ("identity"."consumer_mails"."status" = 'FAILED' OR ("identity"."consumer_mails"."subject" IS NOT NULL AND "identity"."consumer_mails"."body" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "identity"."consumer_orders" ADD COLUMN "customer_email" text;--> statement-breakpoint
CREATE UNIQUE INDEX "consumer_mails_dedupe_key" ON "identity"."consumer_mails" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "consumer_mails_status_idx" ON "identity"."consumer_mails" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "consumer_mails_order_idx" ON "identity"."consumer_mails" USING btree ("order_id");