CREATE TABLE "logistics"."quote_carrier_costs" (
	"quote_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"currency" text NOT NULL,
	"deliveries" jsonb NOT NULL,
	"total_amount" integer,
	"priced_on" text NOT NULL,
	"priced_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
