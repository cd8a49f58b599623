import { createMailSender, isProduction, type Database, type Logger, type MailSender, type Subscription, type EventBus } from '@ipay/platform';
import { startSmtpCapture, type SmtpCapture } from '@ipay/platform/mail/sandbox';
import type * as schema from '../db/schema.ts';
import { storeCapturedMail } from '../sandbox/mail-store.ts';
import { resolveReconciliationConfig, type ReconciliationConfig } from './config.ts';
import { runDueControls } from './controls.ts';
import { projectReconciliationEvent } from './projections.ts';

export interface ReconciliationServices {
  config: ReconciliationConfig;
  /** Transactional mail: to SMTP_URL, or (outside production, without it) to the sandbox capture server; null when neither. */
  mail: MailSender | null;
  /** The sandbox SMTP capture server, when it runs. */
  mailCapture: SmtpCapture | null;
  /** One scheduler tick now (tests; the timer calls it too). */
  runDueControls(now?: Date): ReturnType<typeof runDueControls>;
  close(): Promise<void>;
}

/**
 * Mail, the projections the reconciliation and controls read (a durable bus consumer of its own), and the daily
 * controls scheduler, which ticks like the other background jobs of the platform (CRM sync, payment expiry) and runs
 * the controls once per UTC day.
 */
export async function startReconciliationServices(
  db: Database<typeof schema>,
  options: { bus?: EventBus; config?: Record<string, unknown> },
  logger: Logger,
): Promise<ReconciliationServices> {
  const config = resolveReconciliationConfig(options.config?.reconciliation as never);
  let mailCapture: SmtpCapture | null = null;
  let mail: MailSender | null = null;
  if (config.smtpUrl) mail = createMailSender(config.smtpUrl, config.mailFrom);
  else if (!isProduction()) {
    mailCapture = await startSmtpCapture({ store: (m) => storeCapturedMail(db, m), logger: logger.child({ component: 'sandbox-smtp' }) });
    mail = createMailSender(mailCapture.url, config.mailFrom);
  } else logger.warn('SMTP_URL is not set: carrier statements and control digests cannot be mailed');

  let consumer: Subscription | undefined;
  if (options.bus) consumer = await options.bus.consume('finance-reconciliation', (event) => projectReconciliationEvent(db, event, logger));
  else logger.warn('no event bus: shipment, payment, release and refund projections are not kept');

  const deps = { mail, config: config.controls, logger };
  const tick = (now?: Date) => runDueControls(db, deps, now);
  const timer = config.controls.tickMs > 0 ? setInterval(() => tick().catch((err) => logger.error({ err }, 'scheduled controls run failed')), config.controls.tickMs) : undefined;
  timer?.unref();
  return {
    config,
    mail,
    mailCapture,
    runDueControls: tick,
    close: async () => {
      clearInterval(timer);
      await consumer?.close();
      mail?.close();
      await mailCapture?.close();
    },
  };
}
