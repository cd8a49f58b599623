import { and, desc, eq } from 'drizzle-orm';
import { newId, runMutation, systemActor, type Database, type Logger, type MailSender, type UnitOfWork } from '@ipay/platform';
import { auditHead, auditLog, controlResults, controlRuns, outbox, type ControlResultRow, type ControlRunRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import {
  auditChainsVerify,
  carrierInvoicesReconciled,
  overallResult,
  paidOrdersSettled,
  refundsWithinCapture,
  releasedParcelsFullyPaid,
  scheduledRunDue,
  settlementTotalsMatchLines,
  type ControlOutcome,
  type ControlParameters,
} from '../domain/controls.ts';
import { attestationFacts, invoiceFacts, refundFacts, releaseFacts, settledOrders, settlementTotals } from './control-facts.ts';

type Db = Database<typeof schema>;
type Uow = UnitOfWork<typeof schema>;

/** At most this many evidence rows are stored per control (the count is always complete). */
export const MAX_STORED_EVIDENCE = 1000;

export interface ControlsConfig extends ControlParameters {
  /** How often the scheduler looks whether today's run is due; 0 turns it off (tests drive runs). */
  tickMs: number;
  /** The scheduled run happens once per UTC day, at the first tick from this hour on. */
  hourUtc: number;
  /** Who receives the daily digest. */
  digestTo: string[];
}

export async function evaluateControls(db: Db, livemode: boolean, now: Date, params: ControlParameters): Promise<ControlOutcome[]> {
  const attest = await attestationFacts(db);
  return [
    releasedParcelsFullyPaid(await releaseFacts(db, livemode)),
    paidOrdersSettled(await settledOrders(db, livemode, now, params.settlementDays), now, params),
    settlementTotalsMatchLines(await settlementTotals(db, livemode)),
    carrierInvoicesReconciled(await invoiceFacts(db, livemode), now, params),
    refundsWithinCapture(await refundFacts(db, livemode)),
    auditChainsVerify(attest.subgraphs, attest.attestations, now, params),
  ];
}

export function digestText(run: Pick<ControlRunRow, 'id' | 'runDate' | 'trigger' | 'result' | 'livemode'>, outcomes: readonly ControlOutcome[]): string {
  const lines = [`Internal controls ${run.runDate} (${run.livemode ? 'live' : 'sandbox'}, ${run.trigger.toLowerCase()} run ${run.id}): ${run.result}`, ''];
  for (const o of outcomes) {
    lines.push(`${o.result}  ${o.control}: ${o.description}${o.result === 'FAIL' ? ` (${o.evidence.length} evidence rows)` : ''}`);
    for (const e of o.evidence.slice(0, 10)) lines.push(`      ${JSON.stringify(e)}`);
    if (o.evidence.length > 10) lines.push(`      … and ${o.evidence.length - 10} more`);
  }
  return lines.join('\n');
}

/**
 * Runs every control now and records the run with each result and its evidence. A SCHEDULED run is claimed first (one
 * per UTC day and mode, by a unique index): a second replica's claim waits for the first and then finds it done, so it
 * neither evaluates nor mails again.
 */
export async function runControls(
  uow: Uow,
  deps: { config: ControlParameters },
  input: { livemode: boolean; trigger: 'SCHEDULED' | 'ON_DEMAND'; now?: Date },
): Promise<ControlRunOutcome> {
  const now = input.now ?? new Date();
  const runDate = now.toISOString().slice(0, 10);
  const id = newId('ctl');
  const [claimed] = await uow.tx
    .insert(controlRuns)
    .values({ id, livemode: input.livemode, trigger: input.trigger, runDate, result: 'FAIL', startedAt: now, finishedAt: now })
    .onConflictDoNothing()
    .returning();
  if (!claimed) throw new ControlsAlreadyRanError(runDate);
  const outcomes = await evaluateControls(uow.tx, input.livemode, now, deps.config);
  const result = overallResult(outcomes);
  const results = await uow.tx
    .insert(controlResults)
    .values(
      outcomes.map((o) => ({
        runId: id,
        control: o.control,
        result: o.result,
        description: o.description,
        evidenceCount: o.evidence.length,
        evidence: o.evidence.slice(0, MAX_STORED_EVIDENCE),
      })),
    )
    .returning();
  const [run] = await uow.tx.update(controlRuns).set({ result, finishedAt: new Date() }).where(eq(controlRuns.id, id)).returning();
  const summary = outcomes.map((o) => ({ control: o.control, result: o.result, evidence_count: o.evidence.length }));
  uow.audit({
    action: 'controls.run',
    entityType: 'ControlRun',
    entityId: id,
    merchantId: null,
    after: { trigger: input.trigger, runDate, result, controls: summary },
  });
  uow.emit({
    type: 'controls.completed',
    subjectId: id,
    merchantId: null,
    livemode: input.livemode,
    payload: { run_id: id, trigger: input.trigger, run_date: runDate, result, controls: summary },
  });
  return { run: run!, results, outcomes };
}

export interface ControlRunOutcome {
  run: ControlRunRow;
  results: ControlResultRow[];
  outcomes: ControlOutcome[];
}

/**
 * Mails a run's digest after the run committed (never inside a transaction: the embedded database has one connection,
 * which the sandbox SMTP server's store needs too), then records the message id, or the failure, on the run.
 */
export async function mailDigest(
  ran: ControlRunOutcome,
  deps: { mail: MailSender | null; config: ControlsConfig; logger: Logger },
  record: <T>(work: (uow: Uow) => Promise<T>) => Promise<T>,
): Promise<ControlRunRow> {
  const { run, outcomes } = ran;
  let digestMessageId: string | null = null;
  let digestError: string | null = null;
  if (!deps.mail) digestError = 'no SMTP server is configured (SMTP_URL)';
  else if (!deps.config.digestTo.length) digestError = 'no digest recipients are configured (CONTROLS_DIGEST_TO)';
  else {
    try {
      const sent = await deps.mail.send({
        to: deps.config.digestTo,
        subject: `IPAY internal controls ${run.runDate}${run.livemode ? '' : ' [sandbox]'}: ${run.result}`,
        text: digestText(run, outcomes),
      });
      digestMessageId = sent.messageId;
    } catch (error) {
      digestError = (error as Error).message;
      deps.logger.error({ err: error, runId: run.id }, 'controls digest mail failed');
    }
  }
  return record(async (uow) => {
    const [updated] = await uow.tx.update(controlRuns).set({ digestMessageId, digestError }).where(eq(controlRuns.id, run.id)).returning();
    uow.audit({
      action: 'controls.digest',
      entityType: 'ControlRun',
      entityId: run.id,
      merchantId: null,
      after: { recipients: deps.config.digestTo, digestMessageId, digestError },
    });
    return updated!;
  });
}

/** Today's scheduled run of the mode exists already (another replica, or an earlier tick). */
export class ControlsAlreadyRanError extends Error {
  constructor(readonly runDate: string) {
    super(`the scheduled controls of ${runDate} ran already`);
  }
}

/** The newest scheduled run's day of a mode. */
async function lastScheduledRunDate(db: Db, livemode: boolean): Promise<string | null> {
  const [row] = await db
    .select({ runDate: controlRuns.runDate })
    .from(controlRuns)
    .where(and(eq(controlRuns.livemode, livemode), eq(controlRuns.trigger, 'SCHEDULED')))
    .orderBy(desc(controlRuns.runDate))
    .limit(1);
  return row?.runDate ?? null;
}

/** One scheduler tick: runs today's scheduled controls of each mode when due (as `system:controls`, with the digest). */
export async function runDueControls(
  db: Db,
  deps: { mail: MailSender | null; config: ControlsConfig; logger: Logger },
  now = new Date(),
): Promise<ControlRunRow[]> {
  const done: ControlRunRow[] = [];
  for (const livemode of [false, true]) {
    if (!scheduledRunDue(now, deps.config.hourUtc, await lastScheduledRunDate(db, livemode))) continue;
    try {
      const asSystem = <T>(work: (uow: Uow) => Promise<T>) =>
        runMutation(db, { audit: { auditLog, auditHead }, outbox }, systemActor('system:controls', livemode), work);
      const ran = await asSystem((uow) => runControls(uow, deps, { livemode, trigger: 'SCHEDULED', now }));
      done.push(await mailDigest(ran, deps, asSystem));
    } catch (error) {
      if (!(error instanceof ControlsAlreadyRanError)) throw error;
    }
  }
  return done;
}
