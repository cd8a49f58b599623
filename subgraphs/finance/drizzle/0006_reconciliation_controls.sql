CREATE TYPE "finance"."carrier_invoice_status" AS ENUM('RECONCILING', 'RECONCILED');--> statement-breakpoint
CREATE TYPE "finance"."control_outcome" AS ENUM('PASS', 'FAIL');--> statement-breakpoint
CREATE TYPE "finance"."control_trigger" AS ENUM('SCHEDULED', 'ON_DEMAND');--> statement-breakpoint
CREATE TYPE "finance"."carrier_invoice_line_class" AS ENUM('MATCHED', 'MISMATCH', 'UNMATCHED');--> statement-breakpoint
CREATE TYPE "finance"."carrier_invoice_line_resolution" AS ENUM('ACCEPT_CARRIER', 'ACCEPT_EXPECTED', 'DISPUTE');--> statement-breakpoint
CREATE TABLE "finance"."audit_chain_attestations" (
	"subgraph" text PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"valid" boolean NOT NULL,
	"checked_records" integer NOT NULL,
	"broken_at_position" integer,
	"reason" text,
	"verified_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finance"."carrier_contacts" (
	"carrier_code" text NOT NULL,
	"livemode" boolean NOT NULL,
	"emails" jsonb NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "carrier_contacts_carrier_code_livemode_pk" PRIMARY KEY("carrier_code","livemode")
);
--> statement-breakpoint
CREATE TABLE "finance"."carrier_invoice_lines" (
	"id" text PRIMARY KEY NOT NULL,
	"invoice_id" text NOT NULL,
	"line_number" integer NOT NULL,
	"tracking_number" text NOT NULL,
	"shipment_id" text,
	"order_id" text,
	"billed_weight_grams" integer,
	"billed_zone" text,
	"billed_service" text,
	"base_minor" bigint NOT NULL,
	"surcharge_minor" bigint NOT NULL,
	"billed_minor" bigint NOT NULL,
	"expected_minor" bigint,
	"classification" "finance"."carrier_invoice_line_class" NOT NULL,
	"reason" text,
	"charges" jsonb NOT NULL,
	"resolution" "finance"."carrier_invoice_line_resolution",
	"resolution_note" text,
	"resolved_by" text,
	"resolved_at" timestamp (3) with time zone,
	CONSTRAINT "carrier_invoice_lines_billed_is_base_plus_surcharges" CHECK ("finance"."carrier_invoice_lines"."billed_minor" = "finance"."carrier_invoice_lines"."base_minor" + "finance"."carrier_invoice_lines"."surcharge_minor")
);
--> statement-breakpoint
CREATE TABLE "finance"."carrier_invoices" (
	"id" text PRIMARY KEY NOT NULL,
	"livemode" boolean NOT NULL,
	"carrier_code" text NOT NULL,
	"invoice_number" text NOT NULL,
	"invoice_date" date NOT NULL,
	"layout" text NOT NULL,
	"currency" char(3) NOT NULL,
	"total_minor" bigint NOT NULL,
	"paid_minor" bigint DEFAULT 0 NOT NULL,
	"status" "finance"."carrier_invoice_status" NOT NULL,
	"imported_at" timestamp (3) with time zone NOT NULL,
	"reconciled_at" timestamp (3) with time zone,
	CONSTRAINT "carrier_invoices_paid_within_total" CHECK ("finance"."carrier_invoices"."paid_minor" >= 0 and "finance"."carrier_invoices"."paid_minor" <= "finance"."carrier_invoices"."total_minor")
);
--> statement-breakpoint
CREATE TABLE "finance"."control_results" (
	"run_id" text NOT NULL,
	"control" text NOT NULL,
	"result" "finance"."control_outcome" NOT NULL,
	"description" text NOT NULL,
	"evidence_count" integer NOT NULL,
	"evidence" jsonb NOT NULL,
	CONSTRAINT "control_results_run_id_control_pk" PRIMARY KEY("run_id","control")
);
--> statement-breakpoint
CREATE TABLE "finance"."control_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"livemode" boolean NOT NULL,
	"trigger" "finance"."control_trigger" NOT NULL,
	"run_date" date NOT NULL,
	"result" "finance"."control_outcome" NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone NOT NULL,
	"digest_message_id" text,
	"digest_error" text
);
--> statement-breakpoint
CREATE TABLE "finance"."order_payment_states" (
	"order_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text,
	"livemode" boolean NOT NULL,
	"version" integer NOT NULL,
	"state" text NOT NULL,
	"fully_paid" boolean NOT NULL,
	"currency" char(3) NOT NULL,
	"amount_due_minor" bigint NOT NULL,
	"captured_minor" bigint NOT NULL,
	"refunded_minor" bigint NOT NULL,
	"payment_session_id" text,
	"paid_at" timestamp (3) with time zone,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finance"."refund_projections" (
	"refund_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text,
	"livemode" boolean NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finance"."release_projections" (
	"event_id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text,
	"livemode" boolean NOT NULL,
	"release_id" text,
	"occurred_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finance"."sandbox_mail" (
	"id" text PRIMARY KEY NOT NULL,
	"message_id" text,
	"from_address" text NOT NULL,
	"recipients" jsonb NOT NULL,
	"subject" text NOT NULL,
	"text" text NOT NULL,
	"attachments" jsonb NOT NULL,
	"raw" text NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finance"."shipment_projections" (
	"shipment_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"merchant_id" text,
	"livemode" boolean NOT NULL,
	"carrier_code" text NOT NULL,
	"tracking_number" text NOT NULL,
	"service_level" text,
	"zone" text,
	"weight_grams" integer,
	"expected_cost_minor" integer,
	"expected_currency" char(3),
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "finance"."carrier_invoice_lines" ADD CONSTRAINT "carrier_invoice_lines_invoice_id_carrier_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "finance"."carrier_invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finance"."control_results" ADD CONSTRAINT "control_results_run_id_control_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "finance"."control_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "carrier_invoice_lines_number_key" ON "finance"."carrier_invoice_lines" USING btree ("invoice_id","line_number");--> statement-breakpoint
CREATE INDEX "carrier_invoice_lines_tracking_idx" ON "finance"."carrier_invoice_lines" USING btree ("tracking_number");--> statement-breakpoint
CREATE UNIQUE INDEX "carrier_invoices_number_key" ON "finance"."carrier_invoices" USING btree ("carrier_code","invoice_number","livemode");--> statement-breakpoint
CREATE INDEX "carrier_invoices_carrier_idx" ON "finance"."carrier_invoices" USING btree ("carrier_code","livemode","invoice_date");--> statement-breakpoint
CREATE UNIQUE INDEX "control_runs_scheduled_day_key" ON "finance"."control_runs" USING btree ("run_date","livemode") WHERE "finance"."control_runs"."trigger" = 'SCHEDULED';--> statement-breakpoint
CREATE INDEX "control_runs_started_idx" ON "finance"."control_runs" USING btree ("livemode","started_at");--> statement-breakpoint
CREATE INDEX "refund_projections_order_idx" ON "finance"."refund_projections" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "release_projections_order_idx" ON "finance"."release_projections" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "sandbox_mail_received_idx" ON "finance"."sandbox_mail" USING btree ("received_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "shipment_projections_tracking_key" ON "finance"."shipment_projections" USING btree ("carrier_code","tracking_number","livemode");