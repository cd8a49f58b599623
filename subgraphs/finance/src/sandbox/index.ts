import { startSmtpCapture, type SmtpCapture } from '@ipay/platform/mail/sandbox';
import type { Database, Logger } from '@ipay/platform';
import type * as schema from '../db/schema.ts';
import { storeCapturedMail } from './mail-store.ts';

/**
 * The finance sandbox: seed data and the sandbox SMTP capture with its store. Live code reaches it only by a dynamic
 * import taken when the sandbox is enabled (the seed hook in server.ts, the mail fallback outside production).
 */
export { seed } from './seed.ts';

/** The sandbox SMTP server, storing what it receives (SANDBOX_SMTP_PORT: a known port, so other services' mail reaches it). */
export function startSandboxMailCapture(db: Database<typeof schema>, logger: Logger): Promise<SmtpCapture> {
  return startSmtpCapture({
    store: (m) => storeCapturedMail(db, m),
    logger: logger.child({ component: 'sandbox-smtp' }),
    port: Number(process.env.SANDBOX_SMTP_PORT) || undefined,
  });
}
