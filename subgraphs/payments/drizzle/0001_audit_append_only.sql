-- The audit trail is append-only: updates, deletes and truncation are refused at the database.
-- (The hash chain still detects tampering by anyone who can disable the trigger.)
CREATE FUNCTION "payments"."audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payments.audit_log is append-only';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_update_delete" BEFORE UPDATE OR DELETE ON "payments"."audit_log"
  FOR EACH ROW EXECUTE FUNCTION "payments"."audit_log_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "payments"."audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "payments"."audit_log_append_only"();
