-- One spelling per concept: the US "authorize" (as logistics' AUTHORIZED and `release.authorized`). Renames keep
-- every row: the enum value is renamed in place, the columns keep their data, and the CHECK follows the rename.
ALTER TYPE "payments"."payment_session_status" RENAME VALUE 'AUTHORISED' TO 'AUTHORIZED';--> statement-breakpoint
ALTER TABLE "payments"."payment_sessions" RENAME COLUMN "authorised_amount" TO "authorized_amount";--> statement-breakpoint
ALTER TABLE "payments"."payment_events" RENAME COLUMN "authorised_amount" TO "authorized_amount";--> statement-breakpoint
-- The history's event type is our name too (text); the audit log stays as written (append-only, hash-chained).
UPDATE "payments"."payment_events" SET "event_type" = 'AUTHORIZE' WHERE "event_type" = 'AUTHORISE';
