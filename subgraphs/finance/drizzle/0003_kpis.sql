CREATE TABLE "finance"."kpi_counters" (
	"merchant_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"day" date NOT NULL,
	"metric" text NOT NULL,
	"currency" text DEFAULT '' NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	"amount_minor" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kpi_counters_merchant_id_livemode_day_metric_currency_pk" PRIMARY KEY("merchant_id","livemode","day","metric","currency")
);
--> statement-breakpoint
CREATE TABLE "finance"."kpi_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"counted_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
