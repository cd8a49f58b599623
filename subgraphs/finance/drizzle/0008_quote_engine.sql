CREATE TABLE "finance"."quote_fees" (
	"quote_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"currency" char(3) NOT NULL,
	"fee_schedule_id" text,
	"fee_amount" integer,
	"priced_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
