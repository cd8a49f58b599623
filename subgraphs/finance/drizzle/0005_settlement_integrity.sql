-- Settlement integrity the database enforces whatever the application does:
--   1. a settlement's totals (gross, fees, net, line count) always equal the sums of its lines: a deferred constraint
--      trigger checks every settlement a transaction touched, at commit;
--   2. the lifecycle only moves OPEN → CLOSED → APPROVED → PAID; once CLOSED the totals are fixed, once APPROVED the
--      row is immutable except for the payout (APPROVED → PAID), once PAID nothing changes;
--   3. lines are only written, changed or removed while their settlement is OPEN (a correction of a closed or approved
--      settlement is an ADJUSTMENT line of a later one).

-- Lines written before line_count existed (sandbox seed) are counted once.
UPDATE "finance"."settlements" s SET "line_count" = (SELECT count(*) FROM "finance"."settlement_lines" l WHERE l."settlement_id" = s."id");
--> statement-breakpoint
CREATE FUNCTION "finance"."settlement_totals_check"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target text;
  memo text;
  s record;
  sums record;
BEGIN
  IF TG_TABLE_NAME = 'settlements' THEN
    target := NEW."id";
  ELSIF TG_OP = 'DELETE' THEN
    target := OLD."settlement_id";
  ELSE
    target := NEW."settlement_id";
  END IF;
  -- Checked once per settlement and transaction (all deferred checks run at commit, after every change).
  memo := 'ipay_settlement_checked.s' || md5(target);
  IF current_setting(memo, true) = '1' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config(memo, '1', true);
  SELECT * INTO s FROM "finance"."settlements" WHERE "id" = target;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT coalesce(sum("gross_amount"), 0) AS gross, coalesce(sum("fee_amount"), 0) AS fee, coalesce(sum("net_amount"), 0) AS net, count(*) AS n
    INTO sums FROM "finance"."settlement_lines" WHERE "settlement_id" = target;
  IF s."gross_amount" <> sums.gross OR s."fee_amount" <> sums.fee OR s."net_amount" <> sums.net OR s."line_count" <> sums.n THEN
    RAISE EXCEPTION 'settlement % totals (gross %, fees %, net %, % lines) differ from the sum of its lines (gross %, fees %, net %, % lines)',
      target, s."gross_amount", s."fee_amount", s."net_amount", s."line_count", sums.gross, sums.fee, sums.net, sums.n
      USING ERRCODE = 'check_violation', CONSTRAINT = 'settlement_totals_are_sum_of_lines';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "settlement_totals_are_sum_of_lines" AFTER INSERT OR UPDATE ON "finance"."settlements"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "finance"."settlement_totals_check"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "settlement_lines_sum_to_totals" AFTER INSERT OR UPDATE OR DELETE ON "finance"."settlement_lines"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "finance"."settlement_totals_check"();
--> statement-breakpoint
CREATE FUNCTION "finance"."settlement_lifecycle_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payout_columns text[] := ARRAY['status', 'paid_at', 'paid_by', 'payout_reference'];
  approval_columns text[] := ARRAY['status', 'approved_at', 'approved_by'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD."status" <> 'OPEN' THEN
      RAISE EXCEPTION 'settlement % is %: it cannot be deleted', OLD."id", OLD."status" USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF NEW."status" IS DISTINCT FROM OLD."status" AND NOT (
    (OLD."status" = 'OPEN' AND NEW."status" = 'CLOSED') OR
    (OLD."status" = 'CLOSED' AND NEW."status" = 'APPROVED') OR
    (OLD."status" = 'APPROVED' AND NEW."status" = 'PAID')) THEN
    RAISE EXCEPTION 'settlement % cannot move from % to %', OLD."id", OLD."status", NEW."status" USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD."status" = 'CLOSED' AND (to_jsonb(NEW) - approval_columns) IS DISTINCT FROM (to_jsonb(OLD) - approval_columns) THEN
    RAISE EXCEPTION 'settlement % is CLOSED: its totals are fixed', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD."status" = 'APPROVED' AND (to_jsonb(NEW) - payout_columns) IS DISTINCT FROM (to_jsonb(OLD) - payout_columns) THEN
    RAISE EXCEPTION 'settlement % is APPROVED: it is immutable (correct it with an adjustment line in a later settlement)', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD."status" = 'PAID' AND to_jsonb(NEW) IS DISTINCT FROM to_jsonb(OLD) THEN
    RAISE EXCEPTION 'settlement % is PAID: it is immutable (correct it with an adjustment line in a later settlement)', OLD."id" USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "settlement_lifecycle_guard" BEFORE UPDATE OR DELETE ON "finance"."settlements"
  FOR EACH ROW EXECUTE FUNCTION "finance"."settlement_lifecycle_guard"();
--> statement-breakpoint
CREATE FUNCTION "finance"."settlement_lines_only_while_open"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  current_status text;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT "status" INTO current_status FROM "finance"."settlements" WHERE "id" = OLD."settlement_id" FOR SHARE;
    IF current_status <> 'OPEN' THEN
      RAISE EXCEPTION 'settlement % is %: its lines are fixed', OLD."settlement_id", current_status USING ERRCODE = 'restrict_violation';
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT "status" INTO current_status FROM "finance"."settlements" WHERE "id" = NEW."settlement_id" FOR SHARE;
    IF current_status <> 'OPEN' THEN
      RAISE EXCEPTION 'settlement % is %: no line can be added', NEW."settlement_id", current_status USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "settlement_lines_only_while_open" BEFORE INSERT OR UPDATE OR DELETE ON "finance"."settlement_lines"
  FOR EACH ROW EXECUTE FUNCTION "finance"."settlement_lines_only_while_open"();

--> statement-breakpoint
-- The platform fee schedule every merchant falls back to (src/domain/fees.ts PLATFORM_DEFAULT_FEES); changed through
-- setFeeSchedule from then on.
INSERT INTO "finance"."fee_schedules" ("id", "merchant_id", "currency", "fee_amount", "valid_from", "reason", "created_by") VALUES
  ('fee_platform_eur', '', 'EUR', 95, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_sek', '', 'SEK', 1095, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_dkk', '', 'DKK', 710, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_nok', '', 'NOK', 1120, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_pln', '', 'PLN', 410, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_gbp', '', 'GBP', 85, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_usd', '', 'USD', 105, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_chf', '', 'CHF', 95, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_jpy', '', 'JPY', 150, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_kwd', '', 'KWD', 350, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005'),
  ('fee_platform_bhd', '', 'BHD', 350, '1970-01-01T00:00:00Z', 'platform default schedule', 'migration:0005')
ON CONFLICT DO NOTHING;
