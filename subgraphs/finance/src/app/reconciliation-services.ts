import { createMailSender, isProduction, type Database, type JobQueue, type Logger, type MailSender, type Subscription, type EventBus } from '@ipay/platform';
import type { SmtpCapture } from '@ipay/platform/mail/sandbox';
import type * as schema from '../db/schema.ts';
import { resolveReconciliationConfig, type ReconciliationConfig } from './config.ts';
import { runDueControls } from './controls.ts';
import { projectReconciliationEvent } from './projections.ts';

export interface ReconciliationServices {
  config: ReconciliationConfig;
  /** Transactional mail: to SMTP_URL, or (outside production, without it) to the sandbox capture server; null when neither. */
  mail: MailSender | null;
  /** The sandbox SMTP capture server, when it runs. */
  mailCapture: SmtpCapture | null;
  /** One scheduler tick now (tests; the `controls-tick` job calls it too). */
  runDueControls(now?: Date): ReturnType<typeof runDueControls>;
  close(): Promise<void>;
}

/**
 * Mail, the projections the reconciliation and controls read (a durable bus consumer of its own), and the daily
 * controls scheduler, a job on the platform queue (`controls-tick`, CONTROLS_TICK_MS) that runs the controls once per
 * UTC day.
 */
export async function startReconciliationServices(
  db: Database<typeof schema>,
  options: { bus?: EventBus; config?: Record<string, unknown> },
  logger: Logger,
  jobs?: JobQueue,
): Promise<ReconciliationServices> {
  const config = resolveReconciliationConfig(options.config?.reconciliation as never);
  let mailCapture: SmtpCapture | null = null;
  let mail: MailSender | null = null;
  if (config.smtpUrl) mail = createMailSender(config.smtpUrl, config.mailFrom);
  else if (!isProduction()) {
    // Sandbox code only by this dynamic import, outside production (SANDBOX_SMTP_PORT: one process per service).
    mailCapture = await (await import('../sandbox/index.ts')).startSandboxMailCapture(db, logger);
    mail = createMailSender(mailCapture.url, config.mailFrom);
  } else logger.warn('SMTP_URL is not set: carrier statements and control digests cannot be mailed');

  let consumer: Subscription | undefined;
  if (options.bus) consumer = await options.bus.consume('finance-reconciliation', (event) => projectReconciliationEvent(db, event, logger));
  else logger.warn('no event bus: shipment, payment, release and refund projections are not kept');

  const deps = { mail, config: config.controls, logger };
  const tick = (now?: Date) => runDueControls(db, deps, now);
  jobs?.define({
    name: 'controls-tick',
    schedule: { everyMs: config.controls.tickMs },
    retry: { limit: 2, delaySeconds: 30, backoff: true },
    handler: async () => void (await tick()),
  });
  return {
    config,
    mail,
    mailCapture,
    runDueControls: tick,
    close: async () => {
      await consumer?.close();
      mail?.close();
      await mailCapture?.close();
    },
  };
}
