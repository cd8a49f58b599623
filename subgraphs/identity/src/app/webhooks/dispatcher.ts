import { and, arrayContains, asc, eq, inArray, isNull, lte, notInArray, or, sql } from 'drizzle-orm';
import { newId, runMutation, systemActor, type BusEvent, type Database, type EventBus, type Logger, type Subscription } from '@ipay/platform';
import {
  auditHead,
  auditLog,
  merchantNotifications,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from '../../db/schema.ts';
import type * as schema from '../../db/schema.ts';
import { postWebhook, type SendResult } from '../../adapters/webhooks/http.ts';
import { decryptSecret, webhookHeaders } from '../../adapters/webhooks/signing.ts';
import type { HostResolver } from '../../adapters/webhooks/ssrf.ts';

type Db = Database<typeof schema>;

/** The durable bus consumer that turns events into deliveries (one name for every identity replica). */
export const FANOUT_CONSUMER = 'webhooks-fanout';

/**
 * Delay before retry n (after the n-th failed attempt): about three days in all, then the delivery fails.
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 24 h, 24 h → 10 attempts over ~3.2 days.
 */
export const RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, 86_400_000, 86_400_000] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;

/**
 * The retry delay plus up to 20 % jitter, so deliveries that failed together (an outage) do not retry in
 * lockstep. Jitter only adds: the last attempt stays beyond the disabling threshold (3 days), so an endpoint
 * that never answers is disabled by its own retries.
 */
export function retryDelayMs(failedAttempts: number, random = Math.random): number | null {
  const base = RETRY_SCHEDULE_MS[failedAttempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 + 0.2 * random()));
}

/** The JSON body of a delivery: Standard Webhooks' `{ type, timestamp-ish, data }` shape as IPAY publishes it. */
export const deliveryBody = (event: Pick<BusEvent, 'id' | 'type' | 'occurredAt' | 'livemode' | 'payload'>) =>
  JSON.stringify({ type: event.type, id: event.id, occurred_at: event.occurredAt, livemode: event.livemode, data: event.payload });

export interface DispatcherOptions {
  encryptionKey: Buffer;
  resolve: HostResolver;
  clock: () => Date;
  /** One HTTP attempt longer than this is a failure. */
  timeoutMs: number;
  /** How long a claimed delivery is reserved; a worker that dies mid-call frees it after this. */
  leaseMs: number;
  /** How often the worker looks for due retries; 0 turns the background loop off (tests call `runOnce`). */
  intervalMs: number;
  /** An endpoint failing continuously (no success) for this long is disabled. */
  disableAfterMs: number;
  /** At most this many deliveries claimed at once. */
  batch: number;
  /**
   * At most this many attempts in flight per endpoint in this process: a slow or hanging receiver holds only its
   * own slots, never another endpoint's.
   */
  endpointConcurrency: number;
  /** At most this many attempts in flight in this process, all endpoints together. */
  maxInFlight: number;
}

export interface RunOutcome {
  claimed: number;
  succeeded: number;
  retrying: number;
  failed: number;
}

type Outcome = 'succeeded' | 'retrying' | 'failed' | null;

interface Claimed {
  delivery: WebhookDeliveryRow;
  endpoint: WebhookEndpointRow;
}

/**
 * Outbound webhooks: a durable bus consumer fans events out into delivery rows (in identity's database, so
 * nothing is lost when a process dies), and a worker sends due deliveries. Deliveries are claimed in a short
 * transaction (`for update skip locked` and a lease, so replicas share the work and a crashed worker's
 * deliveries come back); the HTTP call happens outside any transaction.
 */
export class WebhookDispatcher {
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private abandoned = false;
  private readonly inFlight = new AbortController();
  /** Attempts in flight in this process, and how many per endpoint. */
  private readonly attempts = new Set<Promise<Outcome>>();
  private readonly perEndpoint = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    readonly options: DispatcherOptions,
  ) {}

  async start(bus: EventBus | undefined): Promise<void> {
    if (bus) this.subscription = await bus.consume(FANOUT_CONSUMER, (event) => this.fanOut(event).then(() => undefined));
    // Due retries are found by the `webhook-deliveries` job (src/webhooks/index.ts); this catches up at start.
    this.kick();
  }

  /** Creates one delivery per matching endpoint; idempotent, since the bus delivers at least once. */
  async fanOut(event: Pick<BusEvent, 'id' | 'type' | 'occurredAt' | 'livemode' | 'payload' | 'merchantId'>): Promise<number> {
    if (!event.merchantId) return 0;
    const occurredAt = new Date(event.occurredAt);
    const endpoints = await this.db
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.merchantId, event.merchantId),
          eq(webhookEndpoints.livemode, event.livemode),
          eq(webhookEndpoints.status, 'ENABLED'),
          isNull(webhookEndpoints.deletedAt),
          // An endpoint receives what happened after it was registered, even if the consumer catches up late.
          lte(webhookEndpoints.createdAt, occurredAt),
          or(arrayContains(webhookEndpoints.eventTypes, [event.type]), arrayContains(webhookEndpoints.eventTypes, ['*'])),
        ),
      );
    if (!endpoints.length) return 0;
    const body = deliveryBody(event);
    const inserted = await this.db
      .insert(webhookDeliveries)
      .values(
        endpoints.map((endpoint) => ({
          id: newId('whd'),
          endpointId: endpoint.id,
          merchantId: event.merchantId!,
          livemode: event.livemode,
          eventId: event.id,
          eventType: event.type,
          occurredAt,
          body,
          nextAttemptAt: this.options.clock(),
        })),
      )
      .onConflictDoNothing()
      .returning({ id: webhookDeliveries.id });
    if (inserted.length) this.kick();
    return inserted.length;
  }

  /**
   * Runs the worker now (coalesced with a run in progress); a no-op when the background loop is off. Each claimed
   * delivery is sent on its own: the worker never waits for a batch, so one endpoint's hanging receiver delays only
   * that endpoint's deliveries (bounded by `endpointConcurrency`), and every finished attempt frees its slot and
   * looks for more work.
   */
  kick(): void {
    if (this.stopped || this.options.intervalMs <= 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          for (;;) {
            const room = this.options.maxInFlight - this.attempts.size;
            if (this.stopped || room <= 0) break;
            const limit = Math.min(this.options.batch, room);
            const claimed = await this.claim(this.options.clock(), limit);
            for (const item of claimed) this.launch(item, this.options.clock()).then(() => this.kick());
            if (claimed.length < limit) break;
          }
        } catch (error) {
          if (!this.stopped) this.logger.error({ err: error }, 'webhook worker run failed');
        }
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
  }

  /** Claims the due deliveries once (within the per-endpoint caps) and waits for their attempts: for tests. */
  async runOnce(now = this.options.clock()): Promise<RunOutcome> {
    const claimed = await this.claim(now, this.options.batch);
    const outcome: RunOutcome = { claimed: claimed.length, succeeded: 0, retrying: 0, failed: 0 };
    const results = await Promise.all(claimed.map((item) => this.launch(item, now)));
    for (const result of results) if (result) outcome[result] += 1;
    return outcome;
  }

  /** Attempts in flight per endpoint, in this process. */
  inFlightOf(endpointId: string): number {
    return this.perEndpoint.get(endpointId) ?? 0;
  }

  /** Sends one claimed delivery, holding a slot of its endpoint until the outcome is recorded. */
  private launch(item: Claimed, now: Date): Promise<Outcome> {
    const id = item.endpoint.id;
    this.perEndpoint.set(id, this.inFlightOf(id) + 1);
    const attempt: Promise<Outcome> = this.attempt(item, now)
      .catch((error: unknown) => {
        // The outcome could not be recorded (database gone): the lease brings the delivery back.
        if (!this.stopped) this.logger.error({ err: error, delivery: item.delivery.id }, 'webhook attempt could not be recorded; the lease brings it back');
        return null;
      })
      .finally(() => {
        const left = this.inFlightOf(id) - 1;
        if (left > 0) this.perEndpoint.set(id, left);
        else this.perEndpoint.delete(id);
        this.attempts.delete(attempt);
      });
    this.attempts.add(attempt);
    return attempt;
  }

  /**
   * Claims up to `limit` due deliveries, at most `endpointConcurrency` minus what is already in flight per
   * endpoint: endpoints at their cap are left out, and the others are ranked by due time within their endpoint
   * (a window over due rows), so a backlog on one endpoint cannot fill the batch and starve the others.
   */
  private claim(now: Date, limit: number): Promise<Claimed[]> {
    const cap = this.options.endpointConcurrency;
    const saturated = [...this.perEndpoint].filter(([, n]) => n >= cap).map(([id]) => id);
    return this.db.transaction(async (tx) => {
      const active = tx
        .select({ id: webhookEndpoints.id })
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.status, 'ENABLED'), isNull(webhookEndpoints.deletedAt)));
      const isDue = and(eq(webhookDeliveries.status, 'PENDING'), lte(webhookDeliveries.nextAttemptAt, now));
      const ranked = tx
        .select({
          id: webhookDeliveries.id,
          rank: sql<number>`row_number() over (partition by ${webhookDeliveries.endpointId} order by ${webhookDeliveries.nextAttemptAt}, ${webhookDeliveries.id})`.as(
            'rank',
          ),
        })
        .from(webhookDeliveries)
        .where(and(isDue, inArray(webhookDeliveries.endpointId, active), saturated.length ? notInArray(webhookDeliveries.endpointId, saturated) : undefined))
        .as('ranked');
      const candidates = tx.select({ id: ranked.id }).from(ranked).where(lte(ranked.rank, cap));
      // Locked rows are re-checked against `isDue` (another replica may have just claimed them).
      const locked = await tx
        .select()
        .from(webhookDeliveries)
        .where(and(inArray(webhookDeliveries.id, candidates), isDue))
        .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
        .limit(limit)
        .for('update', { skipLocked: true });
      const room = new Map<string, number>();
      const due = locked.filter((delivery) => {
        const left = room.get(delivery.endpointId) ?? cap - this.inFlightOf(delivery.endpointId);
        room.set(delivery.endpointId, left - 1);
        return left > 0;
      });
      if (!due.length) return [];
      for (const delivery of due) {
        await tx
          .update(webhookDeliveries)
          .set({ attempts: delivery.attempts + 1, lastAttemptAt: now, nextAttemptAt: new Date(now.getTime() + this.options.leaseMs) })
          .where(eq(webhookDeliveries.id, delivery.id));
      }
      const endpoints = await tx
        .select()
        .from(webhookEndpoints)
        .where(inArray(webhookEndpoints.id, [...new Set(due.map((d) => d.endpointId))]));
      const byId = new Map(endpoints.map((e) => [e.id, e]));
      return due.map((delivery) => ({ delivery: { ...delivery, attempts: delivery.attempts + 1 }, endpoint: byId.get(delivery.endpointId)! }));
    });
  }

  private secretsOf(endpoint: WebhookEndpointRow, now: Date): string[] {
    const secrets = [decryptSecret(this.options.encryptionKey, endpoint.secretCiphertext, endpoint.id)];
    if (endpoint.previousSecretCiphertext && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
      secrets.push(decryptSecret(this.options.encryptionKey, endpoint.previousSecretCiphertext, endpoint.id));
    }
    return secrets;
  }

  private async attempt({ delivery, endpoint }: Claimed, now: Date): Promise<Outcome> {
    // Signed at send time: the timestamp is this attempt's (receivers reject stale ones), the id is the event's.
    const headers = webhookHeaders(this.secretsOf(endpoint, now), delivery.eventId, Math.floor(now.getTime() / 1000), delivery.body);
    let result: SendResult;
    try {
      result = await postWebhook({
        url: endpoint.url,
        livemode: endpoint.livemode,
        headers,
        body: delivery.body,
        timeoutMs: this.options.timeoutMs,
        resolve: this.options.resolve,
        signal: this.inFlight.signal,
      });
    } catch (error) {
      result = { statusCode: null, latencyMs: 0, responseExcerpt: null, error: (error as Error).message };
    }
    // Abandoned (a simulated crash): record nothing; the lease brings the delivery back to another worker.
    if (this.abandoned) return null;
    const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const error = succeeded ? null : (result.error ?? `HTTP ${result.statusCode}`);
    const delay = succeeded ? null : retryDelayMs(delivery.attempts);
    const status = succeeded ? 'SUCCEEDED' : delay === null ? 'FAILED' : 'PENDING';
    await this.db.insert(webhookAttempts).values({
      id: newId('wha'),
      deliveryId: delivery.id,
      endpointId: endpoint.id,
      attemptNumber: delivery.attempts,
      attemptedAt: now,
      url: endpoint.url,
      statusCode: result.statusCode,
      succeeded,
      latencyMs: result.latencyMs,
      responseExcerpt: result.responseExcerpt,
      error,
    });
    // The endpoint's health first, the delivery's outcome last: whoever sees the outcome sees the endpoint too.
    if (succeeded) {
      await this.db.update(webhookEndpoints).set({ failingSince: null, lastSuccessAt: now }).where(eq(webhookEndpoints.id, endpoint.id));
    } else {
      this.logger.warn(
        { endpoint: endpoint.id, delivery: delivery.id, event: delivery.eventId, attempt: delivery.attempts, status: result.statusCode, err: error },
        'webhook delivery attempt failed',
      );
      await this.recordFailure(endpoint, now);
    }
    // Guarded by the attempt number: if this worker overran its lease and another one re-claimed the
    // delivery, the newer attempt's outcome wins.
    await this.db
      .update(webhookDeliveries)
      .set({
        status,
        lastStatusCode: result.statusCode,
        lastError: error,
        nextAttemptAt: delay === null ? now : new Date(now.getTime() + delay),
        completedAt: status === 'PENDING' ? null : now,
      })
      .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.attempts, delivery.attempts), eq(webhookDeliveries.status, 'PENDING')));
    return status === 'SUCCEEDED' ? 'succeeded' : status === 'FAILED' ? 'failed' : 'retrying';
  }

  /** Marks the endpoint failing since now (unless it already is) and disables it once that has lasted too long. */
  private async recordFailure(endpoint: WebhookEndpointRow, now: Date): Promise<void> {
    const [row] = await this.db
      .update(webhookEndpoints)
      .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${now.toISOString()}::timestamptz)` })
      .where(eq(webhookEndpoints.id, endpoint.id))
      .returning({ failingSince: webhookEndpoints.failingSince, status: webhookEndpoints.status });
    if (!row?.failingSince || row.status !== 'ENABLED') return;
    if (now.getTime() - row.failingSince.getTime() < this.options.disableAfterMs) return;
    await this.disable(endpoint, row.failingSince, now);
  }

  private async disable(endpoint: WebhookEndpointRow, failingSince: Date, now: Date): Promise<void> {
    const reason = `every delivery failed since ${failingSince.toISOString()}`;
    const disabled = await runMutation(this.db, { audit: { auditLog, auditHead } }, systemActor('system:webhooks', endpoint.livemode), async (uow) => {
      const [updated] = await uow.tx
        .update(webhookEndpoints)
        .set({ status: 'DISABLED', disabledAt: now, disabledReason: reason, updatedAt: now })
        .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.status, 'ENABLED')))
        .returning();
      // Another replica got there first: nothing to do, but a mutation must audit, so say so.
      uow.audit({
        action: updated ? 'webhook_endpoint.disable' : 'webhook_endpoint.disable.skipped',
        entityType: 'WebhookEndpoint',
        entityId: endpoint.id,
        merchantId: endpoint.merchantId,
        after: { status: 'DISABLED', reason },
      });
      if (!updated) return false;
      // The email transport is not part of this service: the notification row is the owner's inbox, and a
      // mailer (out of scope) would send it.
      await uow.tx.insert(merchantNotifications).values({
        id: newId('ntf'),
        merchantId: endpoint.merchantId,
        livemode: endpoint.livemode,
        kind: 'webhook_endpoint.disabled',
        subject: 'A webhook endpoint was disabled',
        message: `Webhook endpoint ${endpoint.url} (${endpoint.id}) was disabled: ${reason}. Fix it, then enable it again with updateWebhookEndpoint; pending deliveries resume.`,
        entityType: 'WebhookEndpoint',
        entityId: endpoint.id,
        createdAt: now,
      });
      return true;
    });
    if (disabled)
      this.logger.warn(
        { endpoint: endpoint.id, merchant: endpoint.merchantId, failingSince },
        'webhook endpoint disabled after failing continuously; owner notified',
      );
  }

  /** Stops the consumer and the loop, letting attempts in flight finish and record their outcome. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    await this.running;
    await Promise.all([...this.attempts]);
  }

  /**
   * Stops as a crash would: attempts in flight are cut off and nothing about them is recorded, so their
   * deliveries stay claimed until the lease runs out. For tests of durability.
   */
  async abandon(): Promise<void> {
    this.abandoned = true;
    this.inFlight.abort();
    await this.close();
  }
}
