CREATE TABLE "identity"."message_template_versions" (
	"template_id" text NOT NULL,
	"version" integer NOT NULL,
	"message" text NOT NULL,
	"published_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"published_by" text NOT NULL,
	CONSTRAINT "message_template_versions_template_id_version_pk" PRIMARY KEY("template_id","version")
);
--> statement-breakpoint
CREATE TABLE "identity"."message_templates" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text,
	"livemode" boolean,
	"locale" text NOT NULL,
	"key" text NOT NULL,
	"category" text NOT NULL,
	"latest_version" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "message_templates_owner_mode" CHECK (("identity"."message_templates"."merchant_id" is null) = ("identity"."message_templates"."livemode" is null))
);
--> statement-breakpoint
ALTER TABLE "identity"."message_template_versions" ADD CONSTRAINT "message_template_versions_template_id_message_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "identity"."message_templates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."message_templates" ADD CONSTRAINT "message_templates_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "identity"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "message_templates_platform_key" ON "identity"."message_templates" USING btree ("locale","key") WHERE "identity"."message_templates"."merchant_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "message_templates_merchant_key" ON "identity"."message_templates" USING btree ("merchant_id","livemode","locale","key") WHERE "identity"."message_templates"."merchant_id" is not null;