-- Release only after confirmed payment, as a database fact: an authorization becomes RELEASED (code verified) only
-- when the order's payment state (order.payment_state_changed, kept in order_payment_states) is fully paid by the very
-- session and amount the row names, and the order is not cancelled. Same rule as isFullyPaid in
-- subgraphs/platform/src/events/payment-state.ts. The CHECK release_authorizations_released_paid makes the reference
-- itself mandatory.
CREATE FUNCTION "logistics"."release_requires_paid_state"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD."status" = 'RELEASED' THEN
    -- Already verified: the hand-over and revocation may follow, the payment reference may not change.
    IF NEW."payment_session_id" IS DISTINCT FROM OLD."payment_session_id" OR NEW."paid_amount_minor" IS DISTINCT FROM OLD."paid_amount_minor" THEN
      RAISE EXCEPTION 'release % : the payment it was verified on cannot change', NEW."id" USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NOT EXISTS (
    SELECT 1 FROM "logistics"."order_payment_states" s
    WHERE s."order_id" = NEW."order_id"
      AND s."payment_session_id" = NEW."payment_session_id"
      AND s."currency" = NEW."paid_currency"
      AND s."captured_minor" = NEW."paid_amount_minor"
      AND (s."state" = 'PAID' OR (s."state" = 'PARTIALLY_REFUNDED' AND s."captured_minor" >= s."amount_due_minor"))
  ) THEN
    RAISE EXCEPTION 'release % : order % is not fully paid by session % (% %)', NEW."id", NEW."order_id", NEW."payment_session_id", NEW."paid_amount_minor", NEW."paid_currency"
      USING ERRCODE = 'check_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM "logistics"."order_projections" o WHERE o."order_id" = NEW."order_id" AND o."status" = 'CANCELLED') THEN
    RAISE EXCEPTION 'release % : order % is cancelled', NEW."id", NEW."order_id" USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "release_requires_paid_state" BEFORE INSERT OR UPDATE ON "logistics"."release_authorizations"
  FOR EACH ROW WHEN (NEW."status" = 'RELEASED') EXECUTE FUNCTION "logistics"."release_requires_paid_state"();
