import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import {
  createMailSender,
  isIsoCurrency,
  isProduction,
  newId,
  type BusEvent,
  type Database,
  type JobQueue,
  type Logger,
  type MailSender,
} from '@ipay/platform';
import { consumerMails, consumerOrders, consumerTokens, merchants, type ConsumerMailRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { renderMany } from './templates.ts';
import { messageKeySpec } from '../domain/localization/index.ts';

type Db = Database<typeof schema>;

/**
 * Outgoing consumer mail. Which events mail the consumer, with which message (its `.subject` and `.body` keys of
 * the localization catalogue). The text is rendered from the templates in the consumer's locale down the fallback
 * chain (nl-BE → nl → en, the merchant's before the platform's) when the event is projected.
 */
const MAIL_OF_EVENT: Record<string, string> = {
  // The payment link: only when the PSP gave a hosted payment page (payment.checkout_url); a link is never made up.
  'payment.requested': 'payment.request.email',
  'payment.confirmed': 'payment.confirmed.email',
};
export const CONSUMER_MAIL_EVENTS: ReadonlySet<string> = new Set(Object.keys(MAIL_OF_EVENT));

/** The consumer's locale: the one it chose for its newest consumer token (consumerAccess or the merchant's issue), else en. */
export async function consumerLocaleOf(db: Db, orderId: string): Promise<string> {
  const [token] = await db
    .select({ locale: consumerTokens.locale })
    .from(consumerTokens)
    .where(eq(consumerTokens.orderId, orderId))
    .orderBy(desc(consumerTokens.createdAt))
    .limit(1);
  return token?.locale ?? 'en';
}

/** The values a key declares, of those the mail has. */
const argumentsOf = (key: string, values: Record<string, unknown>) => {
  const spec = messageKeySpec(key);
  return Object.fromEntries(Object.entries(values).filter(([name]) => !!spec && name in spec.arguments));
};

const errorText = (error: unknown) =>
  error instanceof GraphQLError ? `${String(error.extensions.code ?? 'ERROR')}: ${error.message}` : error instanceof Error ? error.message : String(error);

/**
 * Renders the event's consumer mail and queues it (PENDING), once per event. An order without an e-mail address
 * gets none; a message that cannot be rendered (MESSAGE_TEMPLATE_MISSING, a missing value) is stored FAILED with the
 * reason and never sent, so a consumer never sees a raw key or placeholder.
 */
export async function queueConsumerMail(db: Db, event: BusEvent, logger: Logger): Promise<ConsumerMailRow | null> {
  const message = MAIL_OF_EVENT[event.type];
  const p = event.payload as { order_id?: unknown; payment?: { amount_minor?: unknown; currency?: unknown; checkout_url?: unknown } };
  if (!message || typeof p.order_id !== 'string') return null;
  const link = typeof p.payment?.checkout_url === 'string' ? p.payment.checkout_url : null;
  if (message === 'payment.request.email' && !link) return null;
  const [order] = await db.select().from(consumerOrders).where(eq(consumerOrders.orderId, p.order_id));
  if (!order) {
    logger.warn({ eventId: event.id, orderId: p.order_id }, 'consumer mail for an order identity has not projected; not sent');
    return null;
  }
  if (!order.customerEmail) return null;
  const [merchant] = await db.select({ name: merchants.name }).from(merchants).where(eq(merchants.id, order.merchantId));
  const paid =
    p.payment && typeof p.payment.amount_minor === 'number' && typeof p.payment.currency === 'string' && isIsoCurrency(p.payment.currency)
      ? { amount: p.payment.amount_minor, currency: p.payment.currency }
      : { amount: order.totalAmount, currency: order.currency };
  const values = {
    name: order.customerName ?? order.customerEmail,
    merchant: merchant?.name ?? order.merchantId,
    reference: order.reference,
    amount: paid,
    ...(link ? { link } : {}),
  };
  const locale = await consumerLocaleOf(db, order.orderId);
  const base = {
    id: newId('cml'),
    dedupeKey: `${event.id}:${message}`,
    message,
    orderId: order.orderId,
    merchantId: order.merchantId,
    livemode: order.livemode,
    recipient: order.customerEmail,
    locale,
  };
  let row: typeof consumerMails.$inferInsert;
  try {
    const [subject, body] = await renderMany(db, {
      merchantId: order.merchantId,
      livemode: order.livemode,
      locale,
      // Each key gets the arguments it declares (a template may not use more).
      messages: [`${message}.subject`, `${message}.body`].map((key) => ({ key, values: argumentsOf(key, values) })),
    });
    row = { ...base, subject: subject!.text, body: body!.text, subjectLocale: subject!.locale, bodyLocale: body!.locale, status: 'PENDING' };
  } catch (error) {
    logger.error({ eventId: event.id, message, locale, err: error }, 'consumer mail could not be rendered; not sent');
    row = { ...base, status: 'FAILED', lastError: errorText(error) };
  }
  const [stored] = await db.insert(consumerMails).values(row).onConflictDoNothing({ target: consumerMails.dedupeKey }).returning();
  return stored ?? null;
}

/** After this many failed sends a mail is FAILED; a claim older than the lease is taken again (a crashed worker). */
export const CONSUMER_MAIL_POLICY = { maxAttempts: 8, leaseMs: 5 * 60_000, batch: 20 } as const;

/**
 * Sends queued consumer mail through the platform mail module. Each row is claimed (SENDING) with SKIP LOCKED, so
 * replicas never send one twice at once; SENT records the SMTP message id, a failure goes back to PENDING until
 * the attempts run out.
 */
export async function sendPendingConsumerMail(db: Db, sender: MailSender, logger: Logger, now = new Date()): Promise<number> {
  const stale = new Date(now.getTime() - CONSUMER_MAIL_POLICY.leaseMs);
  const claimed = await db
    .update(consumerMails)
    .set({ status: 'SENDING', claimedAt: now, attempts: sql`${consumerMails.attempts} + 1` })
    .where(
      inArray(
        consumerMails.id,
        db
          .select({ id: consumerMails.id })
          .from(consumerMails)
          .where(or(eq(consumerMails.status, 'PENDING'), and(eq(consumerMails.status, 'SENDING'), lt(consumerMails.claimedAt, stale))))
          .orderBy(consumerMails.createdAt)
          .limit(CONSUMER_MAIL_POLICY.batch)
          .for('update', { skipLocked: true }),
      ),
    )
    .returning();
  let sent = 0;
  for (const mail of claimed) {
    try {
      const result = await sender.send({ to: mail.recipient, subject: mail.subject!, text: mail.body! });
      await db
        .update(consumerMails)
        .set({ status: 'SENT', messageId: result.messageId, sentAt: new Date(), lastError: null })
        .where(eq(consumerMails.id, mail.id));
      sent += 1;
    } catch (error) {
      const failed = mail.attempts >= CONSUMER_MAIL_POLICY.maxAttempts;
      logger.warn({ mailId: mail.id, attempts: mail.attempts, err: error }, failed ? 'consumer mail failed for good' : 'consumer mail not sent; retrying');
      await db
        .update(consumerMails)
        .set({ status: failed ? 'FAILED' : 'PENDING', lastError: errorText(error) })
        .where(eq(consumerMails.id, mail.id));
    }
  }
  return sent;
}

export interface ConsumerMailConfig {
  /** SMTP server for consumer mail (SMTP_URL). */
  smtpUrl?: string;
  /** The From header (CONSUMER_MAIL_FROM). */
  from?: string;
  /** How often the worker sends queued mail (CONSUMER_MAIL_INTERVAL_MS); 0 = only when told (tests). */
  intervalMs?: number;
  /** The sandbox SMTP capture server's port on loopback (SANDBOX_SMTP_PORT), outside production, without SMTP_URL. */
  sandboxSmtpPort?: number;
}

export const DEFAULT_CONSUMER_MAIL_FROM = 'IPAY <no-reply@ipay.localhost>';

export function consumerMailConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ConsumerMailConfig {
  return {
    smtpUrl: env.SMTP_URL || undefined,
    from: env.CONSUMER_MAIL_FROM || undefined,
    intervalMs: env.CONSUMER_MAIL_INTERVAL_MS ? Number(env.CONSUMER_MAIL_INTERVAL_MS) : undefined,
    sandboxSmtpPort: env.SANDBOX_SMTP_PORT ? Number(env.SANDBOX_SMTP_PORT) : undefined,
  };
}

/** The consumer mail worker: a sender (SMTP_URL, or the sandbox capture server), its job, and a way to run it now. */
export class ConsumerMailer {
  private sender: MailSender | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: ConsumerMailConfig,
    private readonly logger: Logger,
  ) {
    const from = config.from ?? DEFAULT_CONSUMER_MAIL_FROM;
    if (config.smtpUrl) this.sender = createMailSender(config.smtpUrl, from);
    else if (!isProduction() && config.sandboxSmtpPort) this.sender = createMailSender(`smtp://127.0.0.1:${config.sandboxSmtpPort}`, from);
    else if (isProduction()) logger.warn('SMTP_URL is not set: consumer mail is queued but cannot be sent');
  }

  /** Where mail goes, or null while there is nowhere to send it. */
  get target(): string | null {
    return this.sender?.target ?? null;
  }

  /** Outside production without SMTP_URL: the sandbox capture server, once it is known (the system runner tells). */
  useSandboxSmtp(url: string): void {
    if (this.config.smtpUrl || isProduction()) return;
    this.sender?.close();
    this.sender = createMailSender(url, this.config.from ?? DEFAULT_CONSUMER_MAIL_FROM);
    this.kick();
  }

  /** The send run is the `consumer-mail` job of the platform queue, every CONSUMER_MAIL_INTERVAL_MS (0 = only when told). */
  schedule(jobs: JobQueue | undefined): void {
    jobs?.define({ name: 'consumer-mail', schedule: { everyMs: this.config.intervalMs ?? 1000 }, handler: async () => void (await this.runOnce()) });
  }

  /** Sends what is queued now (one run at a time); resolves to the number sent. */
  runOnce(): Promise<number> {
    if (!this.sender) return Promise.resolve(0);
    this.running ??= sendPendingConsumerMail(this.db, this.sender, this.logger).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  kick(): void {
    this.runOnce().catch((err) => this.logger.error({ err }, 'consumer mail run failed'));
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    this.sender?.close();
  }
}
