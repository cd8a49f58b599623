CREATE SCHEMA "events";
--> statement-breakpoint
CREATE TABLE "events"."consumer_offsets" (
	"name" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL,
	"lease_owner" text,
	"leased_until" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events"."log" (
	"position" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"type" text NOT NULL,
	"version" integer NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"source" text NOT NULL,
	"merchant_id" text,
	"livemode" boolean NOT NULL,
	"carrier_code" text,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"recorded_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "log_id_key" ON "events"."log" USING btree ("id");