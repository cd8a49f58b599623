CREATE SCHEMA "identity";
--> statement-breakpoint
CREATE TYPE "identity"."crm_sync_status" AS ENUM('PENDING', 'SUCCEEDED', 'FAILED');--> statement-breakpoint
CREATE TYPE "identity"."grantee" AS ENUM('USER', 'API_KEY');--> statement-breakpoint
CREATE TYPE "identity"."key_owner" AS ENUM('MERCHANT', 'PARTNER', 'PLATFORM');--> statement-breakpoint
CREATE TYPE "identity"."onboarding_status" AS ENUM('LEAD', 'KYC_PENDING', 'ACTIVE', 'SUSPENDED', 'CLOSED');--> statement-breakpoint
CREATE TYPE "identity"."partner_kind" AS ENUM('CARRIER', 'PSP', 'MARKETPLACE');--> statement-breakpoint
CREATE TYPE "identity"."scope_kind" AS ENUM('MERCHANTS', 'CARRIERS', 'ALL');--> statement-breakpoint
CREATE TABLE "identity"."api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_kind" "identity"."key_owner" NOT NULL,
	"merchant_id" text,
	"partner_id" text,
	"name" text NOT NULL,
	"livemode" boolean NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	"replaced_by_id" text,
	CONSTRAINT "api_keys_owner" CHECK (("identity"."api_keys"."owner_kind" = 'MERCHANT') = ("identity"."api_keys"."merchant_id" is not null) and ("identity"."api_keys"."owner_kind" = 'PARTNER') = ("identity"."api_keys"."partner_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "identity"."audit_head" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"position" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_head_single_row" CHECK ("identity"."audit_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "identity"."audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"position" bigint NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"principal_kind" text NOT NULL,
	"principal_id" text NOT NULL,
	"credential_id" text,
	"merchant_id" text,
	"livemode" boolean NOT NULL,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"changes" jsonb NOT NULL,
	"request_id" text,
	"source_ip" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."crm_sandbox_records" (
	"merchant_id" text PRIMARY KEY NOT NULL,
	"payload" jsonb NOT NULL,
	"synced_at" timestamp (3) with time zone NOT NULL,
	"sync_count" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."crm_sync_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"snapshot" jsonb NOT NULL,
	"status" "identity"."crm_sync_status" DEFAULT 'PENDING' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."merchants" (
	"id" text PRIMARY KEY NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"country" char(2) NOT NULL,
	"default_currency" char(3) NOT NULL,
	"onboarding_status" "identity"."onboarding_status" DEFAULT 'LEAD' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."partners" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" "identity"."partner_kind" NOT NULL,
	"name" text NOT NULL,
	"carrier_code" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."role_assignments" (
	"id" text PRIMARY KEY NOT NULL,
	"grantee_kind" "identity"."grantee" NOT NULL,
	"grantee_id" text NOT NULL,
	"role_id" text NOT NULL,
	"scope_kind" "identity"."scope_kind" NOT NULL,
	"merchant_ids" text[] DEFAULT '{}' NOT NULL,
	"carrier_codes" text[] DEFAULT '{}' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."roles" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"permissions" text[] NOT NULL,
	"built_in" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"livemode" boolean NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"revoked_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"is_operator" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp (3) with time zone
);
--> statement-breakpoint
ALTER TABLE "identity"."api_keys" ADD CONSTRAINT "api_keys_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "identity"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."api_keys" ADD CONSTRAINT "api_keys_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "identity"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."crm_sync_jobs" ADD CONSTRAINT "crm_sync_jobs_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "identity"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."role_assignments" ADD CONSTRAINT "role_assignments_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "identity"."roles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."roles" ADD CONSTRAINT "roles_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "identity"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "identity"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "identity"."api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "api_keys_merchant_idx" ON "identity"."api_keys" USING btree ("merchant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_position_key" ON "identity"."audit_log" USING btree ("position");--> statement-breakpoint
CREATE INDEX "audit_log_merchant_idx" ON "identity"."audit_log" USING btree ("merchant_id","position");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "identity"."audit_log" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE INDEX "crm_sync_jobs_due_idx" ON "identity"."crm_sync_jobs" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE UNIQUE INDEX "merchants_slug_key" ON "identity"."merchants" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "role_assignments_grantee_idx" ON "identity"."role_assignments" USING btree ("grantee_kind","grantee_id");--> statement-breakpoint
CREATE UNIQUE INDEX "roles_merchant_key" ON "identity"."roles" USING btree (coalesce("merchant_id", ''),"key");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "identity"."users" USING btree (lower("email"));