CREATE SCHEMA "identity";
--> statement-breakpoint
CREATE TABLE "identity"."merchants" (
	"id" text PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"country" char(2) NOT NULL,
	"default_currency" char(3) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "merchants_slug_key" ON "identity"."merchants" USING btree ("slug");